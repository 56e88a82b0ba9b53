"""Imputation, 50% of cells missing completely at random: vaekit's VAEImputer (MIWAE) vs
mean, KNN, MICE and a random-forest iterative imputer (missForest-like), in one run.

RMSE on the standardized values (real column mean and standard deviation) of the removed
cells, mean and std over seeded masks; MNIST with 50% of the pixels missing gets the RMSE
of the pixel values and a figure of imputed digits.

    python benchmarks/impute.py --masks 5 --steps 6000 --mnist-rows 5000
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import RandomForestRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from _record import append_results
from vaekit.data.missing_layout import MissingLayout
from vaekit.data.table import Table, read_csv
from vaekit.data.table_transform import NUMERIC_KINDS
from vaekit.tabular import VAEImputer


def datasets(data_dir: Path) -> dict[str, np.ndarray]:
    out = {"breast_cancer": load_breast_cancer().data, "wine": load_wine().data,
           "diabetes": load_diabetes(scaled=False).data}  # fmt: skip
    concrete = data_dir / "tabular" / "concrete.csv.gz"
    if concrete.exists():
        t = read_csv(concrete)
        out["concrete"] = np.stack([t.columns[n] for n in t.names], axis=1)
    return out


def imputers(steps: int, seed: int, n: int) -> dict:
    epochs = max(5, int(np.ceil(steps * 64 / n)))
    return {
        "mean": lambda: SimpleImputer(),
        "knn": lambda: KNNImputer(n_neighbors=5),
        "mice": lambda: IterativeImputer(max_iter=20, random_state=seed),
        "rf-iterative": lambda: IterativeImputer(
            RandomForestRegressor(n_estimators=50, n_jobs=2, random_state=seed),
            max_iter=5,
            random_state=seed,
        ),  # fmt: skip
        "vaekit-miwae": lambda: VAEImputer(epochs=epochs, random_state=seed, device="cpu"),
    }


def run_tables(args: argparse.Namespace) -> str:
    rows = []
    for name, x in datasets(Path(args.data_dir)).items():
        sd = x.std(0)
        sd = np.where(sd > 0, sd, 1.0)
        scores: dict[str, list[float]] = {}
        times: dict[str, float] = {}
        for m in range(args.masks):
            rng = np.random.default_rng(m)
            mask = rng.random(x.shape) < 0.5
            mask[mask.all(1), 0] = False  # every row keeps one value
            xm = np.where(mask, np.nan, x)
            for method, make in imputers(args.steps, m, len(x)).items():
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    filled = make().fit_transform(xm)
                times[method] = times.get(method, 0.0) + time.perf_counter() - t0
                err = ((filled - x) / sd)[mask]
                scores.setdefault(method, []).append(float(np.sqrt(np.mean(err**2))))
            print(
                name,
                m,
                {k: round(v[-1], 4) for k, v in scores.items()},
                {k: round(v, 1) for k, v in times.items()},
                flush=True,
            )
        cells = " | ".join(f"{np.mean(v):.4f} ± {np.std(v):.4f}" for v in scores.values())
        rows.append(f"| {name} ({x.shape[0]}x{x.shape[1]}) | {cells} | "
                    f"{times['vaekit-miwae'] / args.masks:.1f} |")  # fmt: skip
    head = ("| dataset | " + " | ".join(imputers(1, 0, 1)) + " | miwae fit s |\n|"
            + " --- |" * 7)  # fmt: skip
    return head + "\n" + "\n".join(rows)


def mask_table(table: Table, rng: np.random.Generator, share: float = 0.5) -> tuple[Table, dict]:
    """``table`` with ``share`` of its cells removed completely at random (every row keeps
    one), and the removed cells per column."""
    holes = rng.random((len(table), len(table.names))) < share
    holes[holes.all(1), 0] = False
    cols, removed = {}, {}
    for j, name in enumerate(table.names):
        col = table.columns[name].copy()
        col[holes[:, j]] = None if col.dtype == object else np.nan
        cols[name], removed[name] = col, holes[:, j]
    return Table(cols, dict(table.types)), removed


def run_mixed(args: argparse.Namespace) -> str:
    """German credit (numbers and categories), 50% MCAR: RMSE of the standardized numeric
    cells and accuracy of the categorical cells. The scikit-learn imputers work on the same
    encoding VAEImputer uses (standardized numbers, one-hot levels, a missing cell a missing
    block) and a categorical cell takes the level with the highest imputed score: mean = the
    commonest level, KNN = a vote of the neighbours, MICE / rf-iterative = regressions on the
    one-hot columns."""
    full = read_csv(Path(args.data_dir) / "tabular" / "german_credit.csv.gz")
    numeric = [n for n, k in full.types.items() if k in NUMERIC_KINDS]
    scores: dict[str, dict[str, list[float]]] = {}
    times: dict[str, float] = {}
    for m in range(args.masks):
        masked, removed = mask_table(full, np.random.default_rng(m))
        layout = MissingLayout().fit(masked)
        enc = layout.encode(masked)
        for method, make in imputers(args.steps, m, len(full)).items():
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if method == "vaekit-miwae":  # the table itself
                    out = make().fit_transform(masked)
                else:
                    out = layout.decode(make().fit_transform(enc), masked)
            times[method] = times.get(method, 0.0) + time.perf_counter() - t0
            err = [((out.columns[n] - full.columns[n]) / full.columns[n].std())[removed[n]]
                   for n in numeric]  # fmt: skip
            hits = [out.columns[n][removed[n]].astype(str)
                    == full.columns[n][removed[n]].astype(str)
                    for n in full.names if n not in numeric]  # fmt: skip
            res = scores.setdefault(method, {"rmse": [], "acc": []})
            res["rmse"].append(float(np.sqrt(np.mean(np.concatenate(err) ** 2))))
            res["acc"].append(float(np.mean(np.concatenate(hits))))
        print("german", m, {k: (round(v["rmse"][-1], 4), round(v["acc"][-1], 4))
                            for k, v in scores.items()}, flush=True)  # fmt: skip
    head = ("| method | numeric RMSE | categorical accuracy | fit + impute s |\n"
            "| --- | --- | --- | --- |")
    rows = [f"| {k} | {np.mean(v['rmse']):.4f} ± {np.std(v['rmse']):.4f} | "
            f"{np.mean(v['acc']):.4f} ± {np.std(v['acc']):.4f} | {times[k] / args.masks:.1f} |"
            for k, v in scores.items()]  # fmt: skip
    cats = len(full.names) - len(numeric)
    return (f"German credit ({len(full)} rows; {len(numeric)} numeric, {cats} categorical "
            f"columns), 50% MCAR, {args.masks} masks:\n\n" + head + "\n" + "\n".join(rows))


def run_mnist(args: argparse.Namespace) -> str:
    from vaekit.data.mnist import load_mnist

    raw = load_mnist(Path(args.data_dir) / "mnist")
    x = raw.x_train[: args.mnist_rows].reshape(args.mnist_rows, -1).numpy().astype(np.float64)
    rng = np.random.default_rng(0)
    mask = rng.random(x.shape) < 0.5
    xm = np.where(mask, np.nan, x)
    epochs = max(5, int(np.ceil(args.steps * 64 / len(x))))
    t0 = time.perf_counter()
    imp = VAEImputer(epochs=epochs, data_kind="image", device="cpu", n_samples=200)
    filled = imp.fit(xm.reshape(-1, 28, 28)).transform(xm.reshape(-1, 28, 28)).reshape(x.shape)
    took = time.perf_counter() - t0
    mean = SimpleImputer(keep_empty_features=True).fit_transform(xm)
    rmse = {k: float(np.sqrt(np.mean((v - x)[mask] ** 2))) for k, v in
            (("vaekit-miwae", filled), ("mean", mean))}  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 10, figsize=(10, 3.2))
    for j in range(10):
        for i, img in enumerate((x[j], np.where(mask[j], 0.5, x[j]), filled[j])):
            axes[i, j].imshow(img.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[i, j].axis("off")
    for i, t in enumerate(("original", "50% missing (grey)", "MIWAE imputation")):
        axes[i, 0].set_title(t, fontsize=8, loc="left")
    out = Path(args.figure)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return (f"MNIST, first {len(x)} training images, 50% of pixels missing: RMSE of the "
            f"missing pixel values vaekit-miwae {rmse['vaekit-miwae']:.4f}, mean "
            f"{rmse['mean']:.4f}; fit + impute {took:.0f} s ({epochs} epochs); figure "
            f"`{out}`.")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("VAEKIT_DATA_DIR", "../shared/data"))
    p.add_argument("--masks", type=int, default=5)
    p.add_argument("--steps", type=int, default=6_000, help="MIWAE optimisation steps")
    p.add_argument("--mnist-rows", type=int, default=10_000)
    p.add_argument("--skip-mnist", action="store_true")
    p.add_argument("--skip-numeric", action="store_true", help="leave out the numeric tables")
    p.add_argument("--mixed", action="store_true", help="German credit, numbers and categories")
    p.add_argument("--figure", default="bench-runs/impute/mnist_imputed.png")
    args = p.parse_args()
    body = ""
    if not args.skip_numeric:
        body += run_tables(args)
        body += ("\n\nRMSE on standardized values of the removed cells, mean ± std over "
                 f"{args.masks} MCAR masks (seeds 0..{args.masks - 1}); MIWAE: VAEImputer "
                 f"defaults, about {args.steps} steps of 64; MICE: IterativeImputer "
                 "(BayesianRidge, 20 iterations); rf-iterative: IterativeImputer with 50-tree "
                 "random forests, 5 iterations; knn: KNNImputer(5).")  # fmt: skip
    if args.mixed:
        body += "\n\n" + run_mixed(args)
    if not args.skip_mnist:
        body += "\n\n" + run_mnist(args)
    append_results("Imputation, 50% MCAR: vaekit VAEImputer (MIWAE) vs scikit-learn", body.strip())


if __name__ == "__main__":
    main()
