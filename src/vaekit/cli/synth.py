"""``vaekit synth fit|sample|report``: synthetic tables from a TVAE."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    check_out_dir,
    deprecated_alias,
    emit_result,
    num_option,
    out_dir_option,
    output_option,
    seed_option,
    stderr_console,
)
from vaekit.column_types import TYPES_HELP, parse_types
from vaekit.errors import ConfigError, DataError, ModelFileError

if TYPE_CHECKING:
    from vaekit.data.table import Table

app = typer.Typer(help="Synthetic mixed-type tables (TVAE) with a quality and privacy report.",
                  no_args_is_help=True)  # fmt: skip
HOLDOUT_JSON = "holdout.json"


__all__ = ["app", "parse_types"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@app.command("fit")
def fit_command(
    table: Path = typer.Argument(..., help="The real table: CSV (.csv or .csv.gz) with a header."),
    out: Path = out_dir_option("of the fitted synthesizer.", default=...),
    epochs: int = typer.Option(300, "--epochs", help="Training epochs (TVAE: 300)."),
    batch_size: int = typer.Option(500, "--batch-size", help="Batch size (TVAE: 500)."),
    embedding_dim: int = typer.Option(128, "--embedding-dim", help="Latent size (TVAE: 128)."),
    types: str = typer.Option(None, "--types", help=TYPES_HELP),
    holdout: float = typer.Option(
        0.1, "--holdout", help="Share of rows kept out of training: the privacy baseline."
    ),
    seed: Annotated[
        int, seed_option("Seed of the split, the transformer, the training.")
    ] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fit a TVAE synthesizer to TABLE and save it to --out.

    The column types (inferred, or given with --types) are shown first (not with -q).
    A column of numbers with a few text cells is refused, naming them by line: fix them,
    or give the column a type (--types age=categorical).
    Sampled numbers keep to each column's fitted [min, max] and its observed number of
    decimals.
    """
    from vaekit.data.table import describe_types, read_csv
    from vaekit.io.run import write_run_json
    from vaekit.tabular import Synthesizer
    from vaekit.tabular.synthesizer import split_holdout

    console = stderr_console()
    check_out_dir(out, console)
    apply_threads(threads, quiet, console)
    real = read_csv(table, parse_types(types))
    train_rows, holdout_rows = split_holdout(len(real), holdout, seed)
    synth = Synthesizer(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                        types=dict(real.types), random_state=seed, device=device,
                        verbose=not quiet)  # fmt: skip
    synth._validate_params()  # a bad count is refused before anything is printed or written
    stderr_console(quiet).print(f"types: {describe_types(real)}", highlight=False, soft_wrap=True)
    # where the rows came from: what `vaekit resume` reads again, and the holdout of the report
    write_run_json(out, "synthesizer", data={
        "path": str(table.resolve()), "types": dict(real.types), "sha256": _digest(table),
        "rows": len(real), "holdout": {"fraction": holdout, "seed": seed}})  # fmt: skip
    synth.fit(real.select(train_rows), out=out)
    console.print(f"fitted on {len(train_rows)} rows ({len(holdout_rows)} held out) in "
                  f"{synth.fit_seconds_:.1f} s; saved to {out}")  # fmt: skip
    emit_result(out)


