"""Two trainings at once on one machine: slowdown against one alone, before and after vaekit's
thread defaults (a short OpenMP spin, then sleep; threads on the cores that other programs
leave free, re-checked every second: ``vaekit.cpu_load``).

Each configuration starts ``vaekit train`` processes on the same MNIST subset at the same
moment and reads the samples/s of their last epoch from ``metrics.jsonl``:

- one training alone (vaekit's defaults);
- two at once as before: ``import torch`` ahead of vaekit, so that OpenMP starts with its
  own default (spin-waiting at every barrier) as it did before vaekit chose a policy, and
  every process with all cores' threads;
- two at once with vaekit's defaults;
- two at once with ``--threads 1`` each (what ``vaekit sweep --jobs 2`` gives each job);
- one training alone with OpenMP's default waiting (what an idle machine gives up).

Slowdown = samples/s alone / samples/s of one of the concurrent processes (2.0 is a fair
share of the cores).

    python benchmarks/concurrent_training.py [--images 12000] [--epochs 3] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from _record import append_results
from vaekit.data import load_mnist


def launch(data: Path, out: Path, n: int, epochs: int, env: dict[str, str], extra: list[str]):
    procs = []
    entry = ["-c", extra.pop(0)] if extra and extra[0].startswith("import") else ["-m", "vaekit"]
    for i in range(n):
        cmd = [sys.executable, *entry, "train", "--dataset", str(data), "--epochs",
               str(epochs), "--out", str(out / f"r{i}"), "-q", *extra]  # fmt: skip
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))  # fmt: skip
    rates = []
    for i, p in enumerate(procs):
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"training failed: {err.strip().splitlines()[-1]}")
        lines = (out / f"r{i}" / "metrics.jsonl").read_text().splitlines()
        rates.append(statistics.median(json.loads(ln)["samples_per_s"] for ln in lines[1:]))
    return rates


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=12000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    cores = len(os.sched_getaffinity(0))
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT")
    }
    before = "import torch, vaekit.cli.app as a; a.main()"  # OpenMP loads before vaekit's policy
    setups = [  # (name, processes, environment, extra flags)
        ("alone, vaekit defaults", 1, base, []),
        ("alone, OpenMP default spin-waiting (before)", 1, base, [before, "--threads", str(cores)]),
        (f"two at once, spin-waiting, {cores} threads each (before)", 2, base,
         [before, "--threads", str(cores)]),  # fmt: skip
        ("two at once, vaekit defaults", 2, base, []),
        ("two at once, --threads 1 each (sweep --jobs 2)", 2, base, ["--threads", "1"]),
    ]
    rates: dict[str, list[float]] = {name: [] for name, *_ in setups}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "mnist.npy"
        np.save(data, load_mnist().x_train[: args.images, 0].numpy())
        for rep in range(args.repeats):
            for j, (name, n, env, extra) in enumerate(setups):
                out = Path(tmp) / f"{rep}-{j}"
                got = launch(data, out, n, args.epochs, env, list(extra))
                rates[name].append(statistics.mean(got))
                print(f"{name}: {[round(r) for r in got]} samples/s", flush=True)
    alone = statistics.mean(rates[setups[0][0]])
    rows = [
        "| setup | samples/s per process (mean) | slowdown vs alone (defaults) | each repeat |",
        "| --- | --- | --- | --- |",
    ]
    for name, *_ in setups:
        r = statistics.mean(rates[name])
        each = ", ".join(f"{alone / x:.2f}x" for x in rates[name])
        rows.append(f"| {name} | {r:,.0f} | {alone / r:.2f}x | {each} |")
    body = "\n".join(rows) + (
        f"\n\nDefault MLP VAE (784-512-256-20, batch 128) on {args.images:,} MNIST images, "
        f"median samples/s of epochs 2..{args.epochs}, mean over {args.repeats} repeats; "
        f"{cores} usable cores. Processes of a setup start together. 'each repeat': the "
        "slowdown of every repeat (spin-waiting's slowdown varies from run to run)."
    )
    append_results("Two trainings at once", body)


if __name__ == "__main__":
    main()
