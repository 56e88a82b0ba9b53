"""Synthetic tables: vaekit's tvae vs SDV's TVAE, SDV's Gaussian copula and independent
marginals on Adult and German credit, in one run.

Each table is split (seeded) into training rows and a real holdout. Every method fits the
training rows and samples as many rows; all are scored by the same code: SDMetrics' quality
score (vaekit.tabular.quality, checked here against sdmetrics' own QualityReport when it is
installed), machine-learning efficacy (gradient-boosted trees trained on synthetic vs on
real rows, F1 of the rarer class on the real test rows: Adult's official test file, German's
holdout), distance to closest record (synthetic vs holdout rows, to the training rows), exact
copies, and fit and sample time. SDV's TVAE trains for the same number of epochs.

    pip install -e ".[bench]"      # the peers (optional: the script skips what is absent)
    python benchmarks/tabular_synth.py --adult-epochs 50 --german-epochs 300
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from _record import append_results
from vaekit.data.table import Table, read_csv
from vaekit.tabular import Synthesizer
from vaekit.tabular.efficacy import ml_efficacy
from vaekit.tabular.privacy import privacy_report
from vaekit.tabular.quality import CONTINUOUS, quality_report

DATASETS = {
    # name: (training file, test file or None, target, holdout rows)
    "adult": ("adult.csv.gz", "adult_test.csv.gz", "income", 3000),
    "german": ("german_credit.csv.gz", None, "credit", 200),
}


def independent_marginals(train: Table, n: int, seed: int) -> Table:
    """Each column drawn on its own from the real values (the no-dependence baseline)."""
    rng = np.random.default_rng(seed)
    cols = {k: v[rng.integers(0, len(v), n)] for k, v in train.columns.items()}
    return Table(cols, dict(train.types))


def sdv_metadata(train: Table) -> Any:
    from sdv.metadata import Metadata

    columns = {name: {"sdtype": "numerical" if kind in CONTINUOUS else "categorical"}
               for name, kind in train.types.items()}  # fmt: skip
    return Metadata.load_from_dict({"tables": {"t": {"columns": columns}}})


def steal_seconds() -> float:
    """CPU time the host took from this machine's CPUs so far (``/proc/stat``'s steal; 0
    where it is not reported): a busy host slows every method, and says so here."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Clock:
    """Wall seconds, this process's CPU seconds (all threads) and host steal of one step."""

    def __enter__(self) -> Clock:
        self.t0, self.c0, self.s0 = time.perf_counter(), time.process_time(), steal_seconds()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        self.steal = steal_seconds() - self.s0


def run_method(method: str, train: Table, epochs: int, seed: int) -> tuple[Table, Clock, float]:
    """Fit ``method`` on ``train``; return (synthetic rows, the fit's clock, sample s)."""
    n = len(train)
    if method == "marginals":
        with Clock() as fit:
            pass
        t0 = time.perf_counter()
        out = independent_marginals(train, n, seed)
        return out, fit, time.perf_counter() - t0
    if method == "vaekit-tvae":
        with Clock() as fit:
            synth = Synthesizer(epochs=epochs, random_state=seed, device="cpu").fit(train)
        t0 = time.perf_counter()
        out = synth.sample_table(n)
        return out, fit, time.perf_counter() - t0
    from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

    torch.manual_seed(seed)
    np.random.seed(seed)
    md = sdv_metadata(train)
    model = (TVAESynthesizer(md, epochs=epochs, enable_gpu=False) if method == "sdv-tvae"
             else GaussianCopulaSynthesizer(md))  # fmt: skip
    df = train.to_pandas()
    with Clock() as fit:
        model.fit({"t": df})  # SDV 2: a dict of one table
    t0 = time.perf_counter()
    sampled = model.sample(n)
    sampled = sampled["t"] if isinstance(sampled, dict) else sampled
    took = time.perf_counter() - t0
    return Table.from_pandas(sampled, dict(train.types)), fit, took


def sdmetrics_score(real: Table, synth: Table) -> float | None:
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        return None
    md = {"columns": {n: {"sdtype": "numerical" if k in CONTINUOUS else "categorical"}
                      for n, k in real.types.items()}}  # fmt: skip
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real.to_pandas(), synth.to_pandas(), md, verbose=False)
    return float(report.get_score())


