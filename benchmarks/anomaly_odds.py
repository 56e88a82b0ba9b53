"""vaekit's VAEDetector against PyOD's detectors on the ODDS sets, and MNIST digits as anomalies.

ODDS, with PyOD's benchmark protocol (PROTOCOLS.md section 6): for each set and each of
``--seeds`` random 60/40 splits (``train_test_split(test_size=0.4, random_state=seed)``),
features constant on the training part are dropped, the data are standardized with the
training statistics (vaekit standardizes inside the detector, from the same statistics), each
detector is fitted on the training part and scored on the test part: ROC-AUC and precision
at n (n = the number of true outliers). Peers, run in the same script: PyOD's IForest, ECOD,
PCA, KNN, AutoEncoder and VAE with their defaults (``pip install -e .[bench]``). A peer's
infinite scores (PyOD's PCA on near-constant components) are ranked above all finite ones.

MNIST: each digit in turn is the anomaly. The detector is fitted on the training images of
the other nine digits and scores the 10,000 test images (label 1 = the held-out digit);
ROC-AUC for each score kind (elbo, iwae, recon) of the same fitted detector.

Results are cached per (set, seed, detector) in ``--cache`` so that an interrupted run
continues where it stopped.

    python benchmarks/anomaly_odds.py [--seeds 10] [--sets all] [--digits 0-9] [--skip-mnist]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from _record import append_results
from vaekit.anomaly import VAEDetector
from vaekit.anomaly.metrics import precision_at_n

SETS = ["arrhythmia", "cardio", "glass", "ionosphere", "letter", "lympho", "mnist", "musk",
        "optdigits", "pima"]  # fmt: skip
PEERS = ["IForest", "ECOD", "PCA", "KNN", "AutoEncoder", "VAE"]
CLASSIC = ["IForest", "ECOD", "PCA", "KNN"]


def make_peer(name: str, seed: int):
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.ecod import ECOD
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN
    from pyod.models.pca import PCA
    from pyod.models.vae import VAE

    if name == "IForest":
        return IForest(random_state=seed)
    if name == "AutoEncoder":
        return AutoEncoder(random_state=seed, verbose=0)
    if name == "VAE":
        return VAE(random_state=seed, verbose=0)
    return {"ECOD": ECOD, "PCA": PCA, "KNN": KNN}[name]()


def finite_scores(s: np.ndarray) -> np.ndarray:
    """+inf above every finite score, -inf below, NaN at the bottom (ranks preserved)."""
    s = np.asarray(s, dtype=np.float64)
    fin = s[np.isfinite(s)]
    hi, lo = (fin.max() + 1.0, fin.min() - 1.0) if fin.size else (1.0, -1.0)
    return np.nan_to_num(s, nan=lo, posinf=hi, neginf=lo)


def run_odds(args: argparse.Namespace, cache: dict[str, dict]) -> str:
    from scipy.io import loadmat
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    variants = parse_variants(args.variants)
    names = [*variants, *PEERS]
    sets = SETS if args.sets == "all" else args.sets.split(",")
    for ds in sets:
        m = loadmat(Path(args.data_dir) / "odds" / f"{ds}.mat")
        x, y = np.asarray(m["X"], dtype=np.float64), np.asarray(m["y"]).ravel().astype(int)
        for seed in range(args.seeds):
            xtr, xte, _, yte = train_test_split(x, y, test_size=0.4, random_state=seed)
            keep = xtr.std(0) > 0
            xtr, xte = xtr[:, keep], xte[:, keep]
            mu, sd = xtr.mean(0), xtr.std(0)
            ztr, zte = (xtr - mu) / sd, (xte - mu) / sd
            for name in names:
                key = f"{ds}/{seed}/{name}"
                if key in cache:
                    continue
                t0 = time.perf_counter()
                if name in variants:
                    det = VAEDetector(random_state=seed, **variants[name]).fit(xtr)
                    s = det.decision_function(xte)
                else:
                    torch.manual_seed(seed)
                    s = make_peer(name, seed).fit(ztr).decision_function(zte)
                s = finite_scores(s)
                cache[key] = {
                    "roc_auc": float(roc_auc_score(yte, s)),
                    "precision_at_n": precision_at_n(yte, s),
                    "seconds": time.perf_counter() - t0,
                }
                save_cache(args.cache, cache)
            aucs = [f"{n} {cache[f'{ds}/{seed}/{n}']['roc_auc']:.3f}" for n in names]
            print(f"{ds} seed {seed}: " + ", ".join(aucs), flush=True)

    def mean(ds: str, name: str, key: str) -> float:
        return float(np.mean([cache[f"{ds}/{s}/{name}"][key] for s in range(args.seeds)]))

    lines = []
    for key, label in (("roc_auc", "ROC-AUC"), ("precision_at_n", "precision @ n")):
        lines.append(f"{label}, mean over {args.seeds} splits:\n")
        lines.append("| set | " + " | ".join(names) + " |")
        lines.append("| --- " * (len(names) + 1) + "|")
        for ds in sets:
            lines.append(f"| {ds} | " + " | ".join(f"{mean(ds, n, key):.3f}" for n in names) + " |")
        avg = {n: float(np.mean([mean(ds, n, key) for ds in sets])) for n in names}
        lines.append("| **mean** | " + " | ".join(f"**{avg[n]:.3f}**" for n in names) + " |\n")
        if key == "roc_auc":
            roc = avg
    secs = {n: float(np.mean([cache[f"{ds}/{s}/{n}"]["seconds"] for ds in sets
                              for s in range(args.seeds)])) for n in names}  # fmt: skip
    lines.append("Mean fit + score time per split (s): " + ", ".join(
        f"{n} {secs[n]:.2f}" for n in names) + "\n")  # fmt: skip
    best = max(CLASSIC, key=lambda n: roc[n])
    best_peer = max(PEERS, key=lambda n: roc[n])
    for name in variants:
        verdict = "at least" if roc[name] >= roc[best_peer] else "below"
        lines.append(
            f"{name}: mean ROC-AUC {roc[name]:.3f}; best PyOD detector in this run: {best_peer} "
            f"{roc[best_peer]:.3f} ({verdict} it, {roc[name] - roc[best_peer]:+.3f}); best of "
            f"IForest/ECOD/PCA/KNN: {best} {roc[best]:.3f}.\n"
        )
    return "\n".join(lines)


def run_mnist(args: argparse.Namespace, cache: dict[str, dict]) -> str:
    from sklearn.metrics import roc_auc_score

    from vaekit.data import load_mnist

    raw = load_mnist(Path(args.data_dir) / "mnist", download_ok=False)
    xtr, ytr = raw.x_train.numpy()[:, 0], raw.y_train.numpy()
    xte, yte = raw.x_test.numpy()[:, 0], raw.y_test.numpy()
    digits = parse_digits(args.digits)
    kinds = ("elbo", "iwae", "recon", "elbo-complexity")
    for digit in digits:
        key = f"mnist-digit/{digit}"
        if key in cache and all(k in cache[key] for k in kinds):
            continue
        t0 = time.perf_counter()
        det = VAEDetector(random_state=0, n_models=1).fit(xtr[ytr != digit])
        res = {"fit_seconds": time.perf_counter() - t0}
        for kind in kinds:
            det.score = kind
            res[kind] = float(roc_auc_score(yte == digit, det.decision_function(xte)))
        cache[key] = res
        save_cache(args.cache, cache)
        print(f"digit {digit}: " + ", ".join(f"{k} {res[k]:.3f}" for k in kinds), flush=True)
    lines = ["| anomalous digit | ROC-AUC, -ELBO | ROC-AUC, -L_16 (iwae) | ROC-AUC, "
             "reconstruction | ROC-AUC, -ELBO - L_PNG (elbo-complexity) | fit time |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for d in digits:
        r = cache[f"mnist-digit/{d}"]
        lines.append(f"| {d} | {r['elbo']:.3f} | {r['iwae']:.3f} | {r['recon']:.3f} "
                     f"| {r['elbo-complexity']:.3f} | {r['fit_seconds']:.0f} s |")  # fmt: skip
    means = {k: np.mean([cache[f"mnist-digit/{d}"][k] for d in digits]) for k in kinds}
    lines.append("| mean | " + " | ".join(f"{means[k]:.3f}" for k in kinds) + " | |")
    return "\n".join(lines)


def parse_variants(text: str) -> dict[str, dict]:
    """``"default;n_models=5"`` -> ``{"vaekit": {}, "vaekit[n_models=5]": {"n_models": 5}}``:
    VAEDetector settings compared in the same run (``default`` is the detector's defaults)."""
    variants: dict[str, dict] = {}
    for item in (v.strip() for v in text.split(";") if v.strip()):
        if item == "default":
            variants["vaekit"] = {}
            continue
        kwargs = {}
        for pair in item.split(","):
            key, value = pair.split("=", 1)
            kwargs[key.strip()] = json.loads(value) if value[:1] in "0123456789-[{tf" else value
        variants[f"vaekit[{item}]"] = kwargs
    return variants


def parse_digits(text: str) -> list[int]:
    """``"0-9"`` or ``"9,3"``: the digits, in the order given."""
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


def load_cache(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text()) if path.exists() else {}


def save_cache(path: Path, cache: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=1))
    os.replace(tmp, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("VAEKIT_DATA_DIR", "../shared/data"))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--sets", default="all", help="comma-separated ODDS set names, or all")
    p.add_argument("--digits", default="0-9", help="held-out MNIST digits: 0-9 or 9,0")
    p.add_argument("--skip-odds", action="store_true")
    p.add_argument(
        "--variants", default="default",
        help="VAEDetector settings to compare, ';'-separated: default;n_models=5;score=recon",
    )  # fmt: skip
    p.add_argument("--skip-mnist", action="store_true")
    p.add_argument("--cache", type=Path, default=Path("bench-runs/anomaly/results.json"))
    args = p.parse_args()
    cache = load_cache(args.cache)
    if not args.skip_odds:
        body = run_odds(args, cache)
        append_results("Anomaly detection on the ODDS sets: vaekit VAEDetector vs PyOD", body)
    if not args.skip_mnist:
        body = run_mnist(args, cache)
        append_results(
            "Anomaly detection on MNIST: each digit held out as the anomaly (one VAE per digit)",
            body + "\n\nVAEDetector(random_state=0, n_models=1), otherwise defaults, fitted on the "
            "60,000 training images minus the held-out digit; scored on the 10,000 test images; "
            "one fitted detector per digit, four score kinds. elbo-complexity subtracts the "
            "PNG length of each 8-bit test image in nats (Serrà et al. 2020).",
        )


if __name__ == "__main__":
    main()
