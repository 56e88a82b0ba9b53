"""``vaekit sweep --param NAME=V1,V2,... [train flags]``: one run per value, compared."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from vaekit.cli.train import _FLAGS, build_config, train_command
from vaekit.errors import ConfigError

_train_app = typer.Typer(add_completion=False)
_train_app.command()(train_command)


def sweep_command(
    ctx: typer.Context,
    param: str = typer.Option(
        ..., "--param", help="Option and values, e.g. beta=1,2,4,10 or kl-schedule=constant,linear."
    ),
    out: Path = typer.Option(Path("sweeps"), "--out", help="Sweep directory (one run per value)."),
    jobs: int = typer.Option(
        1, "--jobs", "-j", help="Trainings at once, each with an equal share of the CPU threads."
    ),
) -> None:
    """Train one run per value of a train option and write a comparison table and figure.

    Every other flag is a 'vaekit train' flag shared by all runs (e.g. --epochs 10
    --latent-dim 2). Values containing commas are separated by semicolons
    (--param "hidden=512,256;256,128").
    """
    from vaekit.train import parse_param, sweep

    command = typer.main.get_command(_train_app)
    params = command.make_context("vaekit sweep", list(ctx.args)).params
    if params.get("resume_dir") is not None:
        raise ConfigError("sweep trains new runs; --resume does not apply")
    flags = {k: params.get(k) for k in _FLAGS}
    cfg = build_config(params.get("config_file"), flags, params.get("sets") or [])
    name, values = parse_param(param)
    console = Console(stderr=True)
    rows = sweep(
        cfg, name, values, out, quiet=params.get("quiet", False), console=console, jobs=jobs
    )
    key = next(iter(rows[0]))
    table = Table(title=f"sweep over {key} ({rows[0]['split']} split, nats per example)")
    for col in (key, "epochs", "loss", "reconstruction", "kl", "active_units"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r[key]), str(r["epochs"]), f"{r['loss']:.2f}", f"{r['reconstruction']:.2f}",
            f"{r['kl']:.2f}", str(r["active_units"]),
        )  # fmt: skip
    Console().print(table)
    typer.echo(str(out))
