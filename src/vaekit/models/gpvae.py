"""GP-VAE (Fortuin et al., AISTATS 2020): a VAE for multivariate time series with missing
values whose latent trajectories have a Gaussian-process prior over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaekit.distributions.gp import BandedGaussian, GPPrior, softplus_diag
from vaekit.distributions.series import MaskedSeriesLikelihood
from vaekit.errors import ConfigError, DataError
from vaekit.models.base import BaseModel
from vaekit.models.registry import register_model
from vaekit.nn import MLP
from vaekit.nn.activations import get_activation
from vaekit.objectives import LossOutput


def check_window(model: Any, x: torch.Tensor) -> None:
    """Refuse a batch that is not ``(B, T, C)`` windows of the model's shape."""
    if x.dim() != 3 or tuple(x.shape[1:]) != tuple(model.input_shape):
        raise DataError(f"{model.registry_name} takes windows of shape (N, "
                        f"{model.input_shape[0]}, {model.input_shape[1]}) (steps, channels), "
                        f"got {tuple(x.shape)}")  # fmt: skip


def check_dropout(rate: float) -> float:
    """``input_dropout`` checked: in [0, 1)."""
    if not 0 <= rate < 1:
        raise ConfigError(f"input_dropout must be in [0, 1), got {rate}")
    return float(rate)


def hide_inputs(x: torch.Tensor, rate: float) -> torch.Tensor:
    """``x`` with a random share ``rate`` of its observed entries set to NaN (missing)."""
    if rate <= 0:
        return x
    drop = (torch.rand_like(x) < rate) & ~torch.isnan(x)
    return x.masked_fill(drop, float("nan"))


def encoder_input(x: torch.Tensor) -> torch.Tensor:
    """The zero-filled window and its observation mask side by side ``(B, T, 2C)``."""
    mask = ~torch.isnan(x)
    return torch.cat([torch.nan_to_num(x), mask.to(x.dtype)], dim=-1)


class WindowImputation:
    """Imputation from a window model's posterior (mixed into :class:`GPVAE` and
    :class:`~vaekit.models.rnn_vae.RNNVAE`, which give ``encode``, ``decode``,
    ``decode_params`` and ``likelihood``)."""

    @torch.no_grad()
    def draw_windows(self, x: torch.Tensor, n_draws: int) -> torch.Tensor:
        """``n_draws`` completions of each window ``(n_draws, B, T, C)``: ``z ~ q(z | x_obs)``
        then every entry from ``p(x | z)`` (observed entries are put back by the caller)."""
        z = self.encode(x).rsample(n_draws)
        return self.likelihood.sample(self.decode_params(z))

    @torch.no_grad()
    def impute_mean(self, x: torch.Tensor, n_samples: int = 1) -> torch.Tensor:
        """``E[x | x_obs]`` estimated with ``n_samples`` posterior draws ``(B, T, C)`` (with
        ``n_samples = 1``: decoded at the posterior mean, as GP-VAE imputes)."""
        q = self.encode(x)
        if n_samples == 1:
            return self.decode(q.mean)
        return self.decode(q.rsample(n_samples)).mean(0)


