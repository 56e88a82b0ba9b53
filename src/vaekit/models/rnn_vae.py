"""A recurrent VAE for windows of a multivariate time series: one code per window, GRU
encoder and decoder (as LSTM-VAE and TimeVAE use for generation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaekit.distributions.posteriors import DiagonalGaussianHead, DiagonalNormal
from vaekit.distributions.priors import StandardNormal
from vaekit.distributions.series import MaskedSeriesLikelihood
from vaekit.errors import ConfigError
from vaekit.models.base import BaseModel
from vaekit.models.gpvae import (
    WindowImputation,
    check_dropout,
    check_window,
    encoder_input,
    hide_inputs,
)
from vaekit.models.registry import register_model
from vaekit.objectives import LossOutput


@register_model(
    "rnn-vae",
    "Recurrent VAE for time-series windows (GRU encoder and decoder, one code per window), "
    "for generation and imputation",
)
class RNNVAE(WindowImputation, BaseModel):
    """A window ``(T, C)`` encoded by a GRU into one code ``z``, decoded by a GRU.

    The encoder reads the zero-filled window and its mask step by step; its last hidden
    state gives ``q(z | x_obs)``, a diagonal Gaussian. The decoder starts from a state made
    from ``z``, reads ``z`` and the step's position (``t / T``) at every step, and gives the
    location and scale of every channel; the likelihood counts observed entries only. The
    prior is ``N(0, I)``, so :meth:`sample` draws whole new windows.

    Parameters
    ----------
    input_shape
        ``(T, C)``: steps per window and channels.
    latent_dim
        Size of the code.
    hidden_size, num_layers
        The GRUs' state size and depth.
    likelihood
        ``"gaussian"`` or ``"student-t"``.
    beta
        Weight of the KL term.
    input_dropout
        In training, the share of observed entries hidden from the encoder (still scored
        by the likelihood), as in :class:`~vaekit.models.gpvae.GPVAE`.
    """

    modality = "series"
    archs = ("mlp",)

    def __init__(
        self,
        input_shape: Sequence[int] = (24, 1),
        latent_dim: int = 16,
        hidden_size: int = 64,
        num_layers: int = 1,
        likelihood: str = "gaussian",
        beta: float = 1.0,
        input_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if len(input_shape) != 2 or min(input_shape) < 1:
            raise ConfigError(f"rnn-vae takes input_shape (steps, channels), got {input_shape}")
        if hidden_size < 1 or num_layers < 1 or latent_dim < 1:
            raise ConfigError("rnn-vae needs latent_dim, hidden_size and num_layers >= 1")
        self.input_shape = tuple(int(s) for s in input_shape)
        steps, channels = self.input_shape
        self.latent_dim, self.beta = int(latent_dim), float(beta)
        self.input_dropout = check_dropout(input_dropout)
        self.num_layers, self.hidden_size = int(num_layers), int(hidden_size)
        self.encoder = nn.GRU(2 * channels, hidden_size, num_layers, batch_first=True)
        self.head = DiagonalGaussianHead(hidden_size, self.latent_dim)
        self.to_state = nn.Linear(self.latent_dim, num_layers * hidden_size)
        self.decoder = nn.GRU(self.latent_dim + 1, hidden_size, num_layers, batch_first=True)
        self.likelihood = MaskedSeriesLikelihood(channels, likelihood)
        self.output = nn.Linear(hidden_size, self.likelihood.param_dim)
        self.prior = StandardNormal(self.latent_dim)
        self.register_buffer("position", torch.linspace(0, 1, steps).view(1, steps, 1))

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DiagonalNormal:
        """q(z | x_obs) ``(B, latent_dim)``."""
        check_window(self, x)
        _, h = self.encoder(encoder_input(x))  # (layers, B, H)
        return self.head(h[-1])

    def decode_params(self, z: torch.Tensor) -> torch.Tensor:
        """Likelihood parameters ``(..., T, 2C)`` of codes ``z (..., latent_dim)``."""
        lead = z.shape[:-1]
        z2 = z.reshape(-1, self.latent_dim)  # (N, d)
        n, steps = z2.shape[0], self.input_shape[0]
        state = torch.tanh(self.to_state(z2)).view(n, self.num_layers, self.hidden_size)
        inputs = torch.cat([z2.unsqueeze(1).expand(n, steps, -1),
                            self.position.expand(n, steps, 1)], dim=-1)  # fmt: skip
        out, _ = self.decoder(inputs, state.transpose(0, 1).contiguous())
        return self.output(out).view(*lead, steps, -1)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The mean window ``(..., T, C)`` of codes ``z``."""
        return self.likelihood.mean(self.decode_params(z))

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, kl_weight: float = 1.0,
             free_bits: float = 0.0) -> LossOutput:  # fmt: skip
        """``-E_q[log p(x_obs | z)] + beta * kl_weight * KL`` per window (batch mean)."""
        q = self.encode(hide_inputs(x, self.input_dropout) if self.training else x)
        log_px = self.likelihood.log_prob(self.decode_params(q.rsample()), x)  # (B,)
        kl_per_dim = self.prior.kl_per_dim(q).mean(0)  # (d,)
        penalty = torch.clamp(kl_per_dim, min=free_bits) if free_bits > 0 else kl_per_dim
        weight = self.beta * kl_weight
        recon = -log_px.mean()
        return LossOutput(recon + weight * penalty.sum(), recon, kl_per_dim.sum(), kl_per_dim,
                          weight)  # fmt: skip

    @torch.no_grad()
    def sample(self, n: int, labels: Any = None, noise: bool = False) -> torch.Tensor:
        """``n`` new windows ``(n, T, C)`` from the prior: decoded means, or with ``noise``
        one draw of every entry from ``p(x | z)``."""
        params = self.decode_params(self.prior.sample(n, self.position.device))
        return self.likelihood.sample(params) if noise else self.likelihood.mean(params)
