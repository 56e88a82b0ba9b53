"""``vaekit timeseries fit|impute|sample|report``: fill the missing steps of multivariate
time series with GP-VAE or a recurrent VAE, and generate new windows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from vaekit.cli.options import (
    DEFAULT_DEVICE,
    Device,
    Quiet,
    Threads,
    apply_threads,
    check_out_dir,
    emit_result,
    make_output_folder,
    num_option,
    out_dir_option,
    output_option,
    seed_option,
    stderr_console,
)
from vaekit.errors import ConfigError, DataError

app = typer.Typer(help="Impute and generate multivariate time series (GP-VAE, recurrent VAE).",
                  no_args_is_help=True)  # fmt: skip

TimeColumn = Annotated[str, typer.Option("--time-column",
                       help="The time column. [default: one named date/time/timestamp, "
                            "else the first]")]  # fmt: skip
IdColumn = Annotated[str, typer.Option("--id-column",
                     help="Long files: the series id column (one channel per id and value "
                          "column).")]  # fmt: skip
Columns = Annotated[str, typer.Option("--columns",
                    help="Value columns to use, comma-separated. [default: all others]")]
Ids = Annotated[str, typer.Option("--ids", help="Long files: the series ids to keep, "
                                                "comma-separated. [default: all]")]  # fmt: skip
Freq = Annotated[str, typer.Option("--freq",
                 help="Grid step: 1D, 6h, 15min, 1W..., or rows (each row is the next step). "
                      "[default: the most common time difference]")]  # fmt: skip


def _split(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def _source(path: Path, time_column: str | None, id_column: str | None, columns: str | None,
            ids: str | None, freq: str | None) -> dict[str, Any]:  # fmt: skip
    """How the series is read: what ``run.json`` records for resume and ``impute``."""
    return {"path": str(path.resolve()), "time_column": time_column, "id_column": id_column,
            "columns": _split(columns), "ids": _split(ids), "freq": freq}  # fmt: skip


def _read(source: dict[str, Any], path: Path | None = None) -> Any:
    from vaekit.timeseries import read_series

    return read_series(path or source["path"], source.get("time_column"),
                       source.get("id_column"), source.get("columns"), source.get("ids"),
                       source.get("freq"))  # fmt: skip


@app.command("fit")
def fit_command(
    data: Path = typer.Argument(..., help="CSV (.csv or .csv.gz) of the series, NaN or empty "
                                          "cells = missing."),  # fmt: skip
    out: Path = out_dir_option("of the fitted model.", default=...),
    model: str = typer.Option("gp-vae", "--model", help="gp-vae (imputation) or rnn-vae "
                                                         "(generation)."),  # fmt: skip
    window: int = typer.Option(24, "--window", help="Steps per window."),
    stride: int = typer.Option(1, "--stride", help="Steps between training windows."),
    epochs: int = typer.Option(None, "--epochs",
                               help="Training epochs. [default: about 4,000 steps]"),
    latent_dim: int = typer.Option(None, "--latent-dim",
                                   help="Latent size. [default: 12 gp-vae, 16 rnn-vae]"),
    beta: float = typer.Option(0.2, "--beta", help="Weight of the KL term."),
    likelihood: str = typer.Option("student-t", "--likelihood", help="student-t or gaussian."),
    scaling: str = typer.Option("standard", "--scaling",
                                help="Per-channel scaling: standard or minmax."),
    time_column: TimeColumn = None,
    id_column: IdColumn = None,
    columns: Columns = None,
    ids: Ids = None,
    freq: Freq = None,
    seed: Annotated[int, seed_option("Random seed (random_state).")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fit a time-series model on DATA and save it to --out.

    DATA is wide (a time column and one column per channel) or long (--id-column: time,
    series id and value columns). Its rows are put on a regular grid: a missing time is a
    step of missing values; a duplicated time, a time off the grid or a channel with no
    observed value is refused, naming it.
    """
    from vaekit.io.run import write_run_json
    from vaekit.timeseries import TimeSeriesImputer

    console = stderr_console()
    check_out_dir(out, console)
    apply_threads(threads, quiet, console)
    imp = TimeSeriesImputer(model=model, window=window, stride=stride, latent_dim=latent_dim,
                            beta=beta, likelihood=likelihood, scaling=scaling, epochs=epochs,
                            random_state=seed, device=device, verbose=not quiet)  # fmt: skip
    imp._check_params()  # a bad option is refused before anything is read or written
    source = _source(data, time_column, id_column, columns, ids, freq)
    series = _read(source)
    series.check_channels()
    stderr_console(quiet).print(f"series: {series.describe()}", highlight=False, soft_wrap=True)
    write_run_json(out, "timeseries", data=source)
    imp.fit(series, out=out)
    console.print(f"fitted {model} on {imp.n_windows_:,} windows of {window} steps, "
                  f"{imp.epochs_} epochs; saved to {out}", soft_wrap=True)  # fmt: skip
    emit_result(out)