@register_model(
    "gp-vae",
    "GP-VAE (Fortuin et al. 2020): a Gaussian-process prior over latent trajectories, "
    "for time series with missing values",
)
class GPVAE(WindowImputation, BaseModel):
    """A code ``z_t`` for every step of a window, tied over time by a GP prior.

    The encoder reads the zero-filled window and its mask through a 1-D convolution over
    ``window_size`` steps and a per-step MLP, and gives each latent dimension a Gaussian over
    the whole window with a banded (bidiagonal) precision
    (:class:`~vaekit.distributions.gp.BandedGaussian`). The decoder maps each ``z_t`` to the
    location and scale of every channel at step ``t``; the likelihood
    (:class:`~vaekit.distributions.series.MaskedSeriesLikelihood`) counts observed entries
    only. The objective is ``-E_q[log p(x_obs | z)] + beta KL(q || GP prior)``.

    Parameters
    ----------
    input_shape
        ``(T, C)``: steps per window and channels.
    latent_dim
        Latent trajectories ``D``.
    hidden
        Widths of the encoder (the first is the convolution's channels) and, reversed, of
        the decoder.
    window_size
        Width of the encoder's convolution over time (GP-VAE: 3).
    kernel, length_scale, sigma, kernel_scales
        The GP prior (:class:`~vaekit.distributions.gp.GPPrior`; GP-VAE's defaults: Cauchy,
        length scale 7, sigma 1.005, one scale).
    likelihood
        ``"gaussian"`` or ``"student-t"``.
    beta
        Weight of the KL term.
    k
        Posterior samples per window in the training objective (their mean).
    input_dropout
        In training, the share of observed entries hidden from the encoder (the likelihood
        still scores them), so that the encoder learns to infer entries it does not see:
        the masked-imputation task of SAITS (Du et al. 2023) applied to the VAE.
    """

    modality = "series"
    archs = ("mlp",)
    gaussian_latent = False  # a code per step: active units count one code per example

    def __init__(
        self,
        input_shape: Sequence[int] = (24, 1),
        latent_dim: int = 8,
        hidden: Sequence[int] = (128, 128),
        window_size: int = 3,
        kernel: str = "cauchy",
        length_scale: float = 7.0,
        sigma: float = 1.005,
        kernel_scales: int = 1,
        likelihood: str = "gaussian",
        beta: float = 1.0,
        k: int = 1,
        activation: str = "relu",
        input_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if len(input_shape) != 2 or min(input_shape) < 1:
            raise ConfigError(f"gp-vae takes input_shape (steps, channels), got {input_shape}")
        if window_size < 1 or window_size % 2 == 0:
            raise ConfigError(f"window_size must be an odd number >= 1, got {window_size}")
        if not hidden or k < 1:
            raise ConfigError("gp-vae needs at least one hidden width and k >= 1")
        self.input_shape = tuple(int(s) for s in input_shape)
        steps, channels = self.input_shape
        self.latent_dim, self.beta, self.k = int(latent_dim), float(beta), int(k)
        self.input_dropout = check_dropout(input_dropout)
        self.conv = nn.Conv1d(2 * channels, hidden[0], window_size, padding=window_size // 2)
        self.encoder = MLP(hidden[0], list(hidden[1:]), 3 * self.latent_dim, activation)
        self.act = get_activation(activation)
        self.likelihood = MaskedSeriesLikelihood(channels, likelihood)
        self.decoder = MLP(self.latent_dim, list(reversed(list(hidden))),
                           self.likelihood.param_dim, activation)  # fmt: skip
        self.prior = GPPrior(self.latent_dim, steps, kernel, length_scale, sigma, kernel_scales)

    # ------------------------------------------------------------------ pieces
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> BandedGaussian:
        """q(z | x_obs): a banded Gaussian per latent trajectory (mean ``(B, D, T)``)."""
        check_window(self, x)
        h = self.act(self.conv(encoder_input(x).transpose(1, 2))).transpose(1, 2)  # (B, T, H)
        out = self.encoder(h)  # (B, T, 3D)
        mean, raw_diag, off = out.transpose(1, 2).chunk(3, dim=1)  # (B, D, T) each
        return BandedGaussian(mean, softplus_diag(raw_diag), off[..., :-1])

    def decode_params(self, z: torch.Tensor) -> torch.Tensor:
        """Likelihood parameters ``(..., T, 2C)`` of trajectories ``z (..., D, T)``."""
        return self.decoder(z.transpose(-1, -2))

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The mean window ``(..., T, C)`` of trajectories ``z (..., D, T)``."""
        return self.likelihood.mean(self.decode_params(z))

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, kl_weight: float = 1.0,
             free_bits: float = 0.0) -> LossOutput:  # fmt: skip
        """``-E_q[log p(x_obs | z)] + beta * kl_weight * KL`` per window (batch mean)."""
        q = self.encode(hide_inputs(x, self.input_dropout) if self.training else x)
        z = q.rsample(self.k)  # (k, B, D, T)
        log_px = self.likelihood.log_prob(self.decode_params(z), x).mean(0)  # (B,)
        kl = self.prior.kl(q)  # (B, D)
        kl_per_dim = kl.mean(0)
        penalty = torch.clamp(kl_per_dim, min=free_bits) if free_bits > 0 else kl_per_dim
        weight = self.beta * kl_weight
        recon = -log_px.mean()
        return LossOutput(recon + weight * penalty.sum(), recon, kl_per_dim.sum(), kl_per_dim,
                          weight)  # fmt: skip

    # ------------------------------------------------------------------ use
    @torch.no_grad()
    def sample(self, n: int, labels: Any = None, noise: bool = False) -> torch.Tensor:
        """``n`` new windows ``(n, T, C)`` from the prior: decoded means, or with ``noise``
        one draw of every entry from ``p(x | z)``."""
        params = self.decode_params(self.prior.sample(n))
        return self.likelihood.sample(params) if noise else self.likelihood.mean(params)

    @torch.no_grad()
    def sample_long(self, n: int, steps: int, noise: bool = False) -> torch.Tensor:
        """``n`` series of any length ``(n, steps, C)``: latent trajectories of ``steps``
        from the same GP prior, stitched block by block
        (:meth:`~vaekit.distributions.gp.GPPrior.sample_long`), each step decoded as in a
        window (the decoder reads one step's code at a time)."""
        params = self.decode_params(self.prior.sample_long(n, steps))
        return self.likelihood.sample(params) if noise else self.likelihood.mean(params)
