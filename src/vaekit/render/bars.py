"""Bar and line charts: KL per latent dimension, sweep comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.render.figure import pyplot, save_figure


def draw_kl_bars(
    kl: np.ndarray,
    active: np.ndarray,
    collapsed: bool,
    path: str | Path,
    title: str,
) -> Path:
    """Bars of the mean KL per latent dimension; active dimensions in colour.

    ``active`` is a boolean ``(D,)`` mask; the title gains the active-unit count and, when
    ``collapsed``, a posterior-collapse flag.
    """
    kl, active = np.asarray(kl, dtype=float), np.asarray(active, dtype=bool)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.25 * len(kl) + 2), 3.6))
    dims = np.arange(len(kl))
    for mask, color, label in ((active, "C0", "active"), (~active, "0.7", "inactive")):
        if mask.any():
            ax.bar(dims[mask], kl[mask], color=color, label=label)
    n_active = int(active.sum())
    flag = "  -  POSTERIOR COLLAPSE" if collapsed else ""
    ax.set_title(f"{title}\n{n_active} of {len(kl)} units active, total KL {kl.sum():.2f}{flag}",
                 color="C3" if collapsed else "black")  # fmt: skip
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("mean KL (nats)")
    if len(kl) <= 64:
        ax.set_xticks(dims, [str(d) for d in dims], fontsize=7 if len(kl) > 20 else None)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def draw_sweep(
    rows: Sequence[dict[str, Any]],
    param: str,
    columns: Sequence[tuple[str, str]],
    path: str | Path,
    title: str,
) -> Path:
    """One panel per ``(key, label)`` column: the value of each run against ``param``."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns), 3.4), squeeze=False)
    names = [str(r[param]) for r in rows]
    x = np.arange(len(rows))
    for ax, (key, label) in zip(axes[0], columns, strict=True):
        values = [r.get(key, np.nan) for r in rows]
        ax.plot(x, values, marker="o")
        ax.set_xticks(x, names)
        ax.set_xlabel(param)
        ax.set_ylabel(label)
        ax.set_title(label)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
