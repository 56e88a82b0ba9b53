"""``vaekit report RUN``: every figure and number of a run in one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import typer


def report_command(
    run: Path = typer.Argument(..., help="Run directory."),
    output: Path = typer.Option(
        None, "-o", "--output", help="HTML path. [default: RUN/report.html]"
    ),
    split: str = typer.Option(None, "--split", help="Split the figures show. [default: test]"),
    source: str = typer.Option(None, "--from", help="Latent arithmetic: from this class."),
    target: str = typer.Option(None, "--to", help="Latent arithmetic: to this class."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
) -> None:
    """Write RUN/report.html: configuration, training and evaluation tables, every figure."""
    from vaekit.plots import make_report
    from vaekit.train import resolve_device

    path = make_report(run, output, split, resolve_device(device), source, target)
    typer.echo(str(path))
