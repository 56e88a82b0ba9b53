"""Recommendation on MovieLens 100K under the strong-generalization protocol (Liang et al.
2018): popularity, EASE, Mult-DAE and Mult-VAE on the same splits, several split seeds.

Ratings >= 4 are clicks; users with >= 5 clicks; 100 validation and 100 test users per split
(the fold-in / held-out draw of each held-out user is 80/20). EASE's lambda and the neural
models' epoch are chosen on the validation users' NDCG@100; the figures are the test users'.
The paper's ML-20M rows are quoted beside them for context (another dataset: absolute
numbers differ). The last table times a new user described by 5 items: one
``Recommender.recommend(items, k=10)`` call, CPU.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from _record import append_results
from vaekit.data.interactions import click_matrix, movielens_path, read_interactions
from vaekit.data.strong_split import strong_split
from vaekit.recsys import Recommender

METRICS = ("ndcg@100", "recall@20", "recall@50")
#: Liang et al. 2018 Table 2 (ML-20M) and Steck 2019 Table 1 (ML-20M)
PAPER_ML20M = {"Mult-VAE (paper, ML-20M)": (0.426, 0.395, 0.537),
               "Mult-DAE (paper, ML-20M)": (0.419, 0.387, 0.524),
               "EASE (Steck 2019, ML-20M)": (0.420, 0.391, 0.521)}  # fmt: skip


def latency_ms(rec: Recommender, split, repeats: int, seed: int) -> list[float]:
    """Wall milliseconds of ``recommend(5 items, k=10)`` for random new users."""
    rng = np.random.default_rng(seed)
    items = [str(i) for i in split.items]
    times = []
    rec.recommend(items[:5], 10)  # warm-up
    for _ in range(repeats):
        query = list(rng.choice(items, 5, replace=False))
        t0 = time.perf_counter()
        rec.recommend(query, 10)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5, help="split seeds: 98765, 98766, ...")
    ap.add_argument("--heldout-users", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=100,
                    help="users per batch for the neural models (ML-100K has 738 training "
                    "users: the paper's 500 gives 2 updates per epoch)")  # fmt: skip
    ap.add_argument("--paper-batch", action="store_true",
                    help="also run Mult-VAE with the paper's batch of 500")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--repeats", type=int, default=300, help="latency measurements")
    args = ap.parse_args()
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    log = read_interactions(movielens_path("ml-100k", args.data_dir))
    clicks = click_matrix(log, min_rating=4, min_user_items=5)
    configs = {
        "popularity": {"model": "popularity"},
        "EASE": {"model": "ease"},
        f"Mult-DAE (batch {args.batch_size})": {"model": "mult-dae", "epochs": args.epochs,
                                                 "batch_size": args.batch_size},
        f"Mult-VAE I-600-200-600-I (batch {args.batch_size})": {
            "model": "mult-vae", "epochs": args.epochs, "batch_size": args.batch_size},
        f"Mult-VAE I-200-I (batch {args.batch_size})": {
            "model": "mult-vae", "epochs": args.epochs, "batch_size": args.batch_size,
            "hidden": []},
        f"Mult-VAE I-200-I, dropout 0.3 (batch {args.batch_size})": {
            "model": "mult-vae", "epochs": args.epochs, "batch_size": args.batch_size,
            "hidden": [], "dropout": 0.3},
        f"Mult-VAE I-600-I (batch {args.batch_size})": {
            "model": "mult-vae", "epochs": args.epochs, "batch_size": args.batch_size,
            "hidden": [], "latent_dim": 600},
    }  # fmt: skip
    if args.paper_batch:
        configs["Mult-VAE I-600-200-600-I (batch 500)"] = {"model": "mult-vae",
                                                            "epochs": args.epochs}  # fmt: skip
    results: dict[str, list[dict]] = {name: [] for name in configs}
    lat: dict[str, list[float]] = {}
    for s in range(args.seeds):
        seed = 98765 + s
        split = strong_split(clicks, args.heldout_users, 0.2, seed)
        for name, kw in configs.items():
            t0 = time.perf_counter()
            rec = Recommender(**kw, random_state=seed, device="cpu").fit(split)
            seconds = time.perf_counter() - t0
            r = rec.evaluate("test")
            r.update(seconds=seconds, val=rec.val_scores_)
            results[name].append(r)
            print(f"seed {seed} {name}: NDCG@100 {r['ndcg@100']:.4f} R@20 {r['recall@20']:.4f} "
                  f"R@50 {r['recall@50']:.4f} ({seconds:.1f} s) val {rec.val_scores_}",
                  flush=True)  # fmt: skip
            if s == 0 and kw["model"] in ("mult-vae", "ease", "popularity"):
                lat[name] = latency_ms(rec, split, args.repeats, seed)
    n_train = len(split.train_rows)
    head = (f"{clicks.matrix.shape[0]} users with >= 5 ratings >= 4, {len(split.items)} items "
            f"of the {n_train} training users; {args.heldout_users} validation + "
            f"{args.heldout_users} test users; {args.seeds} split seeds (98765 + i); mean ± std "
            f"over seeds of the test users' means; the neural models: {args.epochs} epochs, "
            "best epoch by validation NDCG@100; EASE: lambda by validation NDCG@100.\n\n"
            "The validation column is the mean over seeds of the validation users' NDCG@100 "
            "at the selected epoch or lambda: the figure a user would choose a configuration "
            "by.\n\n"
            "| method | NDCG@100 | Recall@20 | Recall@50 | validation NDCG@100 | fit s |\n"
            "| --- | --- | --- | --- | --- | --- |")  # fmt: skip
    rows = []
    for name, rs in results.items():
        cells = []
        for m in METRICS:
            v = np.array([r[m] for r in rs])
            cells.append(f"{v.mean():.4f} ± {v.std(ddof=1) if len(v) > 1 else 0:.4f}")
        sec = np.mean([r["seconds"] for r in rs])
        vals = [max(v for k, v in r["val"].items() if k != "best_epoch") for r in rs if r["val"]]
        val = f"{np.mean(vals):.4f}" if vals else ""
        rows.append(f"| {name} | {' | '.join(cells)} | {val} | {sec:.1f} |")
    for name, vals in PAPER_ML20M.items():
        rows.append(f"| {name} | {vals[0]:.3f} | {vals[1]:.3f} | {vals[2]:.3f} | | |")
    pop = np.array([r["ndcg@100"] for r in results["popularity"]])
    ease = np.array([r["ndcg@100"] for r in results["EASE"]])
    summary = "\n"
    for name in (k for k in results if k.startswith("Mult-")):
        v = np.array([r["ndcg@100"] for r in results[name]])
        summary += (f"\n- {name}: mean NDCG@100 {v.mean():.4f}; minus EASE per seed "
                    f"{', '.join(f'{g:+.4f}' for g in v - ease)} (mean {(v - ease).mean():+.4f});"
                    f" minus popularity {(v - pop).mean():+.4f}")  # fmt: skip
    lat_rows = ("\n\n| new user, 5 items, top 10 | median ms | 95th percentile ms |\n"
                "| --- | --- | --- |")
    for name, t in lat.items():
        lat_rows += f"\n| {name} | {np.median(t):.2f} | {np.percentile(t, 95):.2f} |"
    body = head + "\n" + "\n".join(rows) + summary + lat_rows
    append_results("Recommendation on MovieLens 100K: popularity, EASE, Mult-DAE, Mult-VAE "
                   "(strong generalization)", body)  # fmt: skip


if __name__ == "__main__":
    main()
