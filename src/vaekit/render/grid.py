"""Tile a batch of images into one picture."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def tile_images(images: np.ndarray, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    """Arrange ``(N, C, H, W)`` or ``(N, H, W)`` images in a grid.

    Returns ``(rows*(H+pad)+pad, cols*(W+pad)+pad)`` for one channel, or with a trailing
    channel axis for three. Values are clipped to [0, 1].
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected (N, 1|3, H, W) images, got shape {images.shape}")
    n, c, h, w = images.shape
    cols = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.ones((c, rows * (h + pad) + pad, cols * (w + pad) + pad), dtype=np.float32)
    for i in range(n):
        r, col = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top : top + h, left : left + w] = images[i]
    grid = np.clip(grid, 0, 1)
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def save_image_grid(path: str | Path, images: np.ndarray, nrow: int | None = None) -> Path:
    """Save a tiled grid of images as a PNG (greyscale or RGB)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = tile_images(images, nrow)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1)
    return path
