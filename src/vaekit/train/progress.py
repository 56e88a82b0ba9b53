"""Rich progress display for training."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from vaekit.progress import progress_bar


def training_progress(console: Console | None = None, disable: bool = False) -> Progress:
    """A progress bar showing steps, elapsed/remaining time and a metrics field (piped:
    no bar frames, only the epoch lines)."""
    return progress_bar(console=console, quiet=disable, transient=False,
                        extra=(TimeElapsedColumn(), TextColumn("{task.fields[metrics]}")))


@contextmanager
def epoch_bar(
    description: str, total: int, enabled: bool
) -> Iterator[tuple[Console, Callable[[dict[str, Any]], None]]]:
    """One progress bar over ``total`` epochs for an application's training (instead of a
    line per epoch): yields the console that warnings should go to and the ``on_epoch``
    callback for :class:`vaekit.train.Trainer`. Disabled, warnings are dropped too."""
    console = Console(stderr=True) if enabled else Console(file=io.StringIO())
    bar = progress_bar(description, console, quiet=not enabled, transient=False,
                       extra=(TextColumn("epochs"), TextColumn("{task.fields[loss]}")))
    with bar:
        task = bar.add_task("fit", total=total, loss="")

        def advance(record: dict[str, Any]) -> None:
            bar.update(task, advance=1, loss=f"loss {record['train_loss']:.2f}")

        yield console, advance
