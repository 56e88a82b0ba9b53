"""The plot kinds: ``vaekit plot RUN KIND`` and the report draw every registered kind."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaekit.errors import ConfigError


@dataclass(frozen=True)
class PlotKind:
    """A figure of a run: ``fn(run, output, **options) -> Path``.

    ``images`` marks figures that need image data, ``labels`` those that need class labels,
    ``molecules`` those of a sequence model trained on SMILES (with RDKit installed).
    """

    name: str
    fn: Callable[..., Path]
    description: str
    images: bool = False
    labels: bool = False
    molecules: bool = False

    @property
    def options(self) -> list[str]:
        """The keyword options the figure takes."""
        params = list(inspect.signature(self.fn).parameters.values())[2:]
        return [p.name for p in params]


PLOT_KINDS: dict[str, PlotKind] = {}
#: option name -> command-line flag, where they differ
FLAGS = {"source": "--from", "target": "--to", "n": "-n", "prop": "--property"}


def flag(option: str) -> str:
    """The ``vaekit plot`` flag of a keyword option."""
    return FLAGS.get(option, "--" + option.replace("_", "-"))


def register_plot(
    name: str, description: str, images: bool = False, labels: bool = False,
    molecules: bool = False,
) -> Callable:  # fmt: skip
    """Decorator registering ``fn(run, output, **options)`` as the plot kind ``name``."""

    def deco(fn: Callable[..., Path]) -> Callable[..., Path]:
        PLOT_KINDS[name] = PlotKind(name, fn, description, images, labels, molecules)
        return fn

    return deco


def get_plot_kind(name: str) -> PlotKind:
    try:
        return PLOT_KINDS[name]
    except KeyError:
        extra = ("; the molecule figures register with 'import vaekit.chem.plot_kinds'"
                 if "molecules" not in PLOT_KINDS else "")  # fmt: skip
        raise ConfigError(
            f"unknown plot kind {name!r}; choose from {', '.join(PLOT_KINDS)}{extra}"
        ) from None


def check_options(kind: PlotKind, options: dict[str, Any]) -> dict[str, Any]:
    """Drop unset options; name any set option that ``kind`` does not take."""
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    unknown = sorted(set(given) - set(kind.options))
    if unknown:
        flags = ", ".join(flag(k) for k in unknown)
        takes = ", ".join(flag(k) for k in kind.options) or "no options"
        raise ConfigError(f"the {kind.name!r} plot does not take {flags} (it takes {takes})")
    return given
