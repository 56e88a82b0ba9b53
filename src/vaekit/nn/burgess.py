"""The convolutional encoder and decoder of the disentanglement literature.

As disentanglement_lib's ``conv_encoder`` / ``deconv_decoder`` (the architecture of
Locatello et al. 2019, after Higgins et al. 2017 and Burgess et al. 2018), for 64x64 images:

- encoder: conv 32 (4x4, stride 2), conv 32 (4x4, stride 2), conv 64 (2x2, stride 2),
  conv 64 (2x2, stride 2), each with ReLU ("same" padding), flatten, dense 256 + ReLU;
  the posterior head then maps the 256 features to means and log-variances;
- decoder: dense 256 + ReLU, dense 1024 + ReLU, reshape to 64x4x4, transposed convs
  64, 32, 32 (4x4, stride 2, ReLU) and a last one to the image channels (4x4, stride 2)
  giving the logits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from vaekit.errors import ConfigError

HIDDEN = 256


def _check(shape: Sequence[int]) -> tuple[int, int, int]:
    if len(shape) != 3 or tuple(shape[1:]) != (64, 64):
        raise ConfigError(
            f"the burgess architecture takes 64x64 images (C, 64, 64); got input shape "
            f"{tuple(shape)}"
        )
    return int(shape[0]), 64, 64


class BurgessEncoder(nn.Module):
    """``forward(x, c)``: ``(B, C, 64, 64)`` (and optional ``(B, cond_dim)``) to ``(B, 256)``."""

    def __init__(self, input_shape: Sequence[int], cond_dim: int = 0) -> None:
        super().__init__()
        c, _, _ = _check(input_shape)
        self.conv = nn.Sequential(
            nn.Conv2d(c, 32, 4, stride=2, padding=1),  # (B, 32, 32, 32)
            nn.ReLU(),
            nn.Conv2d(32, 32, 4, stride=2, padding=1),  # (B, 32, 16, 16)
            nn.ReLU(),
            nn.Conv2d(32, 64, 2, stride=2),  # (B, 64, 8, 8)
            nn.ReLU(),
            nn.Conv2d(64, 64, 2, stride=2),  # (B, 64, 4, 4)
            nn.ReLU(),
        )
        self.fc = nn.Sequential(nn.Linear(64 * 4 * 4 + cond_dim, HIDDEN), nn.ReLU())
        self.out_dim = HIDDEN

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv(x).flatten(1)  # (B, 1024)
        if c is not None:
            h = torch.cat([h, c], dim=1)
        return self.fc(h)


class BurgessDecoder(nn.Module):
    """``forward(z)``: ``(B, in_dim)`` to ``(B, C, 64, 64)`` (logits or means)."""

    def __init__(self, in_dim: int, output_shape: Sequence[int]) -> None:
        super().__init__()
        c, _, _ = _check(output_shape)
        self.output_shape = tuple(output_shape)
        self.fc = nn.Sequential(
            nn.Linear(in_dim, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 64 * 4 * 4), nn.ReLU()
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(64, 64, 4, stride=2, padding=1),  # (B, 64, 8, 8)
            nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),  # (B, 32, 16, 16)
            nn.ReLU(),
            nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1),  # (B, 32, 32, 32)
            nn.ReLU(),
            nn.ConvTranspose2d(32, c, 4, stride=2, padding=1),  # (B, C, 64, 64)
        )
        assert math.prod(self.output_shape) == c * 64 * 64

    @property
    def output_layer(self) -> nn.ConvTranspose2d:
        """The last transposed convolution (its bias can be set from data statistics)."""
        return self.deconv[-1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], 64, 4, 4)  # (B, 64, 4, 4)
        return self.deconv(h)  # (B, C, 64, 64)
