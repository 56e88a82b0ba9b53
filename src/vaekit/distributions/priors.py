"""Priors p(z)."""

from __future__ import annotations

import abc
import math
from typing import Any

import torch
from torch import nn

from vaekit.distributions.posteriors import DiagonalNormal

LOG_2PI = math.log(2 * math.pi)


class Prior(nn.Module, abc.ABC):
    """A prior over ``latent_dim``-dimensional codes."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    @abc.abstractmethod
    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Log density of ``z`` (``(..., D)``) summed over D: ``(...)``."""

    @abc.abstractmethod
    def sample(self, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """Draw ``(n, D)`` codes."""

    def kl_per_dim(
        self, q: Any, z: torch.Tensor, log_q: torch.Tensor | None = None
    ) -> torch.Tensor:
        """KL(q || p) per latent dimension, ``(B, D)``.

        Subclasses with a closed form override this; the default is the one-sample
        Monte Carlo estimate ``log q(z) - log p(z)`` spread evenly over dimensions
        (priors that do not factorise have no per-dimension split). ``log_q`` is
        ``log q(z|x)`` of the sample ``z`` when known (flow posteriors need it).
        """
        if log_q is None:
            log_q = q.log_prob(z)
        kl = log_q - self.log_prob(z)  # (B,)
        return (kl / z.shape[-1]).unsqueeze(-1).expand_as(z)


class StandardNormal(Prior):
    """p(z) = N(0, I), with the closed-form KL to a diagonal Gaussian."""

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (z**2 + LOG_2PI).sum(-1)

    def sample(self, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=device)

    def kl_per_dim(
        self, q: Any, z: torch.Tensor | None = None, log_q: torch.Tensor | None = None
    ) -> torch.Tensor:
        if not isinstance(q, DiagonalNormal):  # e.g. a flow posterior: Monte Carlo
            return super().kl_per_dim(q, z, log_q)
        # KL(N(m, s^2) || N(0, 1)) = 0.5 (m^2 + s^2 - 1 - log s^2), per dimension: (B, D)
        return 0.5 * (q.mean**2 + torch.exp(q.logvar) - 1.0 - q.logvar)
