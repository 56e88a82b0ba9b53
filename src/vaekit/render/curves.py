"""Training curves from the per-epoch records of ``metrics.jsonl``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vaekit.render.figure import pyplot, save_figure

#: (panel title, record key without the split prefix, y label)
PANELS = (
    ("Total loss (negative ELBO)", "loss", "nats per example"),
    ("Reconstruction", "recon", "nats per example"),
    ("KL divergence", "kl", "nats per example"),
)


def draw_training_curves(records: Sequence[dict[str, Any]], path: str | Path, title: str) -> Path:
    """Loss, reconstruction and KL for train and validation, and the beta schedule.

    ``records`` are dicts with ``epoch``, ``train_loss``, ``train_recon``, ``train_kl``,
    optionally the ``val_`` counterparts, and ``beta`` (the KL weight used that epoch).
    """
    if not records:
        raise ValueError("no training records to draw")
    plt = pyplot()
    epochs = [r["epoch"] for r in records]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, (name, key, ylabel) in zip(axes, PANELS, strict=False):
        for split, style in (("train", "-"), ("val", "--")):
            values = [r.get(f"{split}_{key}") for r in records]
            if all(v is not None for v in values):
                ax.plot(epochs, values, style, marker="." if len(epochs) < 30 else None,
                        label=split)  # fmt: skip
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend()
        ax.grid(alpha=0.3)
    ax = axes[3]
    ax.step(epochs, [r.get("beta", 1.0) for r in records], where="post", color="C2")
    ax.set_title("KL weight (beta schedule)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("beta")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
