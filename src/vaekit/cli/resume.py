"""``vaekit resume RUN``: continue any fit from its last checkpoint, whatever made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from vaekit.cli.hints import thread_note
from vaekit.cli.options import apply_threads, emit_result


def resume_command(
    run: Path = typer.Argument(..., help="The run directory to continue (any kind of fit)."),
    epochs: int = typer.Option(
        None, "--epochs", help="train runs: epochs in total (the new total). [default: as set]"
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    threads: int = typer.Option(
        None, "--threads",
        help="CPU threads, fixed. [default: the count the run was started with when it was "
        "fixed, else the free cores, following the load]",
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
    if epochs is not None:
        from vaekit.errors import ConfigError
        from vaekit.io.run_info import a_kind

        raise ConfigError(f"--epochs applies to train runs; {run} is {a_kind(info.kind)}")
    threads = threads or fixed_threads(info)  # a count fixed at the start stays fixed
    note = thread_note(info, threads)
    if note and not quiet:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True, highlight=False)
    apply_threads(threads, quiet, console)
    estimator = _estimator_class(info.kind)
    estimator.resume(run, device=device, verbose=not quiet)
    console.print(f"[green]resumed[/] {info.kind} fit: {run}", soft_wrap=True, highlight=False)
    emit_result(run)


def fixed_threads(run: Any) -> int | None:
    """The thread count a fit ran with throughout, when it was fixed (``--threads``,
    ``OMP_NUM_THREADS``); ``None`` when it followed the load or nothing ran yet."""
    records = [r for r in run.records() if "threads" in r]
    counts = {int(r["threads"]) for r in records}
    if records and len(counts) == 1 and not any(r.get("threads_auto") for r in records):
        return counts.pop()
    return None


def _estimator_class(kind: str) -> Any:
    """The estimator class that fits (and resumes) runs of ``kind``."""
    if kind == "detector":
        from vaekit.anomaly import VAEDetector

        return VAEDetector
    if kind == "imputer":
        from vaekit.tabular.imputer import VAEImputer

        return VAEImputer
    if kind == "synthesizer":
        from vaekit.tabular import Synthesizer

        return Synthesizer
    if kind == "timeseries":
        from vaekit.timeseries import TimeSeriesImputer

        return TimeSeriesImputer
    from vaekit.recsys import Recommender

    return Recommender


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


