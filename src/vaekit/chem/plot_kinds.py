"""Figures of a molecule run (a sequence model trained on SMILES, RDKit installed): sampled
molecules drawn by RDKit, the latent map coloured by a property, and property histograms of
generated against real molecules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vaekit.errors import ConfigError
from vaekit.plots.codes import pca_2d
from vaekit.plots.registry import register_plot
from vaekit.plots.run import PlotRun
from vaekit.render.figure import pyplot, save_figure

PROPERTY_NAMES = {"qed": "QED", "logp": "logP", "sa": "SA", "weight": "weight"}


def _property(name: str):  # noqa: ANN202 (an RDKit property function)
    from vaekit.chem.properties import MOSES_PROPERTIES

    if name not in PROPERTY_NAMES:
        raise ConfigError(f"unknown property {name!r}; choose from {', '.join(PROPERTY_NAMES)}")
    return MOSES_PROPERTIES[PROPERTY_NAMES[name]]


def _samples(run: PlotRun, n: int, seed: int = 0) -> list[str]:
    from vaekit.chem.sampling import sample_smiles

    return sample_smiles(run.model, n, seed)


@register_plot("molecules", "sampled molecules drawn by RDKit, with their QED", molecules=True)
def plot_molecules(run: PlotRun, output: Path, n: int = 24, seed: int = 0) -> Path:
    """A grid of the valid ones among ``n`` prior samples (the share valid in the title)."""
    from rdkit.Chem import Draw

    from vaekit.chem import get_mol, qed

    if n < 1:
        raise ConfigError(f"-n must be >= 1, got {n}")
    smiles = _samples(run, n, seed)
    mols = [m for m in (get_mol(s) for s in smiles) if m is not None]
    if not mols:
        raise ConfigError(f"none of {n} samples is a valid molecule; nothing to draw")
    image = Draw.MolsToGridImage(mols, molsPerRow=6, subImgSize=(220, 180),
                                 legends=[f"QED {qed(m):.2f}" for m in mols])  # fmt: skip
    plt = pyplot()
    rows = -(-len(mols) // 6)
    fig, ax = plt.subplots(figsize=(13.2, 1.8 * rows + 0.6))
    ax.imshow(np.asarray(image))
    ax.set_axis_off()
    ax.set_title(f"{len(mols)} valid of {n} samples from the prior ({len(mols) / n:.0%})")
    return save_figure(fig, output)


@register_plot("property-map", "latent means (PCA) coloured by a molecular property",
               molecules=True)  # fmt: skip
def plot_property_map(run: PlotRun, output: Path, prop: str = "qed", n: int = 2000) -> Path:
    """The posterior means of the split's first ``n`` molecules in 2-D, coloured by ``prop``
    (qed, logp, sa, weight): how the latent space orders the property."""
    from vaekit.chem import get_mol

    fn = _property(prop)
    x = run.inputs(n)
    smiles = run.model.to_text(x)
    with torch.no_grad():
        means = torch.cat([run.model.encode(x[i : i + 500]).mean.cpu()
                           for i in range(0, len(x), 500)])  # fmt: skip
    values = np.array([fn(m) if (m := get_mol(s)) is not None else np.nan for s in smiles])
    points = pca_2d(means)[0].numpy() if means.shape[1] > 2 else means.numpy()
    keep = ~np.isnan(values)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    sc = ax.scatter(points[keep, 0], points[keep, 1], c=values[keep], s=6, cmap="viridis")
    fig.colorbar(sc, ax=ax, label=PROPERTY_NAMES[prop])
    ax.set_xlabel("PC 1" if means.shape[1] > 2 else "z0")
    ax.set_ylabel("PC 2" if means.shape[1] > 2 else "z1")
    ax.set_title(f"Latent means of {int(keep.sum())} {run.split} molecules by "
                 f"{PROPERTY_NAMES[prop]}")  # fmt: skip
    return save_figure(fig, output)


@register_plot("properties", "logP, SA, QED and weight of samples against real molecules",
               molecules=True)  # fmt: skip
def plot_properties(run: PlotRun, output: Path, n: int = 2000, seed: int = 0) -> Path:
    """Histograms of the four MOSES properties: ``n`` prior samples (valid ones) against
    the split's first ``n`` molecules, with the Wasserstein-1 distance of each."""
    from scipy.stats import wasserstein_distance

    from vaekit.chem import MOSES_PROPERTIES, get_mol

    real = [m for m in map(get_mol, run.model.to_text(run.inputs(n))) if m is not None]
    gen = [m for m in map(get_mol, _samples(run, n, seed)) if m is not None]
    if not gen:
        raise ConfigError(f"none of {n} samples is a valid molecule; nothing to compare")
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, (name, fn) in zip(axes, MOSES_PROPERTIES.items(), strict=True):
        r, g = np.array([fn(m) for m in real]), np.array([fn(m) for m in gen])
        bins = np.histogram_bin_edges(np.concatenate([r, g]), bins=40)
        ax.hist(r, bins, density=True, alpha=0.5, label=f"{run.split} ({len(r)})")
        ax.hist(g, bins, density=True, alpha=0.5, label=f"generated ({len(g)})")
        ax.set_title(f"{name}: W1 {wasserstein_distance(r, g):.3g}")
    axes[0].legend(fontsize=8)
    return save_figure(fig, output)
