"""``vaekit report RUN``: every figure and number of a run in one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    emit_result,
    output_option,
)


def report_command(
    run: Path = typer.Argument(..., help="Run directory."),
    output: Annotated[Path | None, output_option("HTML path. [default: RUN/report.html]")] = None,
    split: str = typer.Option(None, "--split", help="Split the figures show. [default: test]"),
    source: str = typer.Option(None, "--from", help="Latent arithmetic: from this class."),
    target: str = typer.Option(None, "--to", help="Latent arithmetic: to this class."),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Write RUN/report.html: configuration, training and evaluation tables, every figure."""
    import vaekit.chem.plot_kinds  # noqa: F401 (the molecule figures register themselves)
    from vaekit.plots import make_report
    from vaekit.train import resolve_device

    apply_threads(threads, quiet)
    path = make_report(run, output, split, resolve_device(device), source, target)
    emit_result(path)
