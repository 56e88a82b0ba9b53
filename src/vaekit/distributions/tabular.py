"""The mixed likelihood of a transformed table (TVAE, Xu et al. 2019).

The decoder output has the layout of :class:`vaekit.data.table_transform.TableTransformer`'s
spans: for a ``tanh`` span (a normalized numeric value) a Gaussian with mean ``tanh(param)``
and a learned standard deviation per span, kept in ``[0.01, 1]`` as TVAE clamps it; for a
``softmax`` span (a mode, a category, or a missing slot) a categorical over the span's slots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from vaekit.distributions.likelihoods import LOG_2PI, Likelihood
from vaekit.errors import ConfigError

SIGMA_RANGE = (0.01, 1.0)  # TVAE's clamp of its decoder's sigma


class MixedTabular(Likelihood):
    """Gaussian on each ``tanh`` span, categorical on each ``softmax`` span.

    Parameters
    ----------
    spans
        ``(activation, size)`` pairs in output order; activation ``"tanh"`` (size 1) or
        ``"softmax"`` (size >= 1).
    sigma
        Initial standard deviation of the Gaussian parts (TVAE: 0.1).
    """

    def __init__(self, spans: Sequence[tuple[str, int]], sigma: float = 0.1) -> None:
        super().__init__()
        if not spans:
            raise ConfigError("a mixed tabular likelihood needs at least one span")
        tanh, blocks, at = [], [], 0
        for activation, size in spans:
            if activation == "tanh" and size == 1:
                tanh.append(at)
            elif activation == "softmax" and size >= 1:
                blocks.append((at, int(size)))
            else:
                raise ConfigError(f"bad span ({activation!r}, {size}): tanh spans have size 1, "
                                  "softmax spans size >= 1")  # fmt: skip
            at += int(size)
        if not SIGMA_RANGE[0] <= sigma <= SIGMA_RANGE[1]:
            raise ConfigError(f"sigma must lie in {list(SIGMA_RANGE)}, got {sigma}")
        self.spans = [(str(a), int(n)) for a, n in spans]
        self.dim, self.blocks = at, blocks
        self.register_buffer("tanh_index", torch.tensor(tanh, dtype=torch.long))
        # block of each output column (the tanh columns form one extra, ignored block) and
        # the column-to-block membership matrix: every block's log-softmax in a few ops
        block_of = torch.full((at,), len(blocks), dtype=torch.long)
        for b, (start, size) in enumerate(blocks):
            block_of[start : start + size] = b
        member = F.one_hot(block_of, len(blocks) + 1).float()[:, : len(blocks)]  # (D, nb)
        self.register_buffer("block_of", block_of, persistent=False)
        self.register_buffer("member", member, persistent=False)
        self.register_buffer("tanh_mask", (block_of == len(blocks)).float(), persistent=False)
        self.log_sigma = nn.Parameter(torch.full((len(tanh),), math.log(sigma)))

    def sigma(self) -> torch.Tensor:
        """``(T,)`` standard deviations of the ``tanh`` spans, clamped to ``SIGMA_RANGE``."""
        lo, hi = (math.log(v) for v in SIGMA_RANGE)
        return self.log_sigma.clamp(lo, hi).exp()

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if params.shape[-1] != self.dim or x.shape[-1] != self.dim:
            raise ConfigError(f"expected {self.dim} table features, got decoder "
                              f"{params.shape[-1]} and data {x.shape[-1]}")  # fmt: skip
        total = params.new_zeros(params.shape[:-1])  # (..., B)
        if len(self.tanh_index):
            log_sigma = self.sigma().log()  # (T,)
            mu = torch.tanh(params[..., self.tanh_index])  # (..., B, T)
            z = (x[..., self.tanh_index] - mu) * torch.exp(-log_sigma)
            total = total + (-0.5 * (z**2 + LOG_2PI) - log_sigma).sum(-1)
        if self.blocks:  # x holds a one-hot (or probabilities) per block
            total = total + self._categorical_log_prob(params, x)
        return total

    def _categorical_log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``sum_b sum_j x_bj log softmax(params_b)_j`` over the softmax blocks, vectorized:
        ``sum_j x_bj params_bj - (sum_j x_bj) logsumexp(params_b)``. The per-block max that
        keeps the exponentials finite is a constant to autograd (it cancels in the value)."""
        lead = torch.broadcast_shapes(params.shape[:-1], x.shape[:-1])
        logits = params.expand(*lead, self.dim).reshape(-1, self.dim)  # (N, D)
        xs = x.expand(*lead, self.dim).reshape(-1, self.dim) @ self.member  # (N, nb)
        with torch.no_grad():
            index = self.block_of.expand_as(logits)
            top = logits.new_full((logits.shape[0], len(self.blocks) + 1), -torch.inf)
            top = top.scatter_reduce(1, index, logits, "amax")[:, :-1]  # (N, nb)
            shift = top @ self.member.T  # (N, D), each block's max; 0 on the tanh columns
        # the tanh columns: exp(0) = 1, then dropped by their zero rows of `member`
        logits = logits * (1.0 - self.tanh_mask)
        lse = torch.log(torch.exp(logits - shift) @ self.member) + top  # (N, nb)
        picked = (x * params * (1.0 - self.tanh_mask)).sum(-1)  # (...,)
        return picked.expand(lead) - (xs * lse).sum(-1).reshape(lead)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """``tanh`` of the normalized values, probabilities of the categorical blocks."""
        out = params.clone()
        out[..., self.tanh_index] = torch.tanh(params[..., self.tanh_index])
        for start, size in self.blocks:
            out[..., start : start + size] = F.softmax(params[..., start : start + size], -1)
        return out

    @torch.no_grad()
    def sample(self, params: torch.Tensor) -> torch.Tensor:
        """Normalized values with their Gaussian noise; one slot drawn per block (one-hot).
        Not differentiable (the draws are discrete)."""
        out = torch.zeros_like(params)
        if len(self.tanh_index):
            mu = torch.tanh(params[..., self.tanh_index])
            out[..., self.tanh_index] = mu + torch.randn_like(mu) * self.sigma()
        for start, size in self.blocks:
            probs = F.softmax(params[..., start : start + size], -1)
            draw = torch.multinomial(probs.reshape(-1, size), 1).reshape(probs.shape[:-1])
            out[..., start : start + size] = F.one_hot(draw, size).to(params.dtype)
        return out

    def init_bias(self, data_mean: torch.Tensor) -> torch.Tensor:
        """``atanh`` of the mean normalized values, log frequencies of the slots."""
        bias = torch.log(data_mean.clamp_min(1e-4))
        bias[self.tanh_index] = torch.atanh(data_mean[self.tanh_index].clamp(-0.99, 0.99))
        return bias
