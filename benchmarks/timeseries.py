"""Time-series imputation and generation: vaekit's models against simple and classic peers,
in one run.

Imputation (the BRITS/SAITS protocol): a seeded share of the *observed* entries is hidden,
every method fills the series, only the hidden entries are scored (MAE, RMSE, MRE; mean and
standard deviation over seeds). Data: German PM10, 2002-2009 x the 33 stations with < 30%
missing (7.2% natural gaps, kept) plus 10% hidden; Irish wind speeds (complete) with 10%,
30% and 50% hidden. Peers: channel mean, last observation carried forward, linear
interpolation, KNN (scikit-learn's KNNImputer over time steps, k = 5) and MICE (scikit-
learn's IterativeImputer, 10 rounds); PyPOTS's GP-VAE, BRITS and SAITS on vaekit's windows
for vaekit's epochs where ``pypots`` imports (``--pypots``; BRITS and SAITS for the first
``--pypots-seeds`` seeds).

Generation (the TimeGAN protocol, ``vaekit.timeseries.generation``): GOOG's six daily
columns (Open, High, Low, Close, Adj Close, Volume) and the 12 Irish wind stations, min-max
scaled, windows of 24; the recurrent VAE generates as many windows as there are real ones;
the discriminative and predictive scores are repeated ``--repeats`` times (seeds of the
post-hoc models), with each channel's Kolmogorov-Smirnov statistic and the autocorrelation
gap (``vaekit.timeseries.fidelity``). TimeGAN's published GOOG figures (0.102 / 0.038, real
data 0.036) are on 2004-2019 prices; this copy ends in 2013 (2,124 windows instead of
3,661), so the real-data reference is measured here.

    python benchmarks/timeseries.py [--seeds 5] [--parts impute,generate] [--pypots]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from _record import append_results
from vaekit.timeseries import (
    TimeSeries,
    TimeSeriesImputer,
    hold_out,
    imputation_errors,
    read_series,
)
from vaekit.timeseries.generation import discriminative_score, minmax_windows, predictive_score
from vaekit.timeseries.report import channel_means, last_observation, linear_interpolation

DATA = Path(os.environ.get("VAEKIT_DATA_DIR", "../shared/data")) / "timeseries"
FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
#: the 33 PM10 stations with < 30% missing in 2002-2009 (the data's README)
PM10_STATIONS = (
    "DENI063 DEBE056 DEBE032 DEHE046 DENW081 DESN049 DETH026 DENI059 DEHE028 DEMV017 DEBB053 "
    "DETH061 DERP014 DEBY047 DENW065 DEUB030 DENI058 DERP017 DEHE043 DEUB004 DEUB029 DEBW087 "
    "DENW064 DENW068 DENI019 DEUB005 DEHE051 DENI060 DERP015 DERP016 DERP013 DENI051 DEUB028"
).split()


def pm10() -> np.ndarray:
    s = read_series(DATA / "de_pm10_air" / "pm10_daily_wide.csv.gz", columns=PM10_STATIONS)
    return s.values[s.times >= np.datetime64("2002-01-01")]


def wind_series() -> TimeSeries:
    return read_series(DATA / "irish_wind" / "wind_daily.csv")


def wind() -> np.ndarray:
    return wind_series().values


def knn(values: np.ndarray) -> np.ndarray:
    from sklearn.impute import KNNImputer

    return KNNImputer(n_neighbors=5).fit_transform(values)


def mice(values: np.ndarray) -> np.ndarray:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    return IterativeImputer(max_iter=10, random_state=0).fit_transform(values)


def vaekit_method(model: str, epochs: int | None, **kw) -> Callable[[np.ndarray, int], np.ndarray]:
    def fill(values: np.ndarray, seed: int) -> np.ndarray:
        imp = TimeSeriesImputer(model=model, epochs=epochs, random_state=seed, **kw)
        return imp.fit_transform(values)

    return fill


def pypots_methods(epochs: int | None) -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    """PyPOTS's GP-VAE, BRITS and SAITS trained on vaekit's windows (24 steps, stride 1,
    batches of 64) for vaekit's epochs, filling as vaekit does (every window of the series,
    the fills of a step averaged); their own defaults otherwise (GP-VAE with vaekit's 12
    latent trajectories)."""
    from pypots.imputation import BRITS, GPVAE, SAITS

    from vaekit.timeseries.imputer import auto_epochs
    from vaekit.timeseries.windows import ChannelScaler, make_windows, stitch

    def run(make: Callable[[int, int], object]) -> Callable[[np.ndarray, int], np.ndarray]:
        def fill(values: np.ndarray, seed: int) -> np.ndarray:
            from pypots.utils.random import set_random_seed

            set_random_seed(seed)
            sc = ChannelScaler.fit(values)
            w = make_windows(sc.transform(values), 24, 1)
            model = make(values.shape[1], epochs or auto_epochs(len(w), 64))
            model.fit({"X": w})
            out = np.asarray(model.predict({"X": w})["imputation"])
            out = out.reshape(out.shape[0], -1, 24, values.shape[1]).mean(1) if out.ndim == 4 \
                else out  # fmt: skip
            filled = sc.inverse(stitch(out, len(values), 1))
            return np.where(np.isnan(values), filled, values)

        return fill

    same = dict(batch_size=64, verbose=False)
    return {
        "PyPOTS GP-VAE": run(lambda c, e: GPVAE(24, c, latent_size=12, encoder_sizes=(128, 128),
                                                decoder_sizes=(128, 128), epochs=e, **same)),
        "PyPOTS BRITS": run(lambda c, e: BRITS(24, c, rnn_hidden_size=64, epochs=e, **same)),
        "PyPOTS SAITS": run(lambda c, e: SAITS(24, c, n_layers=2, d_model=64, n_heads=4, d_k=16,
                                               d_v=16, d_ffn=64, epochs=e, **same)),
    }


#: peers run for the first ``--pypots-seeds`` seeds only (BRITS is the slowest by far)
SLOW_PEERS = ("PyPOTS BRITS", "PyPOTS SAITS")


def imputation(args: argparse.Namespace) -> str:
    methods: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
        f"vaekit {m}": vaekit_method(m, args.epochs) for m in args.models
    }
    methods |= {
        "mean": lambda v, s: channel_means(v),
        "last observation": lambda v, s: last_observation(v),
        "linear interpolation": lambda v, s: linear_interpolation(v),
        "KNN (k = 5)": lambda v, s: knn(v),
        "MICE": lambda v, s: mice(v),
    }
    if args.pypots:
        try:
            methods.update(pypots_methods(args.epochs))
        except ImportError as e:
            print(f"PyPOTS not importable ({e}); its models are left out")
    cases = [("PM10 (7.2% natural gaps kept)", pm10, 0.1)]
    cases += [("Irish wind", wind, r) for r in args.wind_rates]
    rows, seeds = [], list(range(args.seeds))
    for label, load, rate in cases:
        truth = load()
        scores: dict[str, list[dict]] = {m: [] for m in methods}
        times: dict[str, list[float]] = {m: [] for m in methods}
        for seed in seeds:
            hidden, mask = hold_out(truth, rate, seed)
            for name, fill in methods.items():
                if name in SLOW_PEERS and seed >= args.pypots_seeds:
                    continue
                t0 = time.perf_counter()
                filled = fill(hidden, seed)
                times[name].append(time.perf_counter() - t0)
                scores[name].append(imputation_errors(truth, filled, mask))
                print(f"{label} {rate:.0%} seed {seed} {name}: MAE {scores[name][-1]['mae']:.4f}",
                      flush=True)  # fmt: skip
        best_peer = min((statistics.mean(e["mae"] for e in scores[m]), m) for m in methods
                        if not m.startswith("vaekit") and scores[m])  # fmt: skip
        for name in (m for m in methods if scores[m]):
            mae = [e["mae"] for e in scores[name]]
            rmse = [e["rmse"] for e in scores[name]]
            mre = [e["mre"] for e in scores[name]]
            mark = " **best other**" if name == best_peer[1] else ""
            if len(mae) < len(seeds):
                mark += f" ({len(mae)} seed{'s' if len(mae) > 1 else ''})"
            rows.append(f"| {label} | {rate:.0%} | {name}{mark} | {_ms(mae)} | {_ms(rmse)} | "
                        f"{_ms(mre, 4)} | {statistics.mean(times[name]):.1f} s |")  # fmt: skip
    head = ("| data | hidden | method | MAE | RMSE | MRE | fit + fill time |\n"
            "| --- | --- | --- | --- | --- | --- | --- |\n")  # fmt: skip
    return (head + "\n".join(rows) + f"\n\nMean ± standard deviation over {len(seeds)} seed(s) "
            f"of the hidden entries (and of vaekit's initialisation); vaekit: windows of 24, "
            f"stride 1, {args.epochs or 'the automatic count of'} epochs (about 4,000 steps), "
            "otherwise the defaults of TimeSeriesImputer.\n")


def goog() -> TimeSeries:
    return read_series(DATA / "stocks" / "stocks_daily.csv.gz", id_column="Ticker", ids=["GOOG"],
                       columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"],
                       freq="rows")  # fmt: skip


#: generation data: label, loader, published TimeGAN row (or None), what the data is
GENERATION = {
    "goog": ("GOOG", goog, "| TimeGAN (published; 2004-2019 prices) | 0.102 ± 0.021 | "
             "0.038 ± 0.001 | 0.036 | - | - | - |",
             "GOOG 2004-08-19 to 2013-03-01, windows of 24 x 6 (open, high, low, close, "
             "adjusted close, volume)"),
    "wind": ("Irish wind", wind_series, None,
             "Irish wind speeds 1961-1978, windows of 24 days x 12 stations"),
}


def generation(args: argparse.Namespace, name: str) -> str:
    from vaekit.timeseries.fidelity import fidelity_summary
    from vaekit.timeseries.report import draw_generation

    label, load, published, what = GENERATION[name]
    series = load()
    values = series.values
    real = minmax_windows(values, 24)
    scaled = (values - values.min(0)) / (values.max(0) - values.min(0) + 1e-7)
    epochs = args.gen_epochs if name == "goog" else args.wind_gen_epochs
    t0 = time.perf_counter()
    imp = TimeSeriesImputer(model="rnn-vae", epochs=epochs, beta=args.gen_beta,
                            scaling="minmax", random_state=0).fit(scaled)  # fmt: skip
    fit_s = time.perf_counter() - t0
    fake = np.clip(imp.sample(len(real), noise=not args.gen_means), 0, 1)
    disc = [discriminative_score(real, fake, r) for r in range(args.repeats)]
    pred = [predictive_score(fake, real, r) for r in range(args.repeats)]
    ref = [predictive_score(real, real, r) for r in range(args.repeats)]
    fid = fidelity_summary(real, fake, [str(i) for i in range(real.shape[2])])
    figure = FIGURES / f"timeseries-generation-{name}.png"
    draw_generation(real, fake, series.channels, figure)
    kind = "decoded means" if args.gen_means else "draws from the likelihood"
    rows = (f"| vaekit rnn-vae ({kind}) | {_ms(disc, 3)} | {_ms(pred, 4)} | {_ms(ref, 4)} "
            f"| {fid['ks_mean']:.3f} | {fid['acf_gap']:.3f} | {fit_s:.0f} s |\n")
    if published:
        rows += published + "\n"
    return (
        f"{label}:\n\n| model | discriminative (lower is better) | predictive (MAE) | real data "
        "predictive | KS (channel mean) | autocorrelation gap | fit time |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + rows +
        f"\n{what}, min-max scaled per channel: {len(real):,} real and as many generated "
        f"windows; rnn-vae {epochs} epochs, beta {args.gen_beta}; scores over {args.repeats} "
        "seeds of the post-hoc GRUs (TimeGAN's code: hidden size half the channels, 2,000 / "
        "5,000 steps). Generated values are clipped to [0, 1] (TimeGAN's generator ends in a "
        "sigmoid; vaekit's likelihood is unbounded). KS: two-sample Kolmogorov-Smirnov "
        "statistic of each channel's values; autocorrelation gap: mean absolute difference of "
        f"the real and generated autocorrelations at lags 1-12. Figure: "
        f"docs/figures/{figure.name}.\n"
    )


def _ms(values: list[float], digits: int = 3) -> str:
    m = statistics.mean(values)
    s = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", default="impute,generate")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=None,
                   help="vaekit's (and PyPOTS's) epochs [default: vaekit's automatic count]")
    p.add_argument("--models", type=lambda s: s.split(","), default=["gp-vae", "rnn-vae"],
                   help="vaekit's models for imputation")  # fmt: skip
    p.add_argument("--wind-rates", type=lambda s: [float(x) for x in s.split(",")],
                   default=[0.1, 0.3, 0.5])  # fmt: skip
    p.add_argument("--pypots", action="store_true", help="add PyPOTS's GP-VAE, BRITS, SAITS")
    p.add_argument("--pypots-seeds", type=int, default=5,
                   help="seeds for PyPOTS's BRITS and SAITS (GP-VAE: all)")
    p.add_argument("--gen-epochs", type=int, default=600)
    p.add_argument("--gen-beta", type=float, default=2.0)
    p.add_argument("--gen-means", action="store_true", help="generate decoded means")
    p.add_argument("--gen-data", type=lambda s: s.split(","), default=["goog", "wind"],
                   help="generation data: goog, wind")  # fmt: skip
    p.add_argument("--wind-gen-epochs", type=int, default=100,
                   help="the generator's epochs on Irish wind (6,550 windows)")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    parts = args.parts.split(",")
    if "impute" in parts:
        append_results("time-series imputation, held-out entries", imputation(args))
    for name in args.gen_data:
        if "generate" in parts:
            append_results(f"time-series generation, TimeGAN protocol on {GENERATION[name][0]}",
                           generation(args, name))  # fmt: skip


if __name__ == "__main__":
    main()
