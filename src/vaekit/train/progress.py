"""Rich progress display for training."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def training_progress(console: Console | None = None, disable: bool = False) -> Progress:
    """A progress bar showing steps, elapsed/remaining time and a metrics field."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[metrics]}"),
        console=console,
        # piped (CI logs, tee, nohup): no bar frames, only the epoch lines
        disable=disable or (console is not None and not console.is_terminal),
        transient=False,
    )


@contextmanager
def epoch_bar(
    description: str, total: int, enabled: bool
) -> Iterator[tuple[Console, Callable[[dict[str, Any]], None]]]:
    """One progress bar over ``total`` epochs for an application's training (instead of a
    line per epoch): yields the console that warnings should go to and the ``on_epoch``
    callback for :class:`vaekit.train.Trainer`. Disabled, warnings are dropped too."""
    console = Console(stderr=True) if enabled else Console(file=io.StringIO())
    bar = Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[loss]}"),
        console=console,
        disable=not enabled,
    )
    with bar:
        task = bar.add_task("fit", total=total, loss="")

        def advance(record: dict[str, Any]) -> None:
            bar.update(task, advance=1, loss=f"loss {record['train_loss']:.2f}")

        yield console, advance
