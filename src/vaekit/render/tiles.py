"""Images tiled in rows and columns, with labelled axes (samples, manifolds, traversals)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vaekit.render.figure import pyplot, save_figure
from vaekit.render.grid import tile_images

PAD = 2


def draw_tiles(
    images: np.ndarray,
    cols: int,
    path: str | Path,
    title: str,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Path:
    """Draw ``(R * cols, C, H, W)`` images in ``R`` rows of ``cols``, with axis labels.

    ``row_labels`` (``R``) and ``col_labels`` (``cols``) become tick labels at the centres of
    the rows and columns; without them the axes are hidden.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    n, _, h, w = images.shape
    rows = -(-n // cols)
    grid = tile_images(images, nrow=cols, pad=PAD)
    plt = pyplot()
    scale = 0.028  # inches per pixel
    fig, ax = plt.subplots(
        figsize=(max(3.0, grid.shape[1] * scale + 1.2), max(2.0, grid.shape[0] * scale + 0.8))
    )
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_title(title)
    if row_labels is not None:
        if len(row_labels) != rows:
            raise ValueError(f"{len(row_labels)} row labels for {rows} rows")
        ax.set_yticks([PAD + r * (h + PAD) + h / 2 for r in range(rows)], list(row_labels))
    else:
        ax.set_yticks([])
    if col_labels is not None:
        if len(col_labels) != cols:
            raise ValueError(f"{len(col_labels)} column labels for {cols} columns")
        ax.set_xticks([PAD + c * (w + PAD) + w / 2 for c in range(cols)], list(col_labels))
        if cols > 12:
            ax.tick_params(axis="x", labelrotation=90)
    else:
        ax.set_xticks([])
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return save_figure(fig, path)
