"""``vaekit train-prior RUN``: fit a VQ-VAE's autoregressive code prior (second stage)."""

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
    seed_option,
    stderr_console,
)


def train_prior_command(
    run: Path = typer.Argument(..., help="Run directory of a trained vqvae."),
    epochs: int = typer.Option(10, "--epochs", help="Epochs of the prior."),
    batch_size: int = typer.Option(128, "--batch-size", help="Code grids per batch."),
    lr: float = typer.Option(1e-3, "--lr", help="Learning rate."),
    seed: Annotated[int, seed_option()] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Train the PixelCNN prior over the run's code grids; 'vaekit sample RUN' then generates."""
    from vaekit.train.code_prior import train_prior

    console = stderr_console()
    apply_threads(threads, quiet, console)
    history = train_prior(run, epochs, batch_size, lr, device, seed, quiet, console,
                          threads=threads or 0)  # fmt: skip
    last = history[-1]
    val = f", val {last['prior_val_nll']:.2f}" if "prior_val_nll" in last else ""
    console.print(f"prior: train {last['prior_train_nll']:.2f}{val} nats per code grid")
    emit_result(run)
