"""``make_plot``: draw one figure of a run into ``RUN/plots/KIND.png``."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.plots import image_kinds as _image_kinds  # noqa: F401, I001
from vaekit.plots import stats_kinds as _stats_kinds  # noqa: F401  (registers the kinds)
from vaekit.plots.registry import PLOT_KINDS, PlotKind, check_options, get_plot_kind
from vaekit.plots.run import PlotRun
from vaekit.plots.text_kinds import TEXT_KINDS


def applicable_kinds(run: PlotRun) -> list[PlotKind]:
    """The kinds that this run's data allow (image figures need images, some need labels)."""
    has_labels = run.labels() is not None
    molecules = run.is_molecules
    return [
        k
        for k in PLOT_KINDS.values()
        if (run.is_image or not k.images) and (has_labels or not k.labels)
        and (molecules or not k.molecules)
        and not (k.name == "manifold" and run.model.latent_dim < 2)
        and not (k.name == "arithmetic" and run.model.conditional)
        and not (k.name == "curves" and not run.records())
    ]  # fmt: skip


def kinds_for(run: PlotRun) -> list[str]:
    """The names ``vaekit plot RUN KIND`` accepts for this run (a sequence run's text views
    included)."""
    names = [k.name for k in applicable_kinds(run)]
    if run.model.modality == "sequence":
        names += [k for k in TEXT_KINDS if k not in names]
    return names


def _data_words(run: PlotRun) -> str:
    if run.model.modality == "sequence":
        return "token sequences (text)"
    return f"rows of shape {tuple(run.data.input_shape)}, not images"


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
    if not isinstance(run, PlotRun):
        run = PlotRun.open(run, split, device)
    if run.model.modality == "sequence" and kind in TEXT_KINDS:
        return _text_view(run, kind, output, options)
    plot = get_plot_kind(kind)
    given = check_options(plot, options)
    if plot.images and not run.is_image:
        raise ConfigError(
            f"the {kind!r} plot draws images; this run's data are {_data_words(run)}. "
            f"The plots of this run: {', '.join(kinds_for(run))}"
        )
    if plot.labels:
        run.require_labels(kind)
    if plot.molecules:
        run.require_molecules(kind)
    output = Path(output) if output is not None else run.plots_dir / f"{kind}.png"
    if output.suffix.lower() != ".png":
        raise ConfigError(f"plots are PNG files; got {output.name!r}")
    return plot.fn(run, output, **given)


def _text_view(run: PlotRun, kind: str, output: str | Path | None, options: dict) -> Path:
    """Write a sequence run's text view ``kind`` to ``RUN/plots/KIND.txt`` (or ``output``)."""
    from vaekit.io.safe import atomic_write_text
    from vaekit.plots.registry import flag

    fn, _ = TEXT_KINDS[kind]
    takes = list(inspect.signature(fn).parameters)[1:]
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    unknown = sorted(set(given) - set(takes))
    if unknown:
        raise ConfigError(f"the {kind!r} view of a sequence run does not take "
                          f"{', '.join(flag(k) for k in unknown)} (it takes "
                          f"{', '.join(flag(k) for k in takes)})")  # fmt: skip
    text = fn(run, **given)
    path = Path(output) if output is not None else run.plots_dir / f"{kind}.txt"
    if path.suffix.lower() != ".txt":
        raise ConfigError(f"a sequence run's {kind!r} view is text; give a .txt path")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text + "\n")
    return path
