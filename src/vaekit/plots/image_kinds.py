"""Figures of decoded images: reconstructions, samples, manifold, interpolation, traversals,
latent arithmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.errors import ConfigError
from vaekit.eval.mode import eval_mode
from vaekit.plots.codes import attribute_vector, kl_order, manifold_codes, traversal_codes
from vaekit.plots.registry import register_plot
from vaekit.plots.run import PlotRun
from vaekit.render.tiles import draw_tiles


def resolve_class(run: PlotRun, value: str | int) -> int:
    """A class given by name (``"cat"``, ``"3"``) or index, as an index."""
    names = run.class_names
    text = str(value)
    if text in names:
        return names.index(text)
    try:
        index = int(text)
    except ValueError:
        raise ConfigError(
            f"unknown class {text!r}; the classes are {', '.join(names) or '(none)'}"
        ) from None
    if not 0 <= index < max(len(names), 1):
        raise ConfigError(f"class index {index} is out of range [0, {len(names)})")
    return index


def _label(run: PlotRun, label: str | int | None) -> int | None:
    """The class to decode with for a conditional model (default the first class)."""
    if not run.model.conditional:
        if label is not None:
            raise ConfigError(f"model {run.model.registry_name!r} is not conditional; drop --label")
        return None
    return resolve_class(run, 0 if label is None else label)


def _class_name(run: PlotRun, c: int) -> str:
    return run.class_names[c] if c < len(run.class_names) else str(c)


# --------------------------------------------------------------------- reconstructions
@register_plot("reconstructions", "test inputs above their reconstructions", images=True)
def plot_reconstructions(run: PlotRun, output: Path, n: int = 10) -> Path:
    if n < 1:
        raise ConfigError(f"-n must be >= 1, got {n}")
    x = run.inputs(n)
    y = run.labels()
    y = None if y is None else y[: x.shape[0]].to(run.device)
    with eval_mode(run.model), torch.no_grad():
        recon = run.model.reconstruct(x, y if run.model.conditional else None)
    images = np.concatenate([run.to_images(x), run.to_images(recon)])
    return draw_tiles(
        images, x.shape[0], output, f"Reconstructions of {run.split} examples",
        row_labels=["input", "reconstruction"],
    )  # fmt: skip


# --------------------------------------------------------------------- samples
@register_plot("samples", "decoded draws from the prior (one row per class for a CVAE)",
               images=True)  # fmt: skip
def plot_samples(run: PlotRun, output: Path, n: int | None = None, seed: int = 0) -> Path:
    gen = torch.Generator().manual_seed(seed)
    d = run.model.latent_dim
    if run.model.conditional:
        per_class = n or 10
        k = run.model.num_classes
        z = torch.randn(k * per_class, d, generator=gen)
        y = torch.arange(k).repeat_interleave(per_class)
        images = run.decode(z, y)
        return draw_tiles(
            images, per_class, output, "Samples from the prior, one row per class",
            row_labels=[_class_name(run, c) for c in range(k)], ylabel="class",
        )  # fmt: skip
    n = n or 64
    z = torch.randn(n, d, generator=gen)
    cols = int(np.ceil(np.sqrt(n)))
    return draw_tiles(run.decode(z), cols, output, f"{n} samples from the prior N(0, I)")


# --------------------------------------------------------------------- manifold
def manifold_data(
    run: PlotRun, n: int = 20, dims: tuple[int, int] | None = None, label: Any = None
) -> dict[str, Any]:
    """Decoded ``n x n`` grid through the inverse normal CDF in the plane of ``dims``.

    For more than two latent dimensions the plane is that of the two dimensions with the
    largest mean KL (the most active), the others held at 0.
    """
    d = run.model.latent_dim
    if d < 2:
        raise ConfigError("the manifold plot needs at least 2 latent dimensions")
    if dims is None:
        dims = (0, 1) if d == 2 else tuple(sorted(kl_order(run.kl_per_dim())[:2]))
    z, values = manifold_codes(n, d, tuple(dims))
    y = _label(run, label)
    return {"z": z, "values": values, "dims": tuple(dims), "images": run.decode(z, y), "label": y}


@register_plot("manifold", "decoded grid over the prior's mass (2-D, or the 2 most active dims)",
               images=True)  # fmt: skip
def plot_manifold(
    run: PlotRun, output: Path, n: int = 20, dims: str | None = None, label: str | None = None
) -> Path:
    plane = None if dims is None else _parse_pair(dims, "--dims")
    m = manifold_data(run, n, plane, label)
    ticks = [f"{v:.2f}" for v in m["values"].tolist()]
    i, j = m["dims"]
    title = "Learned manifold" + ("" if run.model.latent_dim == 2 else f" (plane of z{i}, z{j})")
    if m["label"] is not None:
        title += f", class {_class_name(run, m['label'])}"
    return draw_tiles(
        m["images"], n, output, title, row_labels=list(reversed(ticks)), col_labels=ticks,
        xlabel=f"z{i}", ylabel=f"z{j}",
    )  # fmt: skip


def _parse_pair(text: str, flag: str) -> tuple[int, int]:
    parts = [p.strip() for p in str(text).replace(" to ", ",").split(",") if p.strip()]
    try:
        a, b = (int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"{flag} takes two integers, e.g. 3,8; got {text!r}") from None
    return a, b


# --------------------------------------------------------------------- interpolation
def _example(run: PlotRun, index: int) -> tuple[torch.Tensor, int | None]:
    x = run.inputs()
    if not 0 <= index < x.shape[0]:
        raise ConfigError(f"example index {index} is out of range [0, {x.shape[0]})")
    y = run.labels()
    return x[index], (None if y is None else int(y[index]))


def _first_of_class(run: PlotRun, c: int, count: int) -> list[int]:
    labels = run.require_labels("interpolation")
    idx = torch.nonzero(labels == c).flatten()[:count].tolist()
    if not idx:
        raise ConfigError(f"no {run.split} examples of class {_class_name(run, c)}")
    return idx


def interpolation_data(
    run: PlotRun,
    source: Any = None,
    target: Any = None,
    indices: tuple[int, int] | None = None,
    steps: int = 10,
    spherical: bool = False,
    n: int = 4,
) -> dict[str, Any]:
    """Rows of decoded points between pairs of examples' posterior means.

    Pairs are given by example ``indices`` (one row) or by classes ``source`` -> ``target``
    (the first ``n`` examples of each, paired in order).
    """
    if indices is not None:
        if source is not None or target is not None:
            raise ConfigError("give either --indices or --from/--to, not both")
        pairs = [tuple(indices)]
    elif source is not None and target is not None:
        a, b = resolve_class(run, source), resolve_class(run, target)
        ia, ib = _first_of_class(run, a, n), _first_of_class(run, b, n)
        pairs = list(zip(ia, ib, strict=False))  # as many pairs as the rarer class has
    elif source is None and target is None:
        pairs = [(2 * r, 2 * r + 1) for r in range(n)]
    else:
        raise ConfigError("give both --from and --to (classes), or --indices I,J")
    rows = []
    with eval_mode(run.model), torch.no_grad():
        for i, j in pairs:
            (xa, ya), (xb, yb) = _example(run, i), _example(run, j)
            cond = run.model.conditional
            rows.append(
                run.to_images(
                    run.model.interpolate(
                        xa, xb, steps, ya if cond else None, yb if cond else None, spherical
                    )
                )
            )
    return {"pairs": pairs, "rows": rows, "steps": steps}


@register_plot("interpolation", "decoded path between two examples (by index or class)",
               images=True)  # fmt: skip
def plot_interpolation(
    run: PlotRun,
    output: Path,
    source: str | None = None,
    target: str | None = None,
    indices: str | None = None,
    steps: int = 10,
    spherical: bool = False,
    n: int = 4,
) -> Path:
    pair = None if indices is None else _parse_pair(indices, "--indices")
    d = interpolation_data(run, source, target, pair, steps, spherical, n)
    y = run.labels()

    def name(i: int) -> str:
        return f"#{i}" if y is None else f"#{i} ({_class_name(run, int(y[i]))})"

    how = "spherical" if spherical else "linear"
    return draw_tiles(
        np.concatenate(d["rows"]), steps, output,
        f"Interpolation between posterior means ({how})",
        row_labels=[f"{name(i)} to {name(j)}" for i, j in d["pairs"]],
        col_labels=[f"{t:.2f}" for t in np.linspace(0, 1, steps)], xlabel="t",
    )  # fmt: skip


# --------------------------------------------------------------------- traversals
def traversal_data(
    run: PlotRun,
    dims: int = 10,
    steps: int = 9,
    index: int | None = None,
    span: float = 3.0,
    label: Any = None,
) -> dict[str, Any]:
    """One row per latent dimension (by decreasing mean KL), swept over ``[-span, span]``.

    The other dimensions stay at 0, or at the posterior mean of example ``index``.
    """
    if steps < 2:
        raise ConfigError(f"steps must be >= 2, got {steps}")
    kl = run.kl_per_dim()
    order = kl_order(kl)[: max(1, dims)]
    if index is None:
        base = torch.zeros(run.model.latent_dim)
        y = _label(run, label)
    else:
        x, y_ex = _example(run, index)
        y = y_ex if run.model.conditional else None
        ylab = None if y is None else torch.tensor([y], device=run.device)
        base = run.encode_means(x.unsqueeze(0), ylab)[0].cpu()
    values = torch.linspace(-span, span, steps)
    z = traversal_codes(base, order, values)
    return {"order": order, "kl": kl, "values": values, "base": base, "z": z,
            "images": run.decode(z, y)}  # fmt: skip


@register_plot("traversal", "one row per latent dimension, ordered by KL, over [-3, 3]",
               images=True)  # fmt: skip
def plot_traversal(
    run: PlotRun,
    output: Path,
    dims: int = 10,
    steps: int = 9,
    index: int | None = None,
    label: str | None = None,
) -> Path:
    d = traversal_data(run, dims, steps, index, 3.0, label)
    at = "0" if index is None else f"the mean of example #{index}"
    return draw_tiles(
        d["images"], steps, output,
        f"Latent traversals (others held at {at}), most active dimension first",
        row_labels=[f"z{k}  KL {float(d['kl'][k]):.2f}" for k in d["order"]],
        col_labels=[f"{v:.1f}" for v in d["values"].tolist()], xlabel="value",
    )  # fmt: skip


# --------------------------------------------------------------------- arithmetic
def arithmetic_data(run: PlotRun, source: Any, target: Any, n: int = 8) -> dict[str, Any]:
    """Attribute vector ``mean(target) - mean(source)`` added to examples of ``source``."""
    if source is None or target is None:
        raise ConfigError("latent arithmetic needs --from CLASS and --to CLASS")
    if run.model.conditional:
        raise ConfigError("latent arithmetic is for unconditional models (a CVAE takes --label)")
    labels = run.require_labels("arithmetic")
    a, b = resolve_class(run, source), resolve_class(run, target)
    means, _, _ = run.posterior()
    vector = attribute_vector(means, labels, b, a)  # (D,)
    idx = torch.nonzero(labels == a).flatten()[:n]
    z = means[idx]  # (n, D)
    x = run.inputs()[idx.to(run.device)]
    return {"source": a, "target": b, "vector": vector, "indices": idx.tolist(),
            "inputs": run.to_images(x), "reconstructions": run.decode(z),
            "shifted": run.decode(z + vector)}  # fmt: skip


@register_plot("arithmetic", "class A minus class B, added to examples of B (--from B --to A)",
               images=True, labels=True)  # fmt: skip
def plot_arithmetic(
    run: PlotRun, output: Path, source: str | None = None, target: str | None = None, n: int = 8
) -> Path:
    d = arithmetic_data(run, source, target, n)
    fa, fb = _class_name(run, d["source"]), _class_name(run, d["target"])
    return draw_tiles(
        np.concatenate([d["inputs"], d["reconstructions"], d["shifted"]]),
        len(d["indices"]), output, f"Latent arithmetic: {fa} + (mean {fb} - mean {fa})",
        row_labels=["input", "reconstruction", f"+ ({fb} - {fa})"],
    )  # fmt: skip
