"""Every registered model (and the posterior/prior parts) for 3 epochs with default flags.

For each: `vaekit.train` on MNIST with only ``--model`` (and the part's flag) set, a check
that every logged loss is finite (the trainer stops on a NaN loss; a NaN gradient shows up as
a NaN loss at the next step), then save -> load -> sample, and the test loss of the loaded
model. The peer is the plain ``vae`` row of the same table.

    python benchmarks/zoo_smoke.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import torch

import vaekit
from _record import append_results
from vaekit.io.run_dir import read_metrics
from vaekit.models import list_models

PARTS = [("vae", {"posterior": "planar"}), ("vae", {"posterior": "iaf"}),
         ("vae", {"prior": "mog"}), ("vae", {"prior": "vamp"})]  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="vaekit-zoo-"))
    cases = [(m.name, {}) for m in list_models()] + PARTS
    rows = []
    for name, opts in cases:
        label = name + "".join(f" {k}={v}" for k, v in opts.items())
        cfg = vaekit.Config()
        cfg.model.name = name
        for k, v in opts.items():
            setattr(cfg.model, k, v)
        cfg.train.epochs = args.epochs
        cfg.out = str(root / label.replace(" ", "_").replace("=", "-"))
        t0 = time.perf_counter()
        run = vaekit.fit(cfg, quiet=True)
        minutes = (time.perf_counter() - t0) / 60
        records = read_metrics(run)
        finite = all(math.isfinite(r["train_loss"]) and math.isfinite(r.get("val_loss", 0.0))
                     for r in records)  # fmt: skip
        model = vaekit.load(run)
        torch.manual_seed(0)
        labels = 0 if model.conditional else None
        samples = model.sample(16, labels=labels)
        ok_samples = bool(torch.isfinite(samples).all()) and samples.shape[0] == 16
        test = vaekit.evaluate_run(run, "test", ["elbo"])
        rows.append(
            f"| {label} | {len(records)} | {minutes:.1f} | {'yes' if finite else 'NO'} "
            f"| {'yes' if ok_samples else 'NO'} | {records[-1]['train_loss']:.2f} "
            f"| {test['loss']:.2f} |"
        )
        print(rows[-1], flush=True)
    body = (
        f"{args.epochs} epochs each on MNIST with default flags (only the model / part set); "
        "test loss = reconstruction + KL of the loaded model (vqvae: + the constant "
        "uniform-prior KL, H W log K).\n\n"
        "| model | epochs | minutes | all losses finite | saved, loaded, sampled | last train "
        "loss | test loss (nats) |\n| --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows)
    )
    append_results("Model zoo: 3-epoch runs with default flags", body)


if __name__ == "__main__":
    main()
