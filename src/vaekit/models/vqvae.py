"""VQ-VAE (van den Oord et al. 2017): a convolutional autoencoder with a discrete code grid,
an EMA codebook, and a PixelCNN prior over the codes for generation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaekit.distributions import DiagonalNormal
from vaekit.distributions.likelihoods import make_likelihood
from vaekit.distributions.posteriors import LOGVAR_MIN
from vaekit.errors import ConfigError
from vaekit.models.array import ArrayModel
from vaekit.models.registry import register_model
from vaekit.nn import get_activation
from vaekit.nn.pixelcnn import PixelCNNPrior
from vaekit.nn.quantizer import Quantized, VectorQuantizerEMA
from vaekit.objectives import LossOutput


def _conv_stack(c_in: int, channels: Sequence[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for c in channels:  # each halves the resolution
        layers += [nn.Conv2d(c_in, c, 4, 2, 1), get_activation(activation)]
        c_in = c
    return nn.Sequential(*layers)


class _Decoder(nn.Module):
    def __init__(self, code_dim: int, channels: Sequence[int], c_out: int, act: str) -> None:
        super().__init__()
        rev = list(reversed(channels))
        layers: list[nn.Module] = [nn.Conv2d(code_dim, rev[0], 3, padding=1), get_activation(act)]
        for a, b in zip(rev, rev[1:], strict=False):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), get_activation(act)]
        self.body = nn.Sequential(*layers)
        self.output_layer = nn.ConvTranspose2d(rev[-1], c_out, 4, 2, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.output_layer(self.body(z))


@register_model("vqvae", "VQ-VAE (van den Oord et al. 2017): EMA codebook + PixelCNN code prior")
class VQVAE(ArrayModel):
    """Convolutional VQ-VAE with ``num_codes`` codes of dimension ``code_dim``.

    Images ``(C, H, W)`` with ``H`` and ``W`` divisible by ``2^len(channels)`` become a grid
    of codes (MNIST with two layers: 7 x 7). The loss is ``-log p(x|z_q) + commitment *
    ||z_e - sg(z_q)||^2``; the codebook follows EMA cluster means. The reported KL is the
    constant ``H W log K`` of a uniform prior over codes (van den Oord et al. 2017), so that
    ``loss + KL`` is the usual bound. ``encode`` returns the flattened pre-quantisation code
    ``z_e`` (``latent_dim = code_dim * H * W``) as a point mass; ``decode`` quantises it.
    :meth:`sample` draws code grids from the PixelCNN prior (trained by ``vaekit
    train-prior`` or ``train.prior_epochs``).
    """

    extra_options = ("num_codes", "commitment")
    gaussian_latent = False
    #: accepted like every array model's, but the architecture is this class's own
    fixed_arguments = ("arch", "hidden")

    def __init__(
        self,
        input_shape: Sequence[int] = (1, 28, 28),
        latent_dim: int = 16,
        arch: str = "conv",
        hidden: Sequence[int] = (),
        activation: str = "relu",
        likelihood: str = "bernoulli",
        sigma: float = 1.0,
        channels: Sequence[int] = (32, 64),
        num_codes: int = 128,
        commitment: float = 0.25,
        prior_width: int = 64,
        prior_layers: int = 6,
        **unused: Any,
    ) -> None:
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        if len(self.input_shape) != 3:
            raise ConfigError(f"vqvae needs (C, H, W) images, got inputs {self.input_shape}")
        scale = 2 ** len(channels)
        c, h, w = self.input_shape
        if h % scale or w % scale or not channels:
            raise ConfigError(f"vqvae: image sides must be divisible by {scale}, got {h}x{w}")
        if commitment < 0:
            raise ConfigError(f"commitment must be >= 0, got {commitment}")
        self.code_dim, self.num_codes, self.commitment = int(latent_dim), int(num_codes), commitment
        self.grid = (h // scale, w // scale)
        self.latent_dim = self.code_dim * self.grid[0] * self.grid[1]
        self.beta = 1.0
        self.encoder = nn.Sequential(
            _conv_stack(c, channels, activation), nn.Conv2d(channels[-1], self.code_dim, 1)
        )
        self.quantizer = VectorQuantizerEMA(self.num_codes, self.code_dim)
        self.decoder = _Decoder(self.code_dim, channels, c, activation)
        self.likelihood = make_likelihood(likelihood, self.input_shape, sigma)
        self.code_prior = PixelCNNPrior(self.num_codes, prior_width, prior_layers)
        self.register_buffer("prior_steps", torch.zeros((), dtype=torch.long))

    def parameters_outside_loss(self) -> list[nn.Parameter]:
        """The PixelCNN code prior: trained afterwards on the codes (``train-prior``)."""
        return list(self.code_prior.parameters())

    # ----------------------------------------------------------------- codes
    def quantize(self, x: torch.Tensor) -> Quantized:
        """Encode and quantise ``x``: codes ``(B, D, h, w)`` and indices ``(B, h, w)``."""
        self._check_x(x)
        return self.quantizer(self.encoder(x))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Code indices of ``x``: ``(B, h, w)``."""
        return self.quantize(x).indices

    def decode_codes(self, indices: torch.Tensor) -> torch.Tensor:
        """E[x | codes] for index grids ``(B, h, w)``."""
        return self.likelihood.mean(self.decoder(self.quantizer.lookup(indices)))

    # ----------------------------------------------------------------- VAE surface
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DiagonalNormal:
        """The flattened pre-quantisation code as a point mass: mean ``(B, latent_dim)``."""
        self._check_x(x)
        z_e = self.encoder(x).flatten(1)
        return DiagonalNormal(z_e, torch.full_like(z_e, LOGVAR_MIN))

    def decode_params(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        z_e = z.reshape(z.shape[0], self.code_dim, *self.grid)
        return self.decoder(
            self.quantizer.lookup(
                self.quantizer.nearest(z_e.permute(0, 2, 3, 1).reshape(-1, self.code_dim)).view(
                    z.shape[0], *self.grid
                )
            )
        )

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        q = self.quantize(x)
        log_px = self.likelihood.log_prob(self.decoder(q.z_q), x)  # (B,)
        reconstruction = -log_px.mean()
        total = reconstruction + self.commitment * q.commitment
        kl = self.grid[0] * self.grid[1] * math.log(self.num_codes)
        kl_per_dim = torch.full((self.latent_dim,), kl / self.latent_dim, device=x.device)
        extra = {"perplexity": q.perplexity.detach(), "commitment": q.commitment.detach()}
        return LossOutput(total, reconstruction, kl_per_dim.sum(), kl_per_dim, 0.0, extra)

    def kl_per_dim(self, q: Any) -> torch.Tensor:
        b = q.mean.shape[0]
        kl = self.grid[0] * self.grid[1] * math.log(self.num_codes) / self.latent_dim
        return torch.full((b, self.latent_dim), kl, device=q.mean.device)

    def log_weights(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        raise ConfigError("vqvae has no importance-sampled likelihood; drop --iw")

    @torch.no_grad()
    def sample(
        self, n: int, labels: int | Sequence[int] | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Code grids from the PixelCNN prior, decoded: ``(n, *input_shape)``."""
        if labels is not None:
            raise ConfigError("vqvae is not conditional; drop the label")
        codes = self.code_prior.sample(n, self.grid, self.device)
        return self.decode_codes(codes)
