"""Learned priors: a mixture of Gaussians and the VampPrior (KL by Monte Carlo)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from vaekit.distributions.posteriors import DiagonalNormal
from vaekit.distributions.priors import LOG_2PI, Prior
from vaekit.errors import ConfigError


def mixture_log_prob(
    z: torch.Tensor, means: torch.Tensor, logvars: torch.Tensor, log_weights: torch.Tensor
) -> torch.Tensor:
    """``log sum_k w_k N(z; mean_k, diag(exp(logvar_k)))`` for ``z`` ``(..., D)``: ``(...)``.

    ``means``/``logvars`` are ``(K, D)``, ``log_weights`` ``(K,)`` (normalised).
    """
    # sum_d (z_d - m_kd)^2 / v_kd expanded into matrix products: no (..., K, D) tensor
    prec = torch.exp(-logvars)  # (K, D)
    shape = z.shape[:-1]
    zf = z.reshape(-1, z.shape[-1])  # (N, D)
    quad = zf.pow(2) @ prec.T - 2 * zf @ (means * prec).T  # (N, K)
    const = (means.pow(2) * prec + logvars + LOG_2PI).sum(-1)  # (K,)
    comp = -0.5 * (quad + const)  # (N, K)
    return torch.logsumexp(comp + log_weights, dim=-1).reshape(shape)


class MixtureOfGaussians(Prior):
    """``p(z) = sum_k pi_k N(mu_k, diag(sigma_k^2))`` with learned means, scales and weights.

    Means start spread as N(0, I) draws, variances at 1 and weights uniform.
    """

    def __init__(self, latent_dim: int, components: int = 10) -> None:
        super().__init__(latent_dim)
        if components < 1:
            raise ConfigError(f"prior_components must be >= 1, got {components}")
        g = torch.Generator().manual_seed(0)
        self.means = nn.Parameter(torch.randn(components, latent_dim, generator=g))
        self.logvars = nn.Parameter(torch.zeros(components, latent_dim))
        self.logits = nn.Parameter(torch.zeros(components))

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        logvars = self.logvars.clamp(-10.0, 10.0)
        return mixture_log_prob(z, self.means, logvars, torch.log_softmax(self.logits, 0))

    def sample(self, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
        k = torch.multinomial(torch.softmax(self.logits.detach(), 0), n, replacement=True)
        std = torch.exp(0.5 * self.logvars.detach().clamp(-10.0, 10.0))
        z = self.means.detach()[k] + std[k] * torch.randn(n, self.latent_dim, device=k.device)
        return z.to(device)


class VampPrior(Prior):
    """VampPrior (Tomczak & Welling 2017): ``p(z) = 1/K sum_k q(z | u_k)``.

    ``u_k`` are ``K`` learned pseudo-inputs shaped like the data, passed through the model's
    own encoder; :meth:`bind` gives the prior that encoder (it is not a submodule of the
    prior, so its weights are stored once). Pseudo-inputs start near ``init_value``; a
    hard-tanh keeps them in ``[0, 1]`` for data in that range.
    """

    def __init__(
        self,
        latent_dim: int,
        input_shape: Sequence[int],
        components: int = 500,
        unit_interval: bool = True,
        init_value: float = 0.05,
    ) -> None:
        super().__init__(latent_dim)
        if components < 1:
            raise ConfigError(f"prior_components must be >= 1, got {components}")
        g = torch.Generator().manual_seed(0)
        init = init_value + 0.01 * torch.randn(components, *input_shape, generator=g)
        self.pseudo_inputs = nn.Parameter(init)
        self.unit_interval = unit_interval
        self._encode: Callable[[torch.Tensor], DiagonalNormal] | None = None

    def bind(self, encode: Callable[[torch.Tensor], DiagonalNormal]) -> None:
        """Use ``encode(x) -> q(z|x)`` (the model's encoder and Gaussian head)."""
        self._encode = encode

    def components(self) -> DiagonalNormal:
        """The ``K`` component posteriors ``q(z|u_k)``: means and log-variances ``(K, D)``."""
        if self._encode is None:
            raise RuntimeError("VampPrior.bind(encode) was not called")
        u = self.pseudo_inputs
        if self.unit_interval:
            u = torch.nn.functional.hardtanh(u, 0.0, 1.0)
        return self._encode(u)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        q = self.components()
        k = q.mean.shape[0]
        log_w = torch.full((k,), -math.log(k), device=z.device, dtype=z.dtype)
        return mixture_log_prob(z, q.mean, q.logvar, log_w)

    @torch.no_grad()
    def sample(self, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
        q = self.components()
        k = torch.randint(q.mean.shape[0], (n,), device=q.mean.device)
        z = q.mean[k] + q.std[k] * torch.randn(n, self.latent_dim, device=q.mean.device)
        return z.to(device)
