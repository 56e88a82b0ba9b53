"""Gaussian-process priors over latent trajectories and the banded posterior of GP-VAE
(Fortuin et al., AISTATS 2020).

A latent trajectory ``z_d = (z_d(1), ..., z_d(T))`` of each latent dimension ``d`` has the
prior ``N(0, K_d)`` with ``K_d[s, t] = k(s, t)`` on the step indices. The posterior of each
dimension is a Gaussian over the whole window, ``N(mu_d, (B_d^T B_d)^{-1})``, whose precision
is given by an upper-bidiagonal factor ``B_d`` (positive diagonal): neighbouring steps are
correlated at the cost of ``2T - 1`` numbers per dimension. Sampling is
``z_d = mu_d + B_d^{-1} eps`` and the KL to the prior is in closed form.
"""

from __future__ import annotations

import torch
from torch import nn

from vaekit.errors import ConfigError

#: the kernels a GP prior takes
KERNELS = ("cauchy", "rbf", "matern")


def kernel_matrix(kernel: str, steps: int, length_scale: float, sigma: float = 1.0,
                  jitter: float = 1e-3) -> torch.Tensor:  # fmt: skip
    """The ``(steps, steps)`` covariance of ``kernel`` on the step indices ``0..steps-1``.

    ``cauchy``: ``sigma / (1 + (s - t)^2 / l^2)`` (GP-VAE's default); ``rbf``:
    ``sigma * exp(-(s - t)^2 / (2 l^2))``; ``matern`` (nu = 1/2):
    ``sigma * exp(-|s - t| / l)``. ``jitter`` is added on the diagonal so that the matrix
    stays positive definite in float32.
    """
    if kernel not in KERNELS:
        raise ConfigError(f"unknown GP kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
    if length_scale <= 0 or sigma <= 0:
        raise ConfigError(f"the GP kernel needs length_scale > 0 and sigma > 0, got "
                          f"{length_scale} and {sigma}")  # fmt: skip
    t = torch.arange(steps, dtype=torch.float64)
    d = t[:, None] - t[None, :]
    if kernel == "cauchy":
        k = sigma / (1.0 + (d / length_scale) ** 2)
    elif kernel == "rbf":
        k = sigma * torch.exp(-(d**2) / (2.0 * length_scale**2))
    else:
        k = sigma * torch.exp(-d.abs() / length_scale)
    return k + jitter * torch.eye(steps, dtype=torch.float64)


class GPPrior(nn.Module):
    """Independent GP priors ``N(0, K_d)`` for ``latent_dim`` trajectories of ``steps``.

    With ``kernel_scales = S > 1`` the dimensions are split into ``S`` groups whose length
    scales are ``length_scale / 2^i`` (``i = 0..S-1``), as GP-VAE does, so that some
    dimensions vary slowly and others fast.
    """

    def __init__(self, latent_dim: int, steps: int, kernel: str = "cauchy",
                 length_scale: float = 7.0, sigma: float = 1.0, kernel_scales: int = 1,
                 jitter: float = 1e-3) -> None:  # fmt: skip
        super().__init__()
        if kernel_scales < 1 or kernel_scales > latent_dim:
            raise ConfigError(f"kernel_scales must be in 1..latent_dim ({latent_dim}), got "
                              f"{kernel_scales}")  # fmt: skip
        self.steps, self.kernel, self.length_scale = steps, kernel, length_scale
        self.sigma, self.kernel_scales, self.jitter = sigma, kernel_scales, jitter
        self.latent_dim = latent_dim
        chol = torch.linalg.cholesky(self.covariances(steps))  # (D, T, T), float64
        self.register_buffer("chol", chol.float())
        self.register_buffer("log_det", 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1))
                             .sum(-1).float())  # (D,)  # fmt: skip

    def covariances(self, steps: int) -> torch.Tensor:
        """Each dimension's prior covariance over ``steps`` steps ``(D, steps, steps)``
        (float64)."""
        group = torch.arange(self.latent_dim) * self.kernel_scales // self.latent_dim  # (D,)
        return torch.stack([kernel_matrix(self.kernel, steps, self.length_scale / 2 ** int(g),
                                          self.sigma, self.jitter) for g in group])  # fmt: skip

    def sample(self, n: int) -> torch.Tensor:
        """``n`` trajectories ``(n, D, T)`` from the prior."""
        eps = torch.randn(n, *self.chol.shape[:2], device=self.chol.device)
        return torch.einsum("dst,ndt->nds", self.chol, eps)

    def sample_long(self, n: int, steps: int, context: int = 64,
                    block: int = 256) -> torch.Tensor:  # fmt: skip
        """``n`` trajectories ``(n, D, steps)`` of any length, stitched block by block: each
        block of ``block`` steps is drawn from the prior conditioned on the last ``context``
        steps before it (exact Gaussian conditioning; the kernel is stationary, so one
        conditional serves every block). Correlations further back than ``context`` steps
        are dropped: with the Cauchy kernel and length scale ``l`` they are below
        ``1 / (1 + (context / l)^2)``."""
        if steps < 1 or context < 1 or block < 1:
            raise ConfigError(f"steps, context and block must be >= 1, got {steps}, "
                              f"{context}, {block}")  # fmt: skip
        device = self.chol.device
        first = min(steps, context + block)
        chol = torch.linalg.cholesky(self.covariances(first))  # (D, m, m)
        eps = torch.randn(n, self.latent_dim, first, dtype=torch.float64)
        z = [torch.einsum("dst,ndt->nds", chol, eps)]  # (n, D, first)
        done = first
        if done < steps:
            cov = self.covariances(context + block)  # (D, c + b, c + b)
            k_cc, k_bc = cov[:, :context, :context], cov[:, context:, :context]
            gain = torch.linalg.solve(k_cc, k_bc.transpose(1, 2)).transpose(1, 2)  # (D, b, c)
            cond = cov[:, context:, context:] - gain @ k_bc.transpose(1, 2)
            cond_chol = torch.linalg.cholesky(cond)  # (D, b, b)
            last = z[0][..., -context:]
            while done < steps:
                b = min(block, steps - done)
                mean = torch.einsum("dbc,ndc->ndb", gain, last)[..., :b]
                eps = torch.randn(n, self.latent_dim, block, dtype=torch.float64)
                new = mean + torch.einsum("dst,ndt->nds", cond_chol, eps)[..., :b]
                z.append(new)
                last = torch.cat([last, new], -1)[..., -context:]
                done += b
        return torch.cat(z, -1).float().to(device)

    def kl(self, q: BandedGaussian) -> torch.Tensor:
        """``KL(q || p)`` per example and dimension ``(B, D)`` in closed form:
        ``0.5 [tr(K^-1 S) + mu^T K^-1 mu - T + log|K| - log|S|]``."""
        b, d, t = q.mean.shape
        chol = self.chol.expand(b, d, t, t)
        scale = q.scale_matrix()  # (B, D, T, T), upper triangular, Sigma = scale scale^T
        m = torch.linalg.solve_triangular(chol, scale, upper=False)  # L^-1 S
        trace = (m**2).sum((-2, -1))
        v = torch.linalg.solve_triangular(chol, q.mean.unsqueeze(-1), upper=False).squeeze(-1)
        mahalanobis = (v**2).sum(-1)
        log_det_q = -2 * torch.log(q.diag).sum(-1)  # log|Sigma| = -2 sum log diag(B)
        return 0.5 * (trace + mahalanobis - t + self.log_det - log_det_q)


