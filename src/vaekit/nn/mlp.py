"""Multi-layer perceptrons and the MLP encoder/decoder bodies."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from vaekit.nn.activations import get_activation


class MLP(nn.Sequential):
    """Linear layers with an activation after each hidden layer.

    Parameters
    ----------
    in_dim, out_dim
        Input and output widths. ``out_dim=None`` ends with the last hidden layer
        (followed by its activation).
    hidden
        Widths of the hidden layers.
    activation
        Activation name, see :func:`vaekit.nn.get_activation`.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        out_dim: int | None = None,
        activation: str = "relu",
    ) -> None:
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), get_activation(activation)]
            width = h
        if out_dim is not None:
            layers.append(nn.Linear(width, out_dim))
            width = out_dim
        super().__init__(*layers)
        self.out_dim = width


class MLPEncoder(nn.Module):
    """Flatten ``x`` (and append a condition vector) then apply an MLP body.

    ``forward(x, c)`` maps ``(B, *input_shape)`` and optional ``(B, cond_dim)`` to
    ``(B, out_dim)`` features.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        hidden: Sequence[int],
        cond_dim: int = 0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.body = MLP(math.prod(input_shape) + cond_dim, hidden, None, activation)
        self.out_dim = self.body.out_dim

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = x.flatten(1)  # (B, prod(input_shape))
        if c is not None:
            h = torch.cat([h, c], dim=1)
        return self.body(h)


class MLPDecoder(nn.Module):
    """Map a latent code (with any condition appended) to likelihood parameters.

    ``forward(z)`` maps ``(B, in_dim)`` to ``(B, *output_shape)``.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        output_shape: Sequence[int],
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.output_shape = tuple(output_shape)
        self.body = MLP(in_dim, hidden, math.prod(output_shape), activation)

    @property
    def output_layer(self) -> nn.Linear:
        """The last linear layer (its bias can be set from data statistics)."""
        return self.body[-1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z).view(z.shape[0], *self.output_shape)
