"""Figures of numbers: training curves, the latent map and KL per dimension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.errors import ConfigError
from vaekit.eval.latent import ACTIVE_THRESHOLD, COLLAPSE_KL
from vaekit.plots.codes import pca_2d
from vaekit.plots.registry import register_plot
from vaekit.plots.run import PlotRun
from vaekit.render.bars import draw_kl_bars
from vaekit.render.curves import draw_training_curves
from vaekit.render.scatter import draw_latent_map

PROJECTIONS = ("pca", "tsne", "umap")


@register_plot("curves", "loss, reconstruction and KL for train/val, and the beta schedule")
def plot_curves(run: PlotRun, output: Path) -> Path:
    records = run.records()
    if not records:
        raise ConfigError(f"{run.run_dir} has no training records (metrics.jsonl)")
    return draw_training_curves(records, output, f"Training curves: {run.run_dir.name}")


def latent_map_data(run: PlotRun, method: str = "pca", n: int = 5000, seed: int = 0) -> dict:
    """2-D coordinates of the posterior means of the first ``n`` examples, with labels.

    2-D latents are shown directly; more dimensions go through PCA, or t-SNE
    (scikit-learn) or UMAP (umap-learn) when those are installed.
    """
    if method not in PROJECTIONS:
        raise ConfigError(f"unknown projection {method!r}; choose from {', '.join(PROJECTIONS)}")
    means, _, labels = run.posterior()
    means, labels = means[:n], None if labels is None else labels[:n]
    d = means.shape[1]
    if d == 1:
        points = torch.stack([means[:, 0], torch.zeros_like(means[:, 0])], 1)
        axes = ("z0", "(1-D latent)")
    elif d == 2:
        points, axes = means, ("z0", "z1")
    elif method == "pca":
        points, frac = pca_2d(means)
        axes = (f"PC1 ({100 * frac[0]:.0f}% of variance)", f"PC2 ({100 * frac[1]:.0f}%)")
    else:
        points, axes = (
            torch.as_tensor(_embed(means.numpy(), method, seed)),
            (
                f"{method} 1",
                f"{method} 2",
            ),
        )
    return {"points": points, "labels": labels, "axes": axes, "latent_dim": d}


def _embed(x: np.ndarray, method: str, seed: int) -> np.ndarray:
    try:
        if method == "tsne":
            from sklearn.manifold import TSNE

            return TSNE(2, init="pca", random_state=seed).fit_transform(x)
        import umap

        return umap.UMAP(n_components=2, random_state=seed).fit_transform(x)
    except ImportError:
        package = "scikit-learn" if method == "tsne" else "umap-learn"
        raise ConfigError(
            f"--method {method} needs {package} (pip install {package}); or use --method pca"
        ) from None


@register_plot("latent-map", "posterior means coloured by class (PCA, t-SNE or UMAP above 2-D)")
def plot_latent_map(
    run: PlotRun, output: Path, method: str = "pca", n: int = 5000, seed: int = 0
) -> Path:
    data = latent_map_data(run, method, n, seed)
    how = "" if data["latent_dim"] <= 2 else f", {method.upper()} of {data['latent_dim']}-D"
    labels = None if data["labels"] is None else data["labels"].numpy()
    return draw_latent_map(
        data["points"].numpy(), labels, run.class_names, output,
        f"Latent map: posterior means of {len(data['points'])} {run.split} examples{how}",
        *data["axes"],
    )  # fmt: skip


def kl_data(run: PlotRun) -> dict[str, Any]:
    """Mean KL per dimension, the active units (Var_x E_q[z_d] > 0.01) and a collapse flag."""
    kl = run.kl_per_dim()
    count, variances = run.active_units()
    active = np.asarray(variances) > ACTIVE_THRESHOLD
    collapsed = count == 0 or float(kl.sum()) < COLLAPSE_KL
    return {"kl": kl, "active": active, "active_units": count, "collapsed": collapsed}


@register_plot("kl", "mean KL per latent dimension with the active units and a collapse flag")
def plot_kl(run: PlotRun, output: Path) -> Path:
    d = kl_data(run)
    return draw_kl_bars(
        d["kl"].numpy(), d["active"], d["collapsed"], output,
        f"KL per dimension ({run.split} split)",
    )  # fmt: skip
