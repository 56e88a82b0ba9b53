"""Masked likelihoods for time-series windows: a Gaussian or a Student's t per step and
channel, counting the observed entries only.

The decoder gives ``2C`` numbers per step: a location and an unconstrained scale for each of
the ``C`` channels. A missing entry (NaN in ``x``) contributes nothing to ``log p(x | z)``
and, because it is multiplied out rather than skipped, exactly nothing to any gradient.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vaekit.errors import ConfigError

#: the likelihoods of the time-series models
SERIES_LIKELIHOODS = ("gaussian", "student-t")
LOG_2PI = math.log(2 * math.pi)
SCALE_FLOOR = 1e-3


class MaskedSeriesLikelihood(nn.Module):
    """``p(x | params)`` over windows ``(..., T, C)``; ``params (..., T, 2C)``.

    Parameters
    ----------
    channels
        The number of channels ``C``.
    kind
        ``"gaussian"`` or ``"student-t"`` (degrees of freedom learned per channel, above 2
        so that the variance exists; they start at 5).
    """

    def __init__(self, channels: int, kind: str = "gaussian") -> None:
        super().__init__()
        if kind not in SERIES_LIKELIHOODS:
            raise ConfigError(f"unknown likelihood {kind!r} for time series; choose one of "
                              f"{', '.join(SERIES_LIKELIHOODS)}")  # fmt: skip
        self.kind, self.channels = kind, channels
        if kind == "student-t":  # softplus(raw) + 2 = 5 at the start
            self.raw_df = nn.Parameter(torch.full((channels,), math.log(math.expm1(3.0))))

    @property
    def param_dim(self) -> int:
        return 2 * self.channels

    def split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Location and scale ``(..., T, C)`` each."""
        loc, raw = params.split(self.channels, dim=-1)
        return loc, F.softplus(raw) + SCALE_FLOOR

    def df(self) -> torch.Tensor:
        """Degrees of freedom ``(C,)`` (Student's t only)."""
        return F.softplus(self.raw_df) + 2.0

    def log_prob_entries(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``log p`` of every entry ``(..., T, C)``, zero where ``x`` is missing."""
        mask = ~torch.isnan(x)
        x0 = torch.nan_to_num(x)
        loc, scale = self.split(params)
        u = (x0 - loc) / scale
        if self.kind == "gaussian":
            lp = -0.5 * (u**2 + LOG_2PI) - torch.log(scale)
        else:
            nu = self.df()
            lp = (torch.lgamma((nu + 1) / 2) - torch.lgamma(nu / 2)
                  - 0.5 * torch.log(nu * math.pi) - torch.log(scale)
                  - (nu + 1) / 2 * torch.log1p(u**2 / nu))  # fmt: skip
        return lp * mask

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``log p(x_obs | z)`` per window ``(...,)``: the sum over observed entries."""
        return self.log_prob_entries(params, x).sum((-2, -1))

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """The mean of each entry ``(..., T, C)``."""
        return self.split(params)[0]

    def sample(self, params: torch.Tensor) -> torch.Tensor:
        """One draw of each entry ``(..., T, C)``."""
        loc, scale = self.split(params)
        if self.kind == "gaussian":
            return loc + scale * torch.randn_like(loc)
        t = torch.distributions.StudentT(self.df().expand_as(loc), loc, scale)
        return t.sample()
