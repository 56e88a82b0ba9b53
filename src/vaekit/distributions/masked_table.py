"""The likelihood of a table row with missing cells (MIWAE, Mattei & Frellsen 2019).

A row's layout: each numeric column one standardized value, each categorical column a one-hot
block; a missing cell is NaN (the whole block for a categorical). Numeric columns get a
Student's t whose location, scale and degrees of freedom the decoder outputs per row (the
MIWAE paper's choice for UCI tables: heavy tails keep a few odd values from dominating the
fit); categorical columns a softmax over their levels. The log-likelihood counts the observed
cells only.

Decoder output ``(..., P)``: ``[loc (M), scale (M), df (M), logits of every block]`` for ``M``
numeric columns; ``scale = softplus + 1e-3`` and ``df = softplus + 3`` as in the paper's code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from vaekit.distributions.likelihoods import Likelihood
from vaekit.errors import ConfigError

MIN_SCALE, MIN_DF = 1e-3, 3.0


class MaskedTable(Likelihood):
    """Student's t for numeric columns, categorical for one-hot blocks; NaN = missing.

    Parameters
    ----------
    dim
        Width ``D`` of a row (numeric columns plus one-hot slots).
    blocks
        ``(start, size)`` of each categorical one-hot block in the row; every other
        position is a numeric column.
    """

    def __init__(self, dim: int, blocks: Sequence[Sequence[int]] = ()) -> None:
        super().__init__()
        taken = torch.zeros(dim, dtype=torch.bool)
        pairs = []
        for start, size in blocks:
            start, size = int(start), int(size)
            if size < 1 or start < 0 or start + size > dim or taken[start : start + size].any():
                raise ConfigError(f"bad categorical block ({start}, {size}) for rows of {dim}")
            taken[start : start + size] = True
            pairs.append((start, size))
        self.dim, self.blocks = int(dim), sorted(pairs)
        numeric = torch.nonzero(~taken).flatten()
        self.n_numeric = len(numeric)
        self.n_slots = int(taken.sum())
        self.param_dim = 3 * self.n_numeric + self.n_slots
        self.register_buffer("numeric", numeric, persistent=False)
        slots = [torch.arange(s, s + n) for s, n in self.blocks]
        self.register_buffer("slots", torch.cat(slots) if slots else numeric[:0],
                             persistent=False)  # fmt: skip

    # ------------------------------------------------------------------ parameters
    def split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                   list[torch.Tensor]]:  # fmt: skip
        """``loc``, ``scale``, ``df`` ``(..., M)`` and each block's logits ``(..., size)``."""
        if params.shape[-1] != self.param_dim:
            raise ConfigError(f"expected {self.param_dim} decoder outputs, got {params.shape[-1]}")
        m = self.n_numeric
        loc = params[..., :m]
        scale = F.softplus(params[..., m : 2 * m]) + MIN_SCALE
        df = F.softplus(params[..., 2 * m : 3 * m]) + MIN_DF
        logits, at = [], 3 * m
        for _, size in self.blocks:
            logits.append(params[..., at : at + size])
            at += size
        return loc, scale, df, logits

    # ------------------------------------------------------------------ likelihood
    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``log p(x_obs | params)`` ``(...)``: the observed cells of each row (NaN = missing)."""
        loc, scale, df, logits = self.split(params)
        xn = x[..., self.numeric]  # (..., B, M)
        seen = ~torch.isnan(xn)
        u = (torch.nan_to_num(xn) - loc) / scale
        lp = (torch.lgamma((df + 1) / 2) - torch.lgamma(df / 2) - 0.5 * torch.log(df * math.pi)
              - torch.log(scale) - (df + 1) / 2 * torch.log1p(u**2 / df))  # fmt: skip
        total = (lp * seen).sum(-1)
        for (start, size), lg in zip(self.blocks, logits, strict=True):
            xb = x[..., start : start + size]
            seen_b = ~torch.isnan(xb[..., 0])
            total = total + (torch.nan_to_num(xb) * F.log_softmax(lg, -1)).sum(-1) * seen_b
        return total

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """Rows ``(..., D)``: the t location (its mean, df > 1) of each numeric column and
        the level probabilities of each block."""
        loc, _, _, logits = self.split(params)
        out = params.new_zeros(*params.shape[:-1], self.dim)
        out[..., self.numeric] = loc
        for (start, size), lg in zip(self.blocks, logits, strict=True):
            out[..., start : start + size] = F.softmax(lg, -1)
        return out

    @torch.no_grad()
    def sample(self, params: torch.Tensor) -> torch.Tensor:
        """Rows ``(..., D)``: a t draw per numeric column, one level (one-hot) per block."""
        loc, scale, df, logits = self.split(params)
        out = params.new_zeros(*params.shape[:-1], self.dim)
        out[..., self.numeric] = loc + scale * torch.distributions.StudentT(df).sample()
        for (start, size), lg in zip(self.blocks, logits, strict=True):
            draw = torch.multinomial(F.softmax(lg, -1).reshape(-1, size), 1)
            out[..., start : start + size] = F.one_hot(draw.view(lg.shape[:-1]), size).to(out)
        return out

    def init_bias(self, data_mean: torch.Tensor) -> torch.Tensor:
        """Locations at the column means, unit scales, level log-frequencies."""
        m = self.n_numeric
        bias = torch.zeros(self.param_dim)
        bias[:m] = torch.nan_to_num(data_mean[self.numeric])
        bias[m : 2 * m] = math.log(math.e - 1)  # softplus^-1(1)
        bias[3 * m :] = torch.log(torch.nan_to_num(data_mean[self.slots]).clamp_min(1e-4))
        return bias
