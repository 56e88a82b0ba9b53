"""``vaekit impute fit|transform``: missing-value imputation (MIWAE) on numeric CSV tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.console import Console

from vaekit.data.table import Table, read_csv, write_csv
from vaekit.errors import ConfigError, DataError

app = typer.Typer(help="Fill missing values with a MIWAE (Mattei & Frellsen 2019).",
                  no_args_is_help=True)  # fmt: skip
NUMERIC = ("numeric", "integer")


def _numeric(table: Table, path: Path) -> np.ndarray:
    bad = [n for n, k in table.types.items() if k not in NUMERIC]
    if bad:
        raise DataError(f"{path}: columns {bad} are not numeric; vaekit impute takes numeric "
                        "columns (drop or encode the others)")  # fmt: skip
    return np.stack([table.columns[n] for n in table.names], axis=1)


@app.command("fit")
def fit_command(
    table: Path = typer.Argument(..., help="CSV with missing cells (empty, NA, NaN)."),
    out: Path = typer.Option(..., "--out", help="Directory for the fitted imputer."),
    epochs: int = typer.Option(None, "--epochs", help="[default: about 10,000 steps]"),
    latent_dim: int = typer.Option(None, "--latent-dim", help="[default: columns - 1, max 32]"),
    seed: int = typer.Option(0, "--seed", help="random_state."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fit an imputer on TABLE and save it to --out."""
    from vaekit.tabular.imputer import VAEImputer

    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} already exists and is not empty; choose another --out")
    t = read_csv(table)
    imp = VAEImputer(latent_dim=latent_dim, epochs=epochs, random_state=seed, device=device,
                     verbose=not quiet).fit(_numeric(t, table))  # fmt: skip
    imp.save(out)
    (out / "columns.txt").write_text("\n".join(f"{n}\t{t.types[n]}" for n in t.names) + "\n")
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
    from vaekit.tabular.imputer import VAEImputer

    imp = VAEImputer.load(run)
    imp.n_samples = n_samples
    fitted = [ln.split("\t") for ln in (run / "columns.txt").read_text().splitlines()]
    types = dict(fitted)
    if not (table.exists() and set(types)):
        raise DataError(f"{table}: not found" if set(types) else f"{run}: no fitted columns")
    t = read_csv(table)
    if t.names != list(types):
        raise DataError(f"{table}: columns {t.names} differ from the fitted {list(types)}")
    t = read_csv(table, types)
    x = _numeric(t, table)
    outputs = imp.sample_imputations(x, n_draws) if n_draws > 0 else imp.transform(x)[None]
    for i, filled in enumerate(outputs):
        cols = {n: filled[:, j] for j, n in enumerate(t.names)}
        for n in t.names:
            if types[n] == "integer":
                cols[n] = np.round(cols[n])
        path = output if n_draws <= 0 else output.with_name(
            f"{output.stem}-{i + 1}{output.suffix}")  # fmt: skip
        write_csv(Table(cols, dict(t.types)), path)
    Console(stderr=True).print(f"filled {int(np.isnan(x).sum())} cells; wrote "
                               f"{max(n_draws, 1)} table(s)")  # fmt: skip