class BandedGaussian:
    """The posterior ``N(mean_d, (B_d^T B_d)^{-1})`` of each trajectory, ``B_d`` upper
    bidiagonal: ``mean (B, D, T)``, its diagonal ``diag (B, D, T)`` (positive) and the band
    above it ``off (B, D, T-1)``."""

    def __init__(self, mean: torch.Tensor, diag: torch.Tensor, off: torch.Tensor) -> None:
        self.mean, self.diag, self.off = mean, diag, off

    def precision_factor(self) -> torch.Tensor:
        """``B`` as a dense ``(B, D, T, T)`` upper-triangular matrix."""
        factor = torch.diag_embed(self.diag)
        return factor + torch.diag_embed(self.off, offset=1)

    def scale_matrix(self) -> torch.Tensor:
        """``B^-1`` ``(B, D, T, T)``: ``Sigma = B^-1 B^-T``."""
        factor = self.precision_factor()
        eye = torch.eye(factor.shape[-1], dtype=factor.dtype, device=factor.device)
        return torch.linalg.solve_triangular(factor, eye.expand_as(factor), upper=True)

    def rsample(self, k: int = 1) -> torch.Tensor:
        """``k`` reparameterized samples ``(k, B, D, T)``."""
        eps = torch.randn(k, *self.mean.shape, dtype=self.mean.dtype, device=self.mean.device)
        factor = self.precision_factor()
        factor = factor.expand(k, *factor.shape)
        x = torch.linalg.solve_triangular(factor, eps.unsqueeze(-1), upper=True).squeeze(-1)
        return self.mean + x

    def covariance(self) -> torch.Tensor:
        """``Sigma (B, D, T, T)`` (for checks and plots)."""
        s = self.scale_matrix()
        return s @ s.transpose(-1, -2)


def softplus_diag(raw: torch.Tensor, floor: float = 1e-3) -> torch.Tensor:
    """A positive diagonal from unconstrained values (``softplus + floor``)."""
    return torch.nn.functional.softplus(raw) + floor


__all__ = ["KERNELS", "BandedGaussian", "GPPrior", "kernel_matrix", "softplus_diag"]
