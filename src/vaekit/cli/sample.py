"""``vaekit sample``: draw from a trained model's prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import typer

from vaekit.data import build_data
from vaekit.errors import ConfigError
from vaekit.io import load
from vaekit.io.run_dir import read_run_config
from vaekit.train import resolve_device
from vaekit.viz import save_image_grid


def sample_command(
    run: Path = typer.Argument(..., help="Run directory."),
    n: int = typer.Option(64, "-n", "--num", help="Number of samples."),
    label: int = typer.Option(None, "--label", help="Class to generate (conditional models)."),
    output: Path = typer.Option(
        Path("samples.png"), "-o", "--output", help=".png grid, or .npy/.csv values."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
) -> None:
    """Sample from the prior and decode: an image grid (.png) or the values (.npy/.csv)."""
    if n < 1:
        raise ConfigError(f"-n must be >= 1, got {n}")
    suffix = output.suffix.lower()
    if suffix not in (".png", ".npy", ".csv"):
        raise ConfigError(f"output must end in .png, .npy or .csv, got {output.name!r}")
    model = load(run, resolve_device(device))
    if label is not None and not model.conditional:
        raise ConfigError(f"model {model.registry_name!r} is not conditional; drop --label")
    if label is not None and not 0 <= label < model.num_classes:
        raise ConfigError(f"--label must be in [0, {model.num_classes}), got {label}")
    torch.manual_seed(seed)
    x = model.sample(n, labels=label).float().cpu()  # (n, *input_shape)
    if suffix == ".png":
        if len(model.input_shape) not in (2, 3):
            raise ConfigError("this model's data are not images; write .npy or .csv")
        save_image_grid(output, x.numpy())
    else:
        cfg = read_run_config(run)
        if cfg.data.standardize:
            x = build_data(cfg).unstandardize(x)
        values = x.reshape(n, -1).numpy()
        output.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".npy":
            np.save(output, values.reshape(n, *model.input_shape))
        else:
            np.savetxt(output, values, delimiter=",", fmt="%.6g")
    typer.echo(str(output))