def evaluate(name: str, method: str, args: argparse.Namespace) -> dict[str, Any]:
    fname, test_name, target, n_hold = DATASETS[name]
    data_dir = Path(args.data_dir) / "tabular"
    table = read_csv(data_dir / fname)
    perm = np.random.default_rng(args.seed).permutation(len(table))
    holdout, train = table.select(np.sort(perm[:n_hold])), table.select(np.sort(perm[n_hold:]))
    test = read_csv(data_dir / test_name, dict(table.types)) if test_name else holdout
    epochs = args.adult_epochs if name == "adult" else args.german_epochs
    synth, fit, sample_s = run_method(method, train, epochs, args.seed)
    q = quality_report(train, synth)
    eff = ml_efficacy(train, test, target, synth, seed=args.seed)
    priv = privacy_report(synth, train, holdout, seed=args.seed)
    return {
        "quality": q["score"], "shapes": q["column_shapes"], "pairs": q["column_pair_trends"],
        "quality_all_pairs": q["score_all_pairs"], "sdmetrics": sdmetrics_score(train, synth),
        "f1_synthetic": eff.get("synthetic"), "f1_real": eff["real"], "metric": eff["metric"],
        "dcr_synth": priv["dcr_synthetic_median"], "dcr_holdout": priv["dcr_holdout_median"],
        "closer_to_train": priv["closer_to_train"], "copies": priv["copies_synthetic"],
        "copies_holdout": priv["copies_holdout"], "fit_s": fit.wall, "fit_cpu_s": fit.cpu,
        "fit_steal_s": fit.steal, "sample_s": sample_s,
        "epochs": epochs if "tvae" in method else None, "rows": len(train),
    }  # fmt: skip


def peers_available() -> bool:
    try:
        import sdv  # noqa: F401
    except ImportError:
        return False
    return True


def fmt(v: Any, spec: str = ".4f") -> str:
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("VAEKIT_DATA_DIR", "../shared/data"))
    p.add_argument("--datasets", default="adult,german")
    p.add_argument("--methods", default="vaekit-tvae,sdv-tvae,sdv-copula,marginals")
    p.add_argument("--adult-epochs", type=int, default=50)
    p.add_argument("--german-epochs", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", type=Path, default=Path("bench-runs/tabular/results.json"))
    args = p.parse_args()
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    methods = [m for m in args.methods.split(",") if peers_available() or not m.startswith("sdv")]
    rows = []
    for name in args.datasets.split(","):
        for method in methods:
            epochs = args.adult_epochs if name == "adult" else args.german_epochs
            key = f"{name}/{method}/{epochs}/{args.seed}"
            if key not in cache:
                print(f"{key} ...", flush=True)
                cache[key] = evaluate(name, method, args)
                args.cache.parent.mkdir(parents=True, exist_ok=True)
                args.cache.write_text(json.dumps(cache, indent=1))
            r = cache[key]
            print(key, json.dumps(r), flush=True)
            rows.append(
                f"| {name} | {method} | {r['epochs'] or '—'} | {fmt(r['quality'])} | "
                f"{fmt(r['sdmetrics'])} | {fmt(r['shapes'])} | {fmt(r['pairs'])} | "
                f"{fmt(r['f1_synthetic'], '.3f')} / {fmt(r['f1_real'], '.3f')} | "
                f"{fmt(r['dcr_synth'])} / {fmt(r['dcr_holdout'])} | "
                f"{fmt(r['closer_to_train'], '.3f')} | "
                f"{fmt(r['copies'], '.4f')} / {fmt(r['copies_holdout'], '.4f')} | "
                f"{fmt(r['fit_s'], '.1f')} | {fmt(r.get('fit_cpu_s'), '.1f')} | "
                f"{fmt(r.get('fit_steal_s'), '.1f')} | {fmt(r['sample_s'], '.2f')} |"
            )
    head = (
        "| table | method | epochs | quality | sdmetrics' own | column shapes | pair trends | "
        "F1 synth / real | median DCR synth / holdout | closer to train | copies synth / "
        "holdout | fit s | fit CPU s | host steal s | sample s |\n|" + " --- |" * 16
    )
    note = (
        "\n\nquality: SDMetrics' QualityReport score computed by vaekit.tabular.quality; "
        "'sdmetrics' own' is sdmetrics' QualityReport on the same rows (they agree to "
        "1e-12 when it is installed). Adult: 3,000 holdout rows, the rest (29,561) train; "
        "F1 of '>50K' on the official test file (16,281 rows). German credit: 200 holdout "
        "rows, 800 train; F1 of the bad-credit class ('2') on the holdout. As many rows "
        "sampled as trained on. DCR: SDMetrics' row distance, 2,000 rows each; closer to "
        "train: SDMetrics' DCROverfittingProtection share (0.5 = no memorisation). "
        "copies: share of rows equal to a training row. fit s: wall time; fit CPU s: this "
        "process's CPU time over all threads; host steal s: CPU time the host took from "
        "this machine during the fit (/proc/stat), which slows wall time but not CPU time."
    )
    append_results("Synthetic tables: vaekit tvae vs SDV TVAE, Gaussian copula, marginals",
                   head + "\n" + "\n".join(rows) + note)  # fmt: skip


if __name__ == "__main__":
    main()
