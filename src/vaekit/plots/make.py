"""``make_plot``: draw one figure of a run into ``RUN/plots/KIND.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.plots import image_kinds as _image_kinds  # noqa: F401, I001
from vaekit.plots import stats_kinds as _stats_kinds  # noqa: F401  (registers the kinds)
from vaekit.plots.registry import PLOT_KINDS, PlotKind, check_options, get_plot_kind
from vaekit.plots.run import PlotRun


def applicable_kinds(run: PlotRun) -> list[PlotKind]:
    """The kinds that this run's data allow (image figures need images, some need labels)."""
    has_labels = run.labels() is not None
    return [
        k
        for k in PLOT_KINDS.values()
        if (run.is_image or not k.images) and (has_labels or not k.labels)
        and not (k.name == "manifold" and run.model.latent_dim < 2)
        and not (k.name == "arithmetic" and run.model.conditional)
        and not (k.name == "curves" and not run.records())
    ]  # fmt: skip


def make_plot(
    run: str | Path | PlotRun,
    kind: str,
    output: str | Path | None = None,
    split: str | None = None,
    device: str | torch.device = "cpu",
    **options: Any,
) -> Path:
    """Draw the figure ``kind`` of a run directory and return the PNG's path.

    Parameters
    ----------
    run
        A run directory (or an opened :class:`PlotRun`, to draw several figures at once).
    kind
        A name from :data:`vaekit.plots.PLOT_KINDS` (``vaekit plot --help`` lists them).
    output
        The PNG to write; default ``RUN/plots/KIND.png``.
    split
        The data split shown (default test, else val, else train).
    **options
        The kind's options (e.g. ``n``, ``steps``, ``source``/``target``, ``spherical``);
        an option the kind does not take is an error.
    """
    plot = get_plot_kind(kind)
    given = check_options(plot, options)
    if not isinstance(run, PlotRun):
        run = PlotRun.open(run, split, device)
    if plot.images:
        run.require_images(kind)
    if plot.labels:
        run.require_labels(kind)
    output = Path(output) if output is not None else run.plots_dir / f"{kind}.png"
    if output.suffix.lower() != ".png":
        raise ConfigError(f"plots are PNG files; got {output.name!r}")
    return plot.fn(run, output, **given)