def _write_series(path: Path, series: Any, extra: dict[str, Any] | None = None) -> None:
    """A wide CSV: the time column, then the channels (then ``extra`` columns)."""
    import numpy as np

    make_output_folder(path)
    extra = extra or {}
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", *series.channels, *extra])
        cols = [series.values[:, j] for j in range(series.values.shape[1])] + list(extra.values())
        for i, t in enumerate(series.times):
            stamp = str(t).replace("T00:00:00", "") if np.issubdtype(
                series.times.dtype, np.datetime64) else f"{t:g}"  # fmt: skip
            w.writerow([stamp, *(repr(float(c[i])) for c in cols)])  # exact: observed kept


@app.command("impute")
def impute_command(
    run: Path = typer.Argument(..., help="A `vaekit timeseries fit` directory."),
    data: Path = typer.Argument(None, help="The series to fill (read as the fit read its "
                                           "data). [default: the fitted series]"),  # fmt: skip
    output: Path = output_option("CSV to write: the series with its missing steps filled.",
                                 default=...),  # fmt: skip
    n_draws: int = typer.Option(0, "--n-draws",
                                help="Also draw this many completions and add a 5%-95% band "
                                     "per channel (<channel>_lo, <channel>_hi)."),  # fmt: skip
    seed: Annotated[int | None, seed_option("Seed of the draws. [default: the fit's]")] = None,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Fill the missing steps of DATA (default: the series RUN was fitted on)."""
    import numpy as np

    from vaekit.io.run import Run
    from vaekit.timeseries import TimeSeriesImputer

    if output.suffix != ".csv":
        raise ConfigError(f"-o {output}: timeseries impute writes a .csv file")
    if n_draws < 0:
        raise ConfigError(f"--n-draws must be >= 0, got {n_draws}")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    imp = TimeSeriesImputer.load(run, device=device)
    if seed is not None:
        imp.random_state = seed
    source = Run.open(run, "timeseries").info.get("data")
    if not source:
        raise DataError(f"{run}: fitted from Python; impute with TimeSeriesImputer.transform")
    series = _read(source, data)
    filled = imp.transform(series)
    extra = {}
    if n_draws:
        draws = np.stack([d.values for d in imp.sample_imputations(series, n_draws)])
        lo, hi = np.quantile(draws, 0.05, axis=0), np.quantile(draws, 0.95, axis=0)
        for j, c in enumerate(series.channels):
            extra[f"{c}_lo"], extra[f"{c}_hi"] = lo[:, j], hi[:, j]
    _write_series(output, filled, extra)
    cells = int(np.isnan(series.values).sum())
    console.print(f"filled {cells:,} missing entries of {series.describe()}", soft_wrap=True)
    emit_result(output)


@app.command("sample")
def sample_command(
    run: Path = typer.Argument(..., help="A `vaekit timeseries fit` directory."),
    num: Annotated[int, num_option("Windows (or series, with --length) to generate.")] = 100,
    output: Path = output_option("CSV to write: window (or series), step, then one column "
                                 "per channel.", default=...),  # fmt: skip
    length: int = typer.Option(None, "--length", help="Generate series of this many steps "
                                                      "instead of windows (gp-vae runs)."),
    means: bool = typer.Option(False, "--means",
                               help="Decoded means instead of draws from the likelihood."),
    seed: Annotated[int | None, seed_option("Seed of the draws. [default: the fit's]")] = None,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Generate new windows from RUN's model, in the data's units."""
    from vaekit.timeseries import TimeSeriesImputer

    if output.suffix != ".csv":
        raise ConfigError(f"-o {output}: timeseries sample writes a .csv file")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    imp = TimeSeriesImputer.load(run, device=device)
    if seed is not None:
        imp.random_state = seed
    windows = imp.sample(num, noise=not means, length=length)
    make_output_folder(output)
    with open(output, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["window" if length is None else "series", "step", *imp.channels_])
        for i, win in enumerate(windows):
            for t, row in enumerate(win):
                w.writerow([i, t, *(f"{v:.8g}" for v in row)])
    what = "windows" if length is None else "series"
    console.print(f"wrote {num:,} {what} of {windows.shape[1]} steps x {len(imp.channels_)} "
                  "channels")
    emit_result(output)


@app.command("report")
def report_command(
    run: Path = typer.Argument(..., help="A `vaekit timeseries fit` directory."),
    data: Path = typer.Argument(None, help="The series to check on (read as the fit read its "
                                           "data). [default: the fitted series]"),  # fmt: skip
    holdout: float = typer.Option(0.1, "--holdout",
                                  help="Share of the observed entries hidden and scored."),
    channel: str = typer.Option(None, "--channel",
                                help="The channel drawn. [default: the first]"),
    output: Path = output_option("The figure (PNG). [default: RUN/plots/imputation.png]",
                                 default=None),  # fmt: skip
    generation: bool = typer.Option(False, "--generation",
                                    help="Also score generated windows by the TimeGAN protocol "
                                         "(discriminative and predictive scores), their "
                                         "marginals and autocorrelation, and draw "
                                         "RUN/plots/generation.png (PCA, t-SNE; minutes)."),
    seed: Annotated[int, seed_option("Seed of the held-out entries and the draws.")] = 0,
    device: Device = DEFAULT_DEVICE,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Hide a share of the observed entries, fill them with RUN's model and with simple
    baselines (mean, last observation, linear interpolation), print the errors (MAE, RMSE,
    MRE) and the 90% interval's coverage, and draw one channel.

    The model was fitted with those entries visible: for an honest figure on new gaps, fit
    on the series with the entries already hidden (benchmarks/timeseries.py does).
    """
    import json

    from vaekit._tempfiles import atomic_write_text
    from vaekit.io.run import Run
    from vaekit.timeseries import TimeSeriesImputer
    from vaekit.timeseries.report import draw_imputation, held_out_check

    if not 0 < holdout < 1:
        raise ConfigError(f"--holdout must be in (0, 1), got {holdout}")
    console = stderr_console()
    apply_threads(threads, quiet, console)
    imp = TimeSeriesImputer.load(run, device=device)
    imp.random_state = seed
    source = Run.open(run, "timeseries").info.get("data")
    if not source:
        raise DataError(f"{run}: fitted from Python; see vaekit.timeseries.report")
    series = _read(source, data)
    j = 0
    if channel is not None:
        if channel not in series.channels:
            raise DataError(f"no channel {channel!r}; there are {', '.join(series.channels)}")
        j = series.channels.index(channel)
    check = held_out_check(imp, series, holdout, seed)
    figure = output or run / "plots" / "imputation.png"
    draw_imputation(series, check, j, figure)
    result = {"holdout": holdout, "n_hidden": check["n_hidden"], "errors": check["errors"],
              "coverage_90": check["coverage_90"]}  # fmt: skip
    out = stderr_console(False)
    out.print(f"{check['n_hidden']:,} held-out entries ({100 * holdout:g}% of the observed):")
    for name, e in check["errors"].items():
        out.print(f"  {name:22s} MAE {e['mae']:.4g}  RMSE {e['rmse']:.4g}  MRE {e['mre']:.4f}")
    out.print(f"  90% interval of the model's draws holds {100 * check['coverage_90']:.1f}% of "
              "the held-out truth", soft_wrap=True)  # fmt: skip
    if generation:
        result["generation"] = _generation_scores(imp, series, seed, out,
                                                  run / "plots" / "generation.png")
    atomic_write_text(run / "report.json", json.dumps(result, indent=2))
    emit_result(figure)


def _generation_scores(imp: Any, series: Any, seed: int, out: Any,
                       figure: Path) -> dict[str, Any]:  # fmt: skip
    """TimeGAN's discriminative and predictive scores of as many generated windows as the
    series has, both min-max scaled by the real series; the marginals' KS statistics, the
    autocorrelation gap, and the figure of both (marginals, autocorrelation, PCA, t-SNE)."""
    import numpy as np

    from vaekit.timeseries.fidelity import fidelity_summary
    from vaekit.timeseries.generation import (
        discriminative_score,
        minmax_windows,
        predictive_score,
    )
    from vaekit.timeseries.report import draw_generation

    values = series.values
    if np.isnan(values).any():
        raise DataError("--generation scores complete series; this one has missing values")
    real = minmax_windows(values, imp.window)
    low, span = values.min(0), values.max(0) - values.min(0) + 1e-7
    fake = np.clip((imp.sample(len(real)) - low) / span, 0, 1)
    scores = {"discriminative": discriminative_score(real, fake, seed),
              "predictive": predictive_score(fake, real, seed),
              "predictive_real": predictive_score(real, real, seed)}  # fmt: skip
    scores |= fidelity_summary(real, fake, series.channels)
    draw_generation(real, fake, series.channels, figure, seed=seed)
    gap = "n/a" if scores["acf_gap"] is None else f"{scores['acf_gap']:.3f}"
    out.print(f"generation ({len(real):,} windows): discriminative "
              f"{scores['discriminative']:.3f}, predictive {scores['predictive']:.4f} (real "
              f"data {scores['predictive_real']:.4f}); marginals' KS statistic "
              f"{scores['ks_mean']:.3f} (channel mean), autocorrelation gap {gap}; figure "
              f"{figure}", soft_wrap=True)  # fmt: skip
    return scores
