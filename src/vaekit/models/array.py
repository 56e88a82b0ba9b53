"""Models of fixed-shape examples: an encoder, a decoder to likelihood parameters, a likelihood.

What :class:`~vaekit.models.VAE`, the VQ-VAE and the Mult-DAE share: the input check, the
decoded mean ``E[x|z]``, reconstruction, interpolation and the output-bias initialisation.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import torch
from torch import nn

from vaekit.errors import DataError
from vaekit.models.base import BaseModel
from vaekit.models.paths import lerp, slerp


class ArrayModel(BaseModel):
    """A model of examples shaped ``input_shape`` whose ``decoder`` gives the parameters of
    its ``likelihood`` (with the condition vector, if any, appended to the code)."""

    encoder: nn.Module
    decoder: nn.Module
    likelihood: Any

    def _check_x(self, x: torch.Tensor) -> None:
        if tuple(x.shape[1:]) != self.input_shape:
            raise DataError(
                f"expected inputs of shape (B, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(x.shape)}"
            )

    @abc.abstractmethod
    def decode_params(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Likelihood parameters (Bernoulli logits, Gaussian means): ``(B, *input_shape)``."""

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """E[x|z]: ``(B, *input_shape)`` (pixel probabilities for Bernoulli)."""
        return self.likelihood.mean(self.decode_params(z, y))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decode the posterior means of ``x``: ``(B, *input_shape)``."""
        return self.decode(self.encode(x, y).mean, y)

    @torch.no_grad()
    def interpolate(
        self,
        x_a: torch.Tensor,
        x_b: torch.Tensor,
        steps: int = 10,
        y_a: torch.Tensor | int | None = None,
        y_b: torch.Tensor | int | None = None,
        spherical: bool = False,
    ) -> torch.Tensor:
        """Decode ``steps`` points on the path between the posterior means of two inputs.

        ``x_a`` and ``x_b`` are single examples (``input_shape`` or ``(1, *input_shape)``).
        The path is linear, or spherical (:func:`~vaekit.models.paths.slerp`) with
        ``spherical=True``; a conditional model's label vector moves linearly along it.
        Returns ``(steps, *input_shape)``; the first and last rows are the reconstructions
        of ``x_a`` and ``x_b``.
        """
        x_a = x_a.reshape(1, *self.input_shape).to(self.device)
        x_b = x_b.reshape(1, *self.input_shape).to(self.device)
        ya = None if y_a is None else torch.as_tensor(y_a, device=self.device).reshape(1)
        yb = None if y_b is None else torch.as_tensor(y_b, device=self.device).reshape(1)
        za, zb = self.encode(x_a, ya).mean[0], self.encode(x_b, yb).mean[0]  # (D,)
        z = (slerp if spherical else lerp)(za, zb, steps)  # (steps, D)
        c = self.condition(ya, 1)
        if c is not None:
            c = lerp(c[0], self.condition(yb, 1)[0], steps)  # (steps, C)
            return self.likelihood.mean(self.decoder(torch.cat([z, c], dim=-1)))
        return self.decode(z)

    @torch.no_grad()
    def init_output_bias(self, data_mean: torch.Tensor) -> None:
        """Set the decoder's output bias so that a zero code decodes to the data mean.

        ``data_mean`` has shape ``input_shape`` (Burda et al. 2015 initialise the Bernoulli
        bias to the logit of the training-set mean pixel).
        """
        layer = self.decoder.output_layer
        bias = self.likelihood.init_bias(data_mean.to(layer.bias.device, layer.bias.dtype))
        if layer.bias.numel() == math.prod(self.input_shape):
            layer.bias.copy_(bias.reshape(-1))
        else:  # conv decoder: one bias per output channel
            layer.bias.copy_(bias.reshape(bias.shape[0], -1).mean(1))
