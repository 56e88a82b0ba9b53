"""Normalizing-flow posteriors: planar flows and inverse autoregressive flow (IAF).

``z_0 ~ N(mean, diag(exp(logvar)))`` from the Gaussian head, then ``z_K = f_K(...f_1(z_0))``
with ``log q(z_K|x) = log q_0(z_0|x) - sum_k log |det df_k/dz|``. Each step is amortised: its
parameters (planar) or its context (IAF) come from the encoder features ``h``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from vaekit.distributions.posteriors import DiagonalGaussianHead, DiagonalNormal
from vaekit.errors import ConfigError

FLOWS = ("planar", "iaf")


class PlanarFlow(nn.Module):
    """``f(z) = z + u_hat tanh(w^T z + b)`` (Rezende & Mohamed 2015), parameters from ``h``.

    ``u_hat = u + (m(w^T u) - w^T u) w / ||w||^2`` with ``m(a) = -1 + softplus(a)`` keeps
    ``w^T u_hat >= -1``, so the map is invertible.
    """

    def __init__(self, context_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.params = nn.Linear(context_dim, 2 * latent_dim + 1)
        nn.init.normal_(self.params.weight, std=0.01)
        nn.init.zeros_(self.params.bias)

    def forward(self, z: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``z`` ``(..., B, D)``, ``h`` ``(B, H)`` -> ``f(z)`` and ``log|det|`` ``(..., B)``."""
        d = self.latent_dim
        p = self.params(h)  # (B, 2D + 1)
        u, w, b = p[:, :d], p[:, d : 2 * d], p[:, 2 * d :]  # (B, D), (B, D), (B, 1)
        wu = (w * u).sum(-1, keepdim=True)  # (B, 1)
        u_hat = u + (F.softplus(wu) - 1 - wu) * w / (w.pow(2).sum(-1, keepdim=True) + 1e-8)
        a = (z * w).sum(-1, keepdim=True) + b  # (..., B, 1)
        t = torch.tanh(a)
        psi_u = (1 - t.pow(2)) * (w * u_hat).sum(-1, keepdim=True)  # (..., B, 1)
        logdet = torch.log((1 + psi_u).abs() + 1e-8).squeeze(-1)
        return z + u_hat * t, logdet


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (MADE)."""

    def __init__(self, in_features: int, out_features: int, mask: torch.Tensor) -> None:
        super().__init__(in_features, out_features)
        self.register_buffer("mask", mask.float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def made_masks(d: int, hidden: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks of a one-hidden-layer MADE (Germain et al. 2015) over degrees ``1..d``.

    Output ``i`` depends only on inputs ``j < i`` (strictly autoregressive).
    """
    deg_in = torch.arange(1, d + 1)
    deg_h = torch.arange(hidden) % max(d - 1, 1) + 1  # degrees 1..d-1
    m1 = (deg_h[:, None] >= deg_in[None, :]).float()  # (hidden, d)
    m2 = (deg_in[:, None] > deg_h[None, :]).float()  # (d, hidden)
    return m1, m2


class IAFStep(nn.Module):
    """One IAF step (Kingma et al. 2016): ``z' = sigma * z + (1 - sigma) * m``.

    ``m`` and ``sigma = sigmoid(s)`` come from a MADE over ``z`` with the encoder context
    added to its hidden layer, so ``dz'_i/dz_j = 0`` for ``j > i`` and
    ``log|det| = sum log sigma``. ``reverse`` flips the order of the dimensions first, so that
    stacked steps alternate their ordering.
    """

    def __init__(self, context_dim: int, latent_dim: int, hidden: int, reverse: bool) -> None:
        super().__init__()
        m1, m2 = made_masks(latent_dim, hidden)
        self.reverse = reverse
        self.inp = MaskedLinear(latent_dim, hidden, m1)
        self.ctx = nn.Linear(context_dim, hidden)
        self.out_m = MaskedLinear(hidden, latent_dim, m2)
        self.out_s = MaskedLinear(hidden, latent_dim, m2)
        nn.init.zeros_(self.out_s.weight)
        nn.init.constant_(self.out_s.bias, 2.0)  # sigma near 0.88: close to the identity

    def forward(self, z: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``z`` ``(..., B, D)``, ``h`` ``(B, H)`` -> ``z'`` and ``log|det|`` ``(..., B)``."""
        if self.reverse:
            z = z.flip(-1)
        a = F.elu(self.inp(z) + self.ctx(h))  # (..., B, hidden)
        m, s = self.out_m(a), self.out_s(a)
        sigma = torch.sigmoid(s)
        z = sigma * z + (1 - sigma) * m
        logdet = F.logsigmoid(s).sum(-1)
        if self.reverse:
            z = z.flip(-1)
        return z, logdet


class FlowPosterior:
    """q(z|x) as a Gaussian base pushed through amortised flow steps.

    Attributes
    ----------
    base
        The :class:`DiagonalNormal` ``q_0(z_0|x)``, ``(B, D)``.
    mean, logvar
        ``mean`` is the base mean mapped through the flow (the code used for reconstructions
        and latent diagnostics); ``logvar`` is the base's.
    """

    def __init__(self, base: DiagonalNormal, steps: nn.ModuleList, context: torch.Tensor):
        self.base = base
        self.steps = steps
        self.context = context
        self._mean: torch.Tensor | None = None

    def _flow(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        total = torch.zeros(z.shape[:-1], dtype=z.dtype, device=z.device)
        for step in self.steps:
            z, logdet = step(z, self.context)
            total = total + logdet
        return z, total

    @property
    def mean(self) -> torch.Tensor:
        if self._mean is None:
            self._mean = self._flow(self.base.mean)[0]
        return self._mean

    @property
    def logvar(self) -> torch.Tensor:
        return self.base.logvar

    def rsample_and_log_prob(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``z_K`` ``(B, D)`` (or ``(n, B, D)``) and ``log q(z_K|x)`` ``(B,)`` (or ``(n, B)``)."""
        z0, log_q0 = self.base.rsample_and_log_prob(n)
        z, logdet = self._flow(z0)
        return z, log_q0 - logdet

    def rsample(self, n: int | None = None) -> torch.Tensor:
        return self.rsample_and_log_prob(n)[0]

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Refused: the density of an arbitrary ``z`` needs the inverse flow (planar flows have
        none in closed form); :meth:`rsample_and_log_prob` scores the flow's own samples."""
        raise ConfigError("a flow posterior scores only its own samples: use rsample_and_log_prob")


class FlowGaussianHead(nn.Module):
    """Gaussian head followed by ``steps`` flow steps of kind ``flow`` (planar or iaf)."""

    def __init__(self, in_dim: int, latent_dim: int, flow: str, steps: int, hidden: int = 0):
        super().__init__()
        if flow not in FLOWS:
            raise ConfigError(f"unknown flow {flow!r}; choose one of {', '.join(FLOWS)}")
        if steps < 1:
            raise ConfigError(f"flow_steps must be >= 1, got {steps}")
        self.gaussian = DiagonalGaussianHead(in_dim, latent_dim)
        self.latent_dim = latent_dim
        if flow == "planar":
            self.steps = nn.ModuleList(PlanarFlow(in_dim, latent_dim) for _ in range(steps))
        else:
            width = hidden or max(2 * latent_dim, 64)
            self.steps = nn.ModuleList(
                IAFStep(in_dim, latent_dim, width, reverse=k % 2 == 1) for k in range(steps)
            )

    def forward(self, h: torch.Tensor) -> FlowPosterior:
        return FlowPosterior(self.gaussian(h), self.steps, h)