@app.command("sample")
def sample_command(
    run: Path = typer.Argument(..., help="A `vaekit synth fit` run directory."),
    n: Annotated[int, num_option("Rows to draw.")] = 1000,
    num_rows: int = typer.Option(
        None, "--num-rows", hidden=True, help="Deprecated spelling of -n/--num."
    ),
    output: Path = output_option(
        "Table to write: .csv, .csv.gz or .parquet (needs pyarrow).", default=...
    ),
    where: list[str] = typer.Option(
        None, "--where", help="Only rows with column=value (repeatable; rejection sampling)."
    ),
    seed: Annotated[int, seed_option("Sampling seed.")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Draw N synthetic rows from RUN into a table file.

    Numbers keep to each column's fitted [min, max] and observed number of decimals.
    """
    from vaekit.tabular import Synthesizer
    from vaekit.tabular.outputs import check_table_output, write_table

    check_table_output(output)
    n = deprecated_alias(num_rows, n, "synth sample --num-rows", "-n/--num")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    synth = Synthesizer.load(run, device=device)
    rows = synth.sample_table(n, where=where or None, seed=seed)
    write_table(rows, output)
    console.print(f"wrote {len(rows)} rows to {output}")
    emit_result(output)


def _real_split(run: Path, real: Table, real_path: Path) -> tuple[Table, Table | None]:
    """The training rows and the holdout of ``run``, recovered from the real table (the
    split is recorded in ``run.json``; runs from before it in ``holdout.json``)."""
    from vaekit.io.run import Run
    from vaekit.tabular.synthesizer import split_holdout

    path = run / HOLDOUT_JSON
    source = Run.open(run, "synthesizer").info.get("data") or {}
    if path.exists():
        try:
            meta = json.loads(path.read_text())
            rows, held = int(meta["rows"]), np.array(meta["holdout"], dtype=np.int64)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: bad holdout record ({e})") from None
        meta["path"] = meta.get("source")
    elif source.get("holdout") and "rows" in source:
        meta, rows = source, int(source["rows"])
        held = split_holdout(rows, float(source["holdout"]["fraction"]),
                             int(source["holdout"]["seed"]))[1]  # fmt: skip
    else:
        return real, None
    if len(real) != rows:
        raise DataError(f"{real_path} has {len(real)} rows; the run was fitted on a table of "
                        f"{rows} (give the same --real file)")  # fmt: skip
    if meta.get("sha256") and _digest(real_path) != meta["sha256"]:
        stderr_console().print(f"[yellow]note: {real_path} differs from the fitted file "
                               f"{meta.get('path')} (same row count)")  # fmt: skip
    mask = np.zeros(rows, dtype=bool)
    mask[held] = True
    return real.select(~mask), (real.select(mask) if mask.any() else None)


@app.command("report")
def report_command(
    run: Path = typer.Argument(..., help="A `vaekit synth fit` run directory."),
    real: Path = typer.Option(..., "--real", help="The real table the run was fitted on."),
    test: Path = typer.Option(None, "--test", help="Real test rows for ML efficacy."),
    target: str = typer.Option(None, "--target", help="Column to predict (ML efficacy)."),
    n: Annotated[int | None, num_option("Synthetic rows. [default: as trained]")] = None,
    num_rows: int = typer.Option(
        None, "--num-rows", hidden=True, help="Deprecated spelling of -n/--num."
    ),
    output: Annotated[
        Path | None,
        output_option("HTML report; report.json and the figures go beside it. "
                      "[default: RUN/report/report.html]"),
    ] = None,
    old_out: Path = typer.Option(
        None, "--out", hidden=True, help="Deprecated: the report folder; use -o FOLDER/report.html."
    ),
    seed: Annotated[int, seed_option("Sampling and subsampling seed.")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Quality (SDMetrics' score), ML efficacy and privacy of RUN's synthetic rows."""
    from vaekit.tabular import Synthesizer
    from vaekit.tabular.inputs import read_fitted_csv
    from vaekit.tabular.report import build_report

    n = deprecated_alias(num_rows, n, "synth report --num-rows", "-n/--num")
    folder = deprecated_alias(old_out, None, "synth report --out FOLDER", "-o FOLDER/report.html")
    output = output or (folder or run / "report") / "report.html"
    if output.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"the report is an HTML file; got {output.name!r}")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    synth = Synthesizer.load(run, device=device)
    table = read_fitted_csv(real, synth.column_types_)
    train, holdout = _real_split(run, table, real)
    test_rows = None
    if test is not None:
        test_rows = read_fitted_csv(test, synth.column_types_)
    if target is not None and test_rows is None and holdout is None:
        raise ConfigError("--target needs --test or a run fitted with --holdout > 0")
    rows = synth.sample_table(n or len(train), seed=seed)
    out = output.parent
    result = build_report(rows, train, holdout, test_rows, target, out,
                          title=f"Synthetic table report: {run.name}",
                          extra={"fit_seconds": synth.fit_seconds_}, seed=seed)  # fmt: skip
    if output.name != "report.html":
        (out / "report.html").replace(output)
    q, p = result["quality"], result["privacy"]
    console.print(f"quality score {q['score']:.4f} (column shapes {q['column_shapes']:.4f}, "
                  f"pair trends {q['column_pair_trends']:.4f})")  # fmt: skip
    if "ml_efficacy" in result:
        e = result["ml_efficacy"]
        console.print(f"ML efficacy {e['metric']}: synthetic {e.get('synthetic', float('nan')):.4f}"
                      f", real {e['real']:.4f}")  # fmt: skip
    line = f"median DCR synthetic {p['dcr_synthetic_median']:.4f}"
    if "dcr_holdout_median" in p:
        line += f", holdout {p['dcr_holdout_median']:.4f}"
    console.print(f"{line}; copies of training rows {p['copies_synthetic']:.4f}")
    emit_result(output)
