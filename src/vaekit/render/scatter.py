"""The latent map: 2-D points coloured by class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vaekit.render.figure import pyplot, save_figure

#: classes up to this count get a legend; more get a colour bar
MAX_LEGEND = 20


def draw_latent_map(
    points: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str],
    path: str | Path,
    title: str,
    xlabel: str,
    ylabel: str,
) -> Path:
    """Scatter ``(N, 2)`` points, coloured by ``labels`` with a legend of ``class_names``."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"expected (N, 2) points, got shape {points.shape}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    style = {"s": 4, "alpha": 0.6, "linewidths": 0}
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], color="C0", **style)
    else:
        labels = np.asarray(labels)
        k = max(len(class_names), int(labels.max()) + 1)
        names = list(class_names) + [str(i) for i in range(len(class_names), k)]
        if k <= MAX_LEGEND:
            cmap = plt.get_cmap("tab10" if k <= 10 else "tab20")
            for c in range(k):
                m = labels == c
                if m.any():
                    ax.scatter(points[m, 0], points[m, 1], color=cmap(c), label=names[c], **style)
            ax.legend(title="class", markerscale=3, loc="center left", bbox_to_anchor=(1, 0.5))
        else:
            sc = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="viridis", **style)
            fig.colorbar(sc, ax=ax, label="class")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)
