"""The one progress bar of vaekit (training, evaluation, sampling, rendering, downloads).

A bold label, the bar, done/total and the time left, on stderr; output that is not a
terminal (CI logs, ``tee``, ``nohup``) gets no bar frames. Callers add columns for what
they count (a metrics field, transferred bytes).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


def progress_bar(
    label: str = "[bold]{task.description}",
    console: Console | None = None,
    *,
    quiet: bool = False,
    transient: bool = True,
    count: ProgressColumn | None = None,
    extra: tuple[ProgressColumn | str, ...] = (),
    **options: Any,
) -> Progress:
    """A progress bar.

    Parameters
    ----------
    label
        The text before the bar (a rich format; ``{task.description}`` by default).
    console
        Where it draws (default: stderr).
    quiet
        Draw nothing.
    transient
        Remove the bar when it is done.
    count
        The done/total column (default: ``3/10``; e.g. ``DownloadColumn()`` for bytes).
    extra
        Columns after the time left (e.g. ``TextColumn("{task.fields[metrics]}")``).
    options
        Passed to :class:`rich.progress.Progress`.
    """
    console = console or Console(stderr=True)
    columns = (TextColumn(label), BarColumn(), count or MofNCompleteColumn(),
               TimeRemainingColumn(), *extra)  # fmt: skip
    return Progress(*columns, console=console, transient=transient,
                    disable=quiet or not console.is_terminal, **options)  # fmt: skip
