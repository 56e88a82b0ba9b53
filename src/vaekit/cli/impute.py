"""``vaekit impute fit|transform``: missing-value imputation (MIWAE) on CSV tables with numeric,
integer, boolean, datetime and categorical columns."""

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
    check_out_dir,
    emit_result,
    out_dir_option,
    output_option,
    seed_option,
    stderr_console,
)
from vaekit.column_types import TYPES_HELP
from vaekit.errors import ConfigError, DataError

app = typer.Typer(help="Fill missing values with a MIWAE (Mattei & Frellsen 2019).",
                  no_args_is_help=True)  # fmt: skip


@app.command("fit")
def fit_command(
    table: Path = typer.Argument(..., help="CSV with missing cells (empty, NA, NaN)."),
    out: Path = out_dir_option("of the fitted imputer.", default=...),
    epochs: int = typer.Option(
        None, "--epochs", help="Training epochs. [default: about 6,000 steps]"
    ),
    latent_dim: int = typer.Option(
        None, "--latent-dim", help="Latent dimensions. [default: columns - 1, max 10]"
    ),
    max_categories: int = typer.Option(
        100, "--max-categories", help="Most levels of a categorical column (more is refused)."
    ),
    types: str = typer.Option(None, "--types", help=TYPES_HELP),
    seed: Annotated[int, seed_option("Random seed (random_state).")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fit an imputer on TABLE and save it to --out.

    The column types (inferred, or given with --types) are shown first (not with -q).
    A column of numbers with a few text cells is refused, naming them by line: fix them,
    or give the column a type (--types age=categorical).
    Imputed numbers keep to what was observed: clipped to each column's observed
    [min, max] and rounded to its observed number of decimals.
    """
    from vaekit.column_types import parse_types
    from vaekit.data.table import describe_types, read_csv
    from vaekit.io.run import write_run_json
    from vaekit.tabular.imputer import VAEImputer

    console = stderr_console()
    check_out_dir(out, console)
    apply_threads(threads, quiet, console)
    t = read_csv(table, parse_types(types))
    imp = VAEImputer(latent_dim=latent_dim, epochs=epochs, max_categories=max_categories,
                     random_state=seed, device=device, verbose=not quiet)  # fmt: skip
    imp._check_params()  # a bad count is refused before anything is printed or written
    stderr_console(quiet).print(f"types: {describe_types(t)}", highlight=False, soft_wrap=True)
    # where the rows came from: what `vaekit resume` reads again
    write_run_json(out, "imputer", data={"path": str(table.resolve()), "types": dict(t.types)})
    imp.fit(t, out=out)
    console.print(f"fitted on {len(t)} rows, {imp.epochs_} epochs; saved to {out}")
    emit_result(out)


@app.command("transform")
def transform_command(
    run: Path = typer.Argument(..., help="A `vaekit impute fit` directory."),
    table: Path = typer.Argument(..., help="CSV with the fitted columns and missing cells."),
    output: Path = output_option(
        "Table to write (completed): .csv, .csv.gz or .parquet (needs pyarrow).", default=...
    ),
    n_draws: int = typer.Option(
        0,
        "--n-draws",
        help="Multiple imputation: write this many completed tables "
        "(OUTPUT with -1, -2... before the suffix) instead of the conditional mean.",
    ),  # fmt: skip
    n_samples: int = typer.Option(1000, "--n-samples", help="Importance samples per row."),
    seed: Annotated[int | None, seed_option("Seed of the draws. [default: the fit's]")] = None,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fill the missing cells of TABLE with RUN's imputer.

    Imputed numbers keep to what the fit observed: each is clipped to its column's observed
    [min, max] and rounded to the column's observed number of decimals.
    """
    from vaekit.tabular.imputer import VAEImputer
    from vaekit.tabular.inputs import read_fitted_csv
    from vaekit.tabular.outputs import check_table_output, numbered, write_table

    check_table_output(output)
    if n_samples < 1:
        raise ConfigError(f"--n-samples must be >= 1, got {n_samples}")
    if n_draws < 0:
        raise ConfigError(f"--n-draws must be >= 0 (0: the conditional mean), got {n_draws}")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    imp = VAEImputer.load(run, device=device)
    imp.n_samples = n_samples
    if seed is not None:
        imp.random_state = seed
    if imp.layout_ is None:
        raise DataError(f"{run}: fitted on an array from Python, not by `vaekit impute fit`")
    if not table.exists():
        raise DataError(f"{table}: not found")
    t = read_fitted_csv(table, imp.layout_.types)  # other columns are refused
    outputs = imp.sample_imputations(t, n_draws) if n_draws > 0 else [imp.transform(t)]
    for i, filled in enumerate(outputs):
        path = output if n_draws <= 0 else numbered(output, i + 1)
        write_table(filled, path)
        emit_result(path)
    cells = sum(int(t.missing(n).sum()) for n in t.names)
    console.print(f"filled {cells} cells; wrote {max(n_draws, 1)} table(s)")
