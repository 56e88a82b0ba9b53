"""``vaekit evaluate``: test ELBO, reconstruction and KL of a run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from vaekit.eval import evaluate_run
from vaekit.train import resolve_device


def evaluate_command(
    run: Path = typer.Argument(..., help="Run directory."),
    split: str = typer.Option("test", "--split", help="train | val | test."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Examples per batch."),
    seed: int = typer.Option(0, "--seed", help="Seed of the posterior samples."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
) -> None:
    """Evaluate a run on a split; print the results and write evaluation.json."""
    result = evaluate_run(run, split, batch_size, str(resolve_device(device)), seed)
    table = Table(title=f"{run} — {split} ({result['n']} examples, nats per example)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("loss", "elbo", "reconstruction", "kl", "bits_per_dim"):
        table.add_row(key, f"{result[key]:.4f}")
    Console().print(table)
