"""The second stage of a VQ-VAE as a model the Trainer can fit: an autoregressive prior over
code grids, whose loss is ``-log p(codes)`` per grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from vaekit.models.base import BaseModel
from vaekit.nn.pixelcnn import PixelCNNPrior
from vaekit.objectives import LossOutput


class CodeGridPrior(BaseModel):
    """A PixelCNN prior over ``(H, W)`` grids of ``num_codes`` codes (not registered: it is
    fitted by ``vaekit train-prior`` and its weights go back into the VQ-VAE).

    Parameters
    ----------
    num_codes
        Size of the code alphabet.
    grid
        ``(H, W)`` of a code grid.
    width, layers
        The PixelCNN's channels and residual layers (the VQ-VAE's ``prior_width`` and
        ``prior_layers``).
    """

    registry_name = "code-prior"
    has_latent = False
    variational = False
    gaussian_latent = False
    latent_dim = 0
    beta = 1.0  # no KL term: the schedule's weight has nothing to weigh

    def __init__(self, num_codes: int, grid: Sequence[int], width: int = 64,
                 layers: int = 6) -> None:  # fmt: skip
        super().__init__()
        self.grid = tuple(int(g) for g in grid)
        self.input_shape = self.grid
        self.prior = PixelCNNPrior(int(num_codes), int(width), int(layers))

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, kl_weight: float = 1.0,
             free_bits: float = 0.0, **unused: Any) -> LossOutput:  # fmt: skip
        """``-log p(x)`` of the code grids ``x`` ``(B, H, W)``, mean over the batch."""
        nll = self.prior.nll(x).mean()
        zero = nll.new_zeros(())
        return LossOutput(total=nll, reconstruction=nll, kl=zero, kl_per_dim=nll.new_zeros(0))

    def encode(self, x: torch.Tensor) -> Any:
        raise NotImplementedError("a code prior has no encoder")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("a code prior has no decoder")
