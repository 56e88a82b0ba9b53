"""``vaekit resume RUN``: continue any fit from its last checkpoint, whatever made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from vaekit.cli.hints import thread_note

#: run kind -> (module, class) of the estimator that resumes it
ESTIMATORS = {
    "detector": ("vaekit.anomaly", "VAEDetector"),
    "imputer": ("vaekit.tabular.imputer", "VAEImputer"),
    "synthesizer": ("vaekit.tabular", "Synthesizer"),
    "recommender": ("vaekit.recsys", "Recommender"),
}


def resume_command(
    run: Path = typer.Argument(..., help="The run directory to continue (any kind of fit)."),
    epochs: int = typer.Option(
        None, "--epochs", help="train runs: epochs in total (the new total). [default: as set]"
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    threads: int = typer.Option(
        None, "--threads", help="CPU threads, fixed. [default: as the run was started]"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Continue a fit (vaekit train, anomaly fit, impute fit, synth fit, recommend fit)
    from its last checkpoint; the run directory's path is printed when it is done.

    On CPU with a fixed thread count the result is bit-identical to a fit that was never
    interrupted.
    """
    from vaekit.io.run import Run

    console = Console(stderr=True)
    info = Run.open(run)
    if not info.started:
        _run_again(info, console)
        return
    if info.kind == "train":
        from vaekit.cli.train import continue_run

        continue_run(run, epochs, None if device == "auto" else device, threads, quiet, console)
        return
    note = thread_note(info, threads)
    if note and not quiet:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True, highlight=False)
    if epochs is not None:
        from vaekit.errors import ConfigError

        raise ConfigError(f"--epochs applies to train runs; {run} is a {info.kind} run")
    if threads:  # a fixed count: the Trainer then leaves it alone (vaekit.cpu_load)
        import os

        from vaekit.train.threads import set_threads

        os.environ["OMP_NUM_THREADS"] = str(threads)
        set_threads(threads, console, warn=not quiet)
    est_cls = _estimator_class(info.kind)
    est_cls.resume(run, device=device, verbose=not quiet)
    console.print(f"[green]resumed[/] {info.kind} fit: {run}", soft_wrap=True, highlight=False)
    typer.echo(str(run))


def _run_again(run: Any, console: Console) -> None:
    """A fit stopped before it wrote its settings: start it again with its own command
    (``run.json`` records it and the directory it ran in)."""
    import subprocess
    import sys

    from vaekit.errors import ConfigError

    command = run.command
    if not command or command[0] != "vaekit":
        raise ConfigError(f"{run.path} was stopped before its fit started and was not started "
                          "by the vaekit command; fit it again")  # fmt: skip
    console.print(f"{run.path} was stopped before its fit started; running its command again: "
                  f"{' '.join(command)}", soft_wrap=True, highlight=False)  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "vaekit", *command[1:]],
                          cwd=run.info.get("cwd") or None)  # fmt: skip
    if done.returncode:
        raise typer.Exit(done.returncode)


def _estimator_class(kind: str) -> Any:
    import importlib

    module, name = ESTIMATORS[kind]
    return getattr(importlib.import_module(module), name)


