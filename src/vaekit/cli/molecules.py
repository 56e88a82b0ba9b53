"""``vaekit molecules sample|metrics|optimize``: molecule generation scored as MOSES scores it."""

from __future__ import annotations

import json
import math
import os
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    device_option,
    emit_result,
    num_option,
    output_option,
    progress_bar,
    seed_option,
    stderr_console,
)
from vaekit.errors import ConfigError

#: molecules a note names before "..."
SHOWN = 5


def note(console: Console, text: str) -> None:
    """One ``note:`` line on ``console`` (SMILES and brackets printed as they are)."""
    console.print(f"[yellow]note:[/] {escape(text)}", soft_wrap=True, highlight=False)


@contextmanager
def warnings_as_notes(console: Console) -> Iterator[list[warnings.WarningMessage]]:
    """Collect the warnings of the block; those the caller leaves in the yielded list are
    printed afterwards as one note line each (no source line), each text once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    for text in dict.fromkeys(str(w.message) for w in caught):
        note(console, text)


app = typer.Typer(
    help="Molecules: sample SMILES, score them with the MOSES metrics, optimize in latent space "
    "(needs pip install '.[chem]' in the vaekit checkout).",
    no_args_is_help=True,
)


@app.command("sample")
def sample_command(
    run: Path = typer.Argument(..., help="Run directory of a sequence model trained on SMILES."),
    n: Annotated[int, num_option("Number of samples (MOSES: 30,000).")] = 30_000,
    output: Annotated[
        Path, output_option(".csv (MOSES's SMILES column) or .smi/.txt.")
    ] = Path("gen.csv"),
    seed: Annotated[int, seed_option("Random seed (MOSES averages seeds 1, 2, 3).")] = 0,
    max_length: int = typer.Option(100, "--max-length", help="Most tokens per sample."),
    temperature: float = typer.Option(1.0, "--temperature", help="Softmax temperature."),
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Sample SMILES from the prior as MOSES does (z ~ N(0, I), temperature 1, invalid
    samples kept) and write them; prints how many are valid and unique."""
    from vaekit.chem.sampling import sample_smiles, validity_line, write_smiles
    from vaekit.io.run import Run
    from vaekit.train import resolve_device

    if not output.name.endswith((".csv", ".smi", ".txt")):
        raise ConfigError(f"--output must end in .csv, .smi or .txt, got {output.name!r}")
    apply_threads(threads, quiet)
    model = Run.open(run, "train").model(resolve_device(device))
    with progress_bar("sampling", quiet) as progress:
        task = progress.add_task("sample", total=n)
        smiles = sample_smiles(model, n, seed, max_length, temperature,
                               on_done=lambda k: progress.advance(task, k))  # fmt: skip
    write_smiles(output, smiles)
    console = stderr_console(quiet)
    try:
        if not quiet:
            console.print(validity_line(smiles), highlight=False, soft_wrap=True)
    except ConfigError as e:  # no RDKit: the samples are written all the same
        note(console, f"validity not counted: {e}")
    emit_result(output)


