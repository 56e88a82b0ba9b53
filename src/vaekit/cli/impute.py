"""``vaekit impute fit|transform``: missing-value imputation (MIWAE) on CSV tables with numeric,
integer, boolean, datetime and categorical columns."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vaekit.errors import ConfigError, DataError

app = typer.Typer(help="Fill missing values with a MIWAE (Mattei & Frellsen 2019).",
                  no_args_is_help=True)  # fmt: skip


@app.command("fit")
def fit_command(
    table: Path = typer.Argument(..., help="CSV with missing cells (empty, NA, NaN)."),
    out: Path = typer.Option(..., "--out", help="Directory for the fitted imputer."),
    epochs: int = typer.Option(
        None, "--epochs", help="Training epochs. [default: about 6,000 steps]"
    ),
    latent_dim: int = typer.Option(
        None, "--latent-dim", help="Latent dimensions. [default: columns - 1, max 10]"
    ),
    max_categories: int = typer.Option(
        100, "--max-categories", help="Most levels of a categorical column (more is refused)."
    ),
    seed: int = typer.Option(0, "--seed", help="random_state."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fit an imputer on TABLE and save it to --out."""
    from vaekit.data.table import read_csv
    from vaekit.tabular.imputer import VAEImputer

    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} already exists and is not empty; choose another --out")
    t = read_csv(table)
    imp = VAEImputer(latent_dim=latent_dim, epochs=epochs, max_categories=max_categories,
                     random_state=seed, device=device, verbose=not quiet).fit(t)  # fmt: skip
    imp.save(out)
    Console(stderr=True).print(f"fitted on {len(t)} rows, {imp.epochs_} epochs; saved to {out}")


@app.command("transform")
def transform_command(
    run: Path = typer.Argument(..., help="A `vaekit impute fit` directory."),
    table: Path = typer.Argument(..., help="CSV with the fitted columns and missing cells."),
    output: Path = typer.Option(..., "-o", "--output", help="CSV to write (completed)."),
    n_draws: int = typer.Option(
        0,
        "--n-draws",
        help="Multiple imputation: write this many completed tables "
        "(OUTPUT with -1, -2... before the suffix) instead of the conditional mean.",
    ),  # fmt: skip
    n_samples: int = typer.Option(1000, "--n-samples", help="Importance samples per row."),
) -> None:
    """Fill the missing cells of TABLE with RUN's imputer."""
    from vaekit.data.table import read_csv, write_csv
    from vaekit.tabular.imputer import VAEImputer
    from vaekit.tabular.inputs import check_same_columns

    imp = VAEImputer.load(run)
    imp.n_samples = n_samples
    if imp.layout_ is None:
        raise DataError(f"{run}: fitted on an array from Python, not by `vaekit impute fit`")
    if not table.exists():
        raise DataError(f"{table}: not found")
    fitted = imp.layout_.types  # read with the fitted types; other columns are refused
    t = read_csv(table, {n: fitted[n] for n in read_csv(table).names if n in fitted})
    check_same_columns(t, fitted, str(table))
    outputs = imp.sample_imputations(t, n_draws) if n_draws > 0 else [imp.transform(t)]
    for i, filled in enumerate(outputs):
        path = output if n_draws <= 0 else output.with_name(
            f"{output.stem}-{i + 1}{output.suffix}")  # fmt: skip
        write_csv(filled, path)
    cells = sum(int(t.missing(n).sum()) for n in t.names)
    Console(stderr=True).print(f"filled {cells} cells; wrote {max(n_draws, 1)} table(s)")
