"""Latent codes behind the figures: grids, paths, traversals and attribute vectors.

Pure tensor functions (no model, no drawing), so that what a figure shows can be tested.
"""

from __future__ import annotations

import torch

from vaekit.errors import ConfigError
from vaekit.models.paths import lerp, slerp

__all__ = [
    "attribute_vector",
    "class_mean",
    "kl_order",
    "lerp",
    "manifold_codes",
    "normal_grid_values",
    "pca_2d",
    "slerp",
    "traversal_codes",
]


def normal_grid_values(n: int) -> torch.Tensor:
    """``n`` values ``Phi^-1((i + 0.5) / n)``: equal prior mass between neighbours, ``(n,)``.

    A regular grid placed through the inverse normal CDF covers the mass of N(0, 1)
    (Kingma & Welling 2014, figure 4).
    """
    if n < 2:
        raise ConfigError(f"the grid needs n >= 2 points per side, got {n}")
    p = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return torch.special.ndtri(p).float()


def manifold_codes(
    n: int, latent_dim: int, dims: tuple[int, int] = (0, 1), base: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes on an ``n x n`` normal grid in the plane of ``dims``; other dimensions at ``base``.

    Returns
    -------
    z : torch.Tensor
        ``(n * n, latent_dim)``, row-major: row ``r`` of the picture has ``z[dims[1]]``
        decreasing from the top, column ``c`` has ``z[dims[0]]`` increasing to the right.
    values : torch.Tensor
        The grid values ``(n,)`` (increasing).
    """
    if latent_dim < 2:
        raise ConfigError("a manifold plot needs at least 2 latent dimensions")
    if dims[0] == dims[1] or not all(0 <= d < latent_dim for d in dims):
        raise ConfigError(f"dims must be two different indices in [0, {latent_dim}), got {dims}")
    values = normal_grid_values(n)
    z = torch.zeros(n, n, latent_dim) if base is None else base.float().expand(n, n, -1).clone()
    z[:, :, dims[0]] = values.view(1, n)  # columns: x axis
    z[:, :, dims[1]] = values.flip(0).view(n, 1)  # rows: y axis, top is largest
    return z.reshape(n * n, latent_dim), values


def kl_order(kl_per_dim: torch.Tensor) -> list[int]:
    """Latent dimensions by decreasing mean KL (ties by index): active dimensions first."""
    kl = kl_per_dim.double().cpu()
    return sorted(range(len(kl)), key=lambda d: (-float(kl[d]), d))


def traversal_codes(base: torch.Tensor, dims: list[int], values: torch.Tensor) -> torch.Tensor:
    """One row per dimension in ``dims``: ``base`` ``(D,)`` with that dimension swept.

    Returns ``(len(dims) * len(values), D)``; row ``i`` sets ``z[dims[i]]`` to each value.
    """
    z = base.float().expand(len(dims), len(values), -1).clone()
    for i, d in enumerate(dims):
        z[i, :, d] = values
    return z.reshape(-1, base.shape[-1])


def class_mean(means: torch.Tensor, labels: torch.Tensor, cls: int) -> torch.Tensor:
    """Mean posterior mean ``(D,)`` of the examples of class ``cls``."""
    mask = labels == cls
    if not bool(mask.any()):
        raise ConfigError(f"no examples of class {cls} in this split")
    return means[mask].mean(0)


def attribute_vector(
    means: torch.Tensor, labels: torch.Tensor, target: int, source: int
) -> torch.Tensor:
    """Mean latent of class ``target`` minus that of class ``source``: ``(D,)``.

    Added to the code of an example of ``source``, it moves the code toward ``target``
    (White 2016; Larsen et al. 2016).
    """
    return class_mean(means, labels, target) - class_mean(means, labels, source)


def pca_2d(points: torch.Tensor) -> tuple[torch.Tensor, list[float]]:
    """Project ``(N, D)`` points on their first two principal axes.

    Returns the ``(N, 2)`` projection and the fraction of variance of each axis.
    """
    x = points.double() - points.double().mean(0)
    _, s, vt = torch.linalg.svd(x, full_matrices=False)
    axes = vt[:2]  # (2, D)
    # a deterministic sign: the largest loading of each axis is positive
    signs = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))
    axes = axes * signs
    var = s**2
    frac = (var[:2] / var.sum().clamp_min(1e-300)).tolist()
    return (x @ axes.T).float(), frac
