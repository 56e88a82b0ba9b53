"""``vaekit train-prior RUN``: fit a VQ-VAE's autoregressive code prior (second stage)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def train_prior_command(
    run: Path = typer.Argument(..., help="Run directory of a trained vqvae."),
    epochs: int = typer.Option(10, "--epochs", help="Epochs of the prior."),
    batch_size: int = typer.Option(128, "--batch-size", help="Code grids per batch."),
    lr: float = typer.Option(1e-3, "--lr", help="Learning rate."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train the PixelCNN prior over the run's code grids; 'vaekit sample RUN' then generates."""
    from vaekit.train.code_prior import train_prior

    console = Console(stderr=True)
    history = train_prior(run, epochs, batch_size, lr, device, seed, quiet, console)
    last = history[-1]
    val = f", val {last['prior_val_nll']:.2f}" if "prior_val_nll" in last else ""
    console.print(f"prior: train {last['prior_train_nll']:.2f}{val} nats per code grid")
    typer.echo(str(run))
