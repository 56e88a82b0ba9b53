"""Convolutional encoder and transposed-convolution decoder for images."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from vaekit.errors import ConfigError
from vaekit.nn.activations import get_activation


def _check_image_shape(shape: Sequence[int], n_down: int) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ConfigError(
            f"the conv architecture needs image data (C, H, W); got input shape {tuple(shape)}"
        )
    c, h, w = shape
    factor = 2**n_down
    if h % factor or w % factor:
        raise ConfigError(
            f"the conv architecture with {n_down} stride-2 layers needs H and W divisible by "
            f"{factor}; got {h}x{w}"
        )
    return c, h, w


class ConvEncoder(nn.Module):
    """Stride-2 convolutions, then a linear layer to ``hidden`` features.

    ``forward(x, c)`` maps ``(B, C, H, W)`` (and optional ``(B, cond_dim)``) to
    ``(B, hidden)``.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        channels: Sequence[int] = (32, 64),
        hidden: int = 256,
        cond_dim: int = 0,
        activation: str = "relu",
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        c, h, w = _check_image_shape(input_shape, len(channels))
        layers: list[nn.Module] = []
        for ch in channels:
            layers.append(nn.Conv2d(c, ch, 4, stride=2, padding=1, bias=not batchnorm))
            if batchnorm:
                layers.append(nn.BatchNorm2d(ch))
            layers.append(get_activation(activation))
            c = ch
        self.conv = nn.Sequential(*layers)
        flat = c * (h >> len(channels)) * (w >> len(channels))
        self.fc = nn.Sequential(nn.Linear(flat + cond_dim, hidden), get_activation(activation))
        self.out_dim = hidden

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv(x).flatten(1)  # (B, C' * H' * W')
        if c is not None:
            h = torch.cat([h, c], dim=1)
        return self.fc(h)


class ConvDecoder(nn.Module):
    """Linear layers up to a small feature map, then stride-2 transposed convolutions.

    ``forward(z)`` maps ``(B, in_dim)`` to ``(B, *output_shape)``.
    """

    def __init__(
        self,
        in_dim: int,
        output_shape: Sequence[int],
        channels: Sequence[int] = (32, 64),
        hidden: int = 256,
        activation: str = "relu",
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        out_c, h, w = _check_image_shape(output_shape, len(channels))
        self.output_shape = tuple(output_shape)
        rev = list(reversed(channels))
        self.start = (rev[0], h >> len(channels), w >> len(channels))
        self.fc = nn.Sequential(
            nn.Linear(in_dim, hidden),
            get_activation(activation),
            nn.Linear(hidden, math.prod(self.start)),
            get_activation(activation),
        )
        layers: list[nn.Module] = []
        for i, ch in enumerate(rev):
            last = i == len(rev) - 1
            nxt = out_c if last else rev[i + 1]
            layers.append(
                nn.ConvTranspose2d(ch, nxt, 4, stride=2, padding=1, bias=last or not batchnorm)
            )
            if not last:
                if batchnorm:
                    layers.append(nn.BatchNorm2d(nxt))
                layers.append(get_activation(activation))
        self.deconv = nn.Sequential(*layers)

    @property
    def output_layer(self) -> nn.ConvTranspose2d:
        """The last transposed convolution (its bias can be set from data statistics)."""
        return self.deconv[-1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], *self.start)  # (B, C0, H0, W0)
        return self.deconv(h)  # (B, C, H, W)
