"""Diagonal-Gaussian posterior q(z|x) and the head that produces it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from vaekit.distributions.noise import standard_normal

LOG_2PI = math.log(2 * math.pi)

# Log-variance is kept in a range where exp() neither underflows the reparameterised
# sample to a constant nor overflows float32 (and bf16) arithmetic.
LOGVAR_MIN, LOGVAR_MAX = -20.0, 12.0


@dataclass
class DiagonalNormal:
    """A batch of diagonal Gaussians N(mean, diag(exp(logvar))).

    Attributes
    ----------
    mean, logvar
        Tensors of shape ``(B, D)``.
    """

    mean: torch.Tensor
    logvar: torch.Tensor

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    def rsample(self, n: int | None = None) -> torch.Tensor:
        """Reparameterised sample: ``(B, D)``, or ``(n, B, D)`` when ``n`` is given."""
        shape = self.mean.shape if n is None else (n, *self.mean.shape)
        eps = standard_normal(shape, self.mean.dtype, self.mean.device)
        return self.mean + eps * self.std

    def rsample_and_log_prob(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised sample and its log density: ``(B, D)`` and ``(B,)``.

        With ``n``: ``(n, B, D)`` and ``(n, B)``.
        """
        shape = self.mean.shape if n is None else (n, *self.mean.shape)
        eps = standard_normal(shape, self.mean.dtype, self.mean.device)
        z = self.mean + eps * self.std
        log_q = -0.5 * (eps.pow(2) + self.logvar + LOG_2PI).sum(-1)
        return z, log_q

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Log density of ``z`` (``(..., B, D)``), summed over D: ``(..., B)``."""
        return -0.5 * (
            ((z - self.mean) ** 2) * torch.exp(-self.logvar) + self.logvar + LOG_2PI
        ).sum(-1)


class DiagonalGaussianHead(nn.Module):
    """Linear map from encoder features to a :class:`DiagonalNormal`.

    The layer outputs the mean and the log-variance; the log-variance is clamped to
    ``[LOGVAR_MIN, LOGVAR_MAX]`` so that ``exp`` stays finite.
    """

    def __init__(self, in_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.linear = nn.Linear(in_dim, 2 * latent_dim)

    def forward(self, h: torch.Tensor) -> DiagonalNormal:
        mean, logvar = self.linear(h).chunk(2, dim=-1)  # (B, D) each
        return DiagonalNormal(mean, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))
