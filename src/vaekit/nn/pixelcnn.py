"""A small gated-free PixelCNN over grids of discrete codes (van den Oord et al. 2016)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only the positions before the centre in raster order.

    Mask ``"A"`` also hides the centre (first layer); ``"B"`` lets it through.
    """

    def __init__(self, mask_type: str, in_ch: int, out_ch: int, kernel: int) -> None:
        super().__init__(in_ch, out_ch, kernel, padding=kernel // 2)
        mask = torch.ones_like(self.weight)
        c = kernel // 2
        mask[:, :, c, c + (mask_type == "B") :] = 0
        mask[:, :, c + 1 :, :] = 0
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNNPrior(nn.Module):
    """An autoregressive prior ``p(c) = prod_i p(c_i | c_<i)`` over ``(H, W)`` code grids.

    Parameters
    ----------
    num_codes
        Size of the code alphabet ``K``.
    width, layers
        Channels and the number of residual masked-convolution layers.
    """

    def __init__(self, num_codes: int, width: int = 64, layers: int = 6) -> None:
        super().__init__()
        self.num_codes = num_codes
        self.embed = nn.Embedding(num_codes, width)
        self.first = MaskedConv2d("A", width, width, 7)
        self.blocks = nn.ModuleList(MaskedConv2d("B", width, width, 3) for _ in range(layers))
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(width, width, 1), nn.ReLU(),
                                 nn.Conv2d(width, num_codes, 1))  # fmt: skip

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, K, H, W)`` of each position given the codes before it."""
        h = self.first(self.embed(codes).permute(0, 3, 1, 2))
        for block in self.blocks:
            h = h + block(F.relu(h))
        return self.out(h)

    def nll(self, codes: torch.Tensor) -> torch.Tensor:
        """``-log p(codes)`` per grid, in nats: ``(B,)``."""
        logp = F.cross_entropy(self(codes), codes, reduction="none")  # (B, H, W)
        return logp.flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int, shape: tuple[int, int], device: torch.device | str = "cpu",
               temperature: float = 1.0) -> torch.Tensor:  # fmt: skip
        """Draw ``n`` grids ``(n, H, W)`` position by position."""
        codes = torch.zeros(n, *shape, dtype=torch.long, device=device)
        for i in range(shape[0]):
            for j in range(shape[1]):
                logits = self(codes)[:, :, i, j] / temperature
                codes[:, i, j] = torch.multinomial(torch.softmax(logits, 1), 1).squeeze(1)
        return codes
