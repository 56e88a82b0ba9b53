"""How far a 2-process DDP run drifts from one process, against the drift that a different
thread count alone causes.

Both differences come from float rounding in another order (DDP sums two half-batch
gradients; two threads split the sums of one process differently). Training amplifies any
such difference as the steps go on, so the comparison is made after 10, 100 and all 422
steps of one MNIST epoch (default model and batch): the largest absolute weight difference
and the validation loss of each run.

    python benchmarks/ddp_agreement.py [--steps 10,100,0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from _record import append_results
from vaekit.io.safe import load_tensors


def run(out: Path, steps: int, threads: int, ddp: bool) -> tuple[dict, float]:
    args = ["train", "--epochs", "1", "--set", f"train.steps_per_epoch={steps}", "--out",
            str(out), "-q", "--threads", str(threads)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if ddp:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node=2", "-m", "vaekit", *args]  # fmt: skip
    else:
        cmd = [sys.executable, "-m", "vaekit", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    weights = load_tensors(out / "model.safetensors")[0]
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    return weights, record["val_loss"]


def max_diff(a: dict, b: dict) -> float:
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", default="10,100,0", help="steps per run; 0: the whole epoch")
    args = p.parse_args()
    rows = [
        "| steps | DDP 2 x 1 thread vs 1 process, 1 thread: max weight diff | 1 process, 2 "
        "threads vs 1 thread: max weight diff | largest weight | val loss: 1 thread / 2 "
        "threads / DDP |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for steps in [int(s) for s in args.steps.split(",")]:
            one, l1 = run(Path(tmp) / f"one-{steps}", steps, 1, False)
            two, l2 = run(Path(tmp) / f"two-{steps}", steps, 2, False)
            ddp, ld = run(Path(tmp) / f"ddp-{steps}", steps, 1, True)
            largest = max(float(v.abs().max()) for v in one.values())
            label = steps or 422
            rows.append(f"| {label} | {max_diff(ddp, one):.2e} | {max_diff(two, one):.2e} | "
                        f"{largest:.2f} | {l1:.2f} / {l2:.2f} / {ld:.2f} |")  # fmt: skip
            print(rows[-1], flush=True)
    body = "\n".join(rows) + (
        "\n\nDefault `vaekit train` (MNIST, MLP 784-512-256-20, global batch 128), one "
        "epoch cut to the given steps; torchrun with 2 gloo processes of 1 thread each. "
        f"torch {torch.__version__}."
    )
    append_results("DDP against one process", body)


if __name__ == "__main__":
    main()
