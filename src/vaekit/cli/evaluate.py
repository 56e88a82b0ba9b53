"""``vaekit evaluate``: metrics of a run on a split, printed and written to evaluation.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    result_console,
    seed_option,
    stderr_console,
)
from vaekit.errors import ConfigError

#: the metric names of ``vaekit.eval.METRICS``, for the help text (a test keeps them equal;
#: importing the registry would load PyTorch for ``--help``)
METRIC_NAMES = (
    "disentanglement", "elbo", "iw", "latent", "recon", "probe", "samples", "sequence"
)  # fmt: skip


def evaluate_command(
    run: Path = typer.Argument(..., help="Run directory."),
    split: str = typer.Option(
        None, "--split", help="train | val | test [default: test, or val without a test split]"
    ),
    iw: int = typer.Option(
        None, "--iw", help="Importance samples k for the NLL (-L_k), e.g. 5000."
    ),
    metrics: str = typer.Option(
        None,
        "--metrics",
        help=f"Comma-separated, from: {', '.join(METRIC_NAMES)}. "
        "[default: elbo,recon,latent,probe (+iw with --iw)]",
    ),
    batch_size: int = typer.Option(1000, "--batch-size", help="Examples per batch."),
    memory_mb: float = typer.Option(
        512, "--memory-mb", help="Memory cap (MB) of the importance-sampling chunks."
    ),
    seed: Annotated[int, seed_option("Seed of the posterior samples.")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
    disentanglement_points: int = typer.Option(
        10000,
        "--disentanglement-points",
        help="disentanglement: training points (the study's 10,000); test points are half.",
    ),
) -> None:
    """Evaluate a run on a split; print the results (stdout) and write evaluation.json."""
    from vaekit.eval import evaluate_run
    from vaekit.train import resolve_device

    if iw is not None and iw < 1:
        raise ConfigError(f"--iw must be >= 1, got {iw}")
    names = None if metrics is None else [m.strip() for m in metrics.split(",") if m.strip()]
    if names is not None and iw is not None and "iw" not in names:
        names.append("iw")
    apply_threads(threads, quiet)
    result = evaluate_run(
        run, split, names, iw, batch_size, resolve_device(device), seed, memory_mb,
        quiet=quiet, disentanglement_points=disentanglement_points,
    )  # fmt: skip
    if split is None and result["split"] != "test":
        stderr_console().print(
            f"note: {run}'s data has no test split; evaluated the {result['split']} split"
        )
    split = result["split"]
    table = Table(title=f"{run}: {split} split, {result['n']} examples (nats per example)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if isinstance(value, float):
            table.add_row(key, f"{value:.4f}")
        elif isinstance(value, int) and key not in ("n",):
            table.add_row(key, str(value))
        elif key == "sample_class_histogram":
            table.add_row(key, " ".join(map(str, value)))
        elif key == "label_accuracy_per_class":
            table.add_row(key, " ".join(f"{v:.2f}" for v in value))
    result_console().print(table)
