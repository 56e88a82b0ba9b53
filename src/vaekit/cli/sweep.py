"""``vaekit sweep --param NAME=V1,V2,... [train flags]``: one run per value, compared."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vaekit.cli.options import (
    Device,
    Quiet,
    Threads,
    emit_result,
    out_dir_option,
    seed_option,
    stderr_console,
)
from vaekit.cli.train import _FLAGS, train_command
from vaekit.config import layered_config, presets_help
from vaekit.errors import ConfigError

_train_app = typer.Typer(add_completion=False)
_train_app.command()(train_command)


def sweep_command(
    ctx: typer.Context,
    param: str = typer.Option(
        ..., "--param", help="Option and values, e.g. beta=1,2,4,10 or kl-schedule=constant,linear."
    ),
    out: Annotated[
        Path,
        out_dir_option(
            "Sweep directory: a run directory per value (PARAM=VALUE) and "
            "the comparison (sweep.md, .json, .png)."
        ),
    ] = Path("sweeps"),
    jobs: int = typer.Option(
        1, "--jobs", "-j", help="Trainings at once, each with an equal share of the CPU threads."
    ),
    config_file: Path = typer.Option(
        None, "--config", help="YAML configuration file shared by the runs."
    ),
    preset: str = typer.Option(
        None, "--preset", help=presets_help()
    ),
    sets: list[str] = typer.Option(
        None, "--set", help="key=value overrides, e.g. train.grad_clip=5."
    ),
    seed: Annotated[int | None, seed_option("Random seed of every run. [default: 0]")] = None,
    device: Device = None,  # type: ignore[assignment]  # None: the config's (default auto)
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Train one run per value of a train option and write a comparison table and figure.

    The configuration is layered as in 'vaekit train' (defaults, --preset, --config, flags,
    --set) and shared by the runs. Every other flag is a 'vaekit train' flag shared by all
    runs (e.g. --epochs 10 --latent-dim 2). Values containing commas are separated by semicolons
    (--param "hidden=512,256;256,128").
    """
    from vaekit.train import parse_param, sweep

    command = typer.main.get_command(_train_app)
    params = command.make_context("vaekit sweep", list(ctx.args)).params
    if params.get("resume_dir") is not None:
        raise ConfigError("sweep trains new runs; --resume does not apply")
    flags = {k: params.get(k) for k in _FLAGS}
    flags.update(seed=seed, device=device, threads=threads)
    values = {_FLAGS[k]: v for k, v in flags.items() if k != "out"}
    cfg = layered_config(config_file, preset, values, sets or [])
    name, choices = parse_param(param)
    console = stderr_console()
    rows = sweep(cfg, name, choices, out, quiet=quiet, console=console, jobs=jobs)
    key = next(iter(rows[0]))
    table = Table(title=f"sweep over {key} ({rows[0]['split']} split, nats per example)")
    for col in (key, "epochs", "loss", "reconstruction", "kl", "active_units"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r[key]), str(r["epochs"]), f"{r['loss']:.2f}", f"{r['reconstruction']:.2f}",
            f"{r['kl']:.2f}", str(r["active_units"]),
        )  # fmt: skip
    console.print(table)
    emit_result(out)