@app.command("metrics")
def metrics_command(
    generated: Path = typer.Argument(..., help="Generated SMILES: .csv (column SMILES) or .smi."),
    test: Path = typer.Option(None, "--test", help="Reference set. [default: the MOSES test set]"),
    test_scaffolds: Path = typer.Option(
        None,
        "--test-scaffolds",
        help="Second reference set (the TestSF rows). "
        "[default: MOSES's scaffold test set when --test is not given]",
    ),
    train: Path = typer.Option(
        None, "--train", help="Training SMILES for novelty. [default: the MOSES training set]"
    ),
    output: Annotated[
        Path | None, output_option("JSON file. [default: GENERATED.metrics.json]")
    ] = None,
    data_dir: str = typer.Option(
        None, "--data-dir", help="Directory with moses/ (else $VAEKIT_DATA_DIR, or a download)."
    ),
    jobs: int = typer.Option(
        None, "--jobs", "-j", help="Worker processes for RDKit. [default: all cores]"
    ),
    device: Annotated[
        str, device_option("auto | cpu | cuda: ChemNet and the similarities (auto: cuda when "
                           "available, else cpu).")
    ] = DEFAULT_DEVICE,
    ks: str = typer.Option("1000,10000", "--unique-k", help="k of unique@k, comma-separated."),
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Every MOSES metric of GENERATED: valid, unique@k, FCD, SNN, Frag, Scaf (Test and
    TestSF), IntDiv, IntDiv2, Filters, logP/SA/QED/weight distances, Novelty. A metric MOSES
    leaves undefined shows n/a with the reason (Scaf: no scaffold of two or more rings among
    the generated or the reference molecules; FCD: fewer than 2 valid molecules)."""
    from vaekit.chem import (
        ChemNet,
        UndefinedMetricWarning,
        moses_metrics,
        moses_references,
        moses_train,
        read_smiles,
    )
    from vaekit.chem.reference_sets import reference_stats
    from vaekit.train import resolve_device

    console = stderr_console()
    try:
        k_values = [int(k) for k in ks.split(",")]
    except ValueError:
        raise ConfigError(f"--unique-k takes integers like 1000,10000, got {ks!r}") from None
    if not k_values or any(k < 1 for k in k_values):
        raise ConfigError(f"--unique-k takes positive integers like 1000,10000, got {ks!r}")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    jobs = jobs or os.cpu_count() or 1
    device = str(resolve_device(device))
    apply_threads(threads, quiet, console)
    gen = read_smiles(generated)
    chemnet = ChemNet(device)

    def log(line: str) -> None:
        console.print(f"[dim]{line}[/dim]")

    with progress_bar("reference molecules", quiet) as progress:
        task = progress.add_task("reference", total=None)

        def done(k: int) -> None:
            progress.advance(task, k)

        def stats_of(path: Path) -> Any:
            smiles = read_smiles(path)
            progress.reset(task, total=len(smiles))
            return reference_stats(smiles, path.name, jobs, chemnet, log, on_done=done)

        if test is None:
            ref, ref_sf = moses_references(data_dir, jobs, chemnet, log, on_done=done)
            if test_scaffolds is not None:
                ref_sf = stats_of(test_scaffolds)
        else:
            ref = stats_of(test)
            ref_sf = stats_of(test_scaffolds) if test_scaffolds is not None else None
    train_set = set(read_smiles(train)) if train is not None else moses_train(data_dir)
    with warnings_as_notes(console) as caught:
        result = moses_metrics(gen, ref, ref_sf, train_set, k_values, jobs, device, chemnet, log)
        undefined = {w.message.metric: w.message.reason for w in caught
                     if isinstance(w.message, UndefinedMetricWarning)}  # fmt: skip
        caught[:] = [w for w in caught if not isinstance(w.message, UndefinedMetricWarning)]
    table = Table(title=f"MOSES metrics of {generated.name} ({len(gen):,} samples)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in result.items():
        table.add_row(name, "n/a" if math.isnan(value) else f"{value:.4f}")
    console.print(table)
    for name, reason in undefined.items():
        console.print(escape(f"{name}: n/a ({reason})"), highlight=False, soft_wrap=True)
    output = output or generated.with_name(generated.name + ".metrics.json")
    from vaekit.io.safe import atomic_write_text

    record: dict[str, Any] = {"generated": str(generated), "samples": len(gen),
                              "metrics": result}  # fmt: skip
    if undefined:
        record["undefined"] = undefined
    atomic_write_text(output, json.dumps(record, indent=2) + "\n")
    emit_result(output)


@app.command("optimize")
def optimize_command(
    run: Path = typer.Argument(..., help="Run directory of a seq-vae trained on SMILES."),
    objective: str = typer.Option("qed", "--objective", help="qed | plogp | logp."),
    method: str = typer.Option("gradient", "--method", help="gradient | cmaes | bo."),
    steps: int = typer.Option(50, "--steps", help="Optimization steps (generations for cmaes)."),
    start: Path = typer.Option(
        None,
        "--start",
        help="SMILES to start from (.smi/.txt, or a CSV's SMILES column); lines that are not "
        "valid molecules are skipped and named. [default: --n-start training molecules]",
    ),
    n_start: int = typer.Option(100, "--n-start", help="Random training molecules to start from."),
    predictor_size: int = typer.Option(
        5000, "--predictor-size", help="Training molecules the property predictor learns from."
    ),
    top: int = typer.Option(3, "--top", help="Best molecules to print."),
    seed: Annotated[int, seed_option()] = 0,
    output: Annotated[
        Path | None, output_option("JSON file. [default: RUN/optimize-OBJECTIVE-METHOD.json]")
    ] = None,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Move through the latent space toward a better property: encode starting molecules,
    optimize (predictor-guided gradient ascent, CMA-ES or Bayesian optimization on decoded
    molecules), print the top molecules with their scores, validity and novelty, and the path
    of one optimization decoded step by step. The search starts from each molecule's code,
    whose greedy decode may be another molecule: those are listed."""
    from vaekit.chem.optimize import METHODS, LatentOptimizer, training_smiles
    from vaekit.chem.properties import OBJECTIVES
    from vaekit.chem.starts import read_start_file
    from vaekit.io.run import Run
    from vaekit.io.safe import atomic_write_text
    from vaekit.train import resolve_device

    if objective not in OBJECTIVES:
        raise ConfigError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if method not in METHODS:
        raise ConfigError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    for name, value in (("--steps", steps), ("--n-start", n_start), ("--top", top)):
        if value < 1:
            raise ConfigError(f"{name} must be >= 1, got {value}")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    model = Run.open(run, "train").model(resolve_device(device))
    known = training_smiles(run)
    rng = random.Random(seed)
    lines: list[int] | None = None
    if start is not None:
        found = read_start_file(start)
        if found.invalid:
            total = len(found.invalid) + len(found.smiles)
            note(console, f"{start}: {len(found.invalid)} of {total} SMILES are not valid "
                          f"molecules and were skipped: {found.invalid_text()}")  # fmt: skip
        starts, lines = found.smiles, found.lines
    else:
        starts = rng.sample(known, min(n_start, len(known)))
    opt = LatentOptimizer(model, objective, set(known), seed,
                          log=lambda s: console.print(f"[dim]{escape(s)}[/dim]"))  # fmt: skip
    with warnings_as_notes(console):
        if method == "gradient":
            opt.fit_predictor(rng.sample(known, min(predictor_size, len(known))))
        with stderr_console(quiet).status(f"{method}: {steps} steps"):
            result = opt.run(starts, method, steps)
    _note_changed_starts(console, result, lines)
    summary = result.summary()
    table = Table(title=f"{objective} by {method}: best start {summary['best_start']:.3f}, "
                  f"valid {summary['valid']:.1%}, novel {summary['novel']:.1%}")  # fmt: skip
    for col in ("rank", "SMILES", objective, "step", "novel"):
        table.add_column(col)
    for i, f in enumerate(summary["top"][:top], 1):
        table.add_row(str(i), escape(f["smiles"]), f"{f['score']:.3f}", str(f["step"]),
                      str(f["novel"]))  # fmt: skip
    console.print(table)
    path = Table(title="one optimization, decoded step by step")
    for col in ("step", "SMILES", objective):
        path.add_column(col)
    for f in summary["path"]:
        path.add_row(str(f["step"]), escape(f["smiles"]) or "(empty)",
                     "invalid" if f["score"] is None else f"{f['score']:.3f}")  # fmt: skip
    console.print(path)
    output = output or run / f"optimize-{objective}-{method}.json"
    atomic_write_text(output, json.dumps(summary, indent=2) + "\n")
    emit_result(output)


def _note_changed_starts(console: Console, result: Any, lines: list[int] | None) -> None:
    """Name the starting molecules whose codes decode to another molecule (with their file
    lines when read from --start): the search starts from the code, not the molecule."""
    changed = result.changed_starts()
    if not changed:
        return
    where: dict[int, int] = {}
    if lines is not None and len(lines) == len(result.start):
        where = {id(f): n for f, n in zip(result.start, lines, strict=True)}
    shown = []
    for given, decoded in changed[:SHOWN]:
        line = f"line {where[id(given)]}: " if id(given) in where else ""
        shown.append(f"{line}{given.smiles} decodes to {decoded.smiles or '(empty)'}"
                     + (" (invalid)" if decoded.score is None else ""))  # fmt: skip
    more = "; ..." if len(changed) > SHOWN else ""
    note(console, f"{len(changed)} of {len(result.start)} starting molecules decode to another "
                  f"molecule, and the search starts from their codes: {'; '.join(shown)}{more}")
