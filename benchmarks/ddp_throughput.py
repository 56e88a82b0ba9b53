"""Training throughput of one process against DDP processes launched by torchrun.

Each configuration trains the default ``vaekit train`` model on MNIST for ``--epochs`` epochs
in a fresh process (or a fresh torchrun job) and reports the mean ``samples_per_s`` of the
epochs after the first (which includes start-up). With the same ``--batch-size`` (the global
batch) the runs do the same optimisation, so samples/s compare directly.

On CPU: one process with every core, one process with one thread, and ``torchrun`` with
``--nproc-per-node`` processes of one thread each (gloo). On a CUDA machine: one GPU in
float32, with ``--bf16`` and with ``--bf16 --compile``, and every GPU under torchrun (NCCL).

    python benchmarks/ddp_throughput.py [--epochs 3] [--batch-size 128] [--nproc 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from _record import append_results
from vaekit.io.run_dir import read_metrics


def run(label: str, args: list[str], threads: int | None, nproc: int, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    launcher = [sys.executable, "-m", "vaekit"]
    if nproc > 1:
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                    f"--nproc-per-node={nproc}", "-m", "vaekit"]  # fmt: skip
    cmd = [*launcher, "train", *args, "-q", "--out", str(out)]
    print(f"{label}: {' '.join(cmd[1:])}", flush=True)
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{label} failed:\n{res.stderr[-3000:]}")
    metrics = read_metrics(out)
    rates = [m["samples_per_s"] for m in metrics[1:]] or [metrics[0]["samples_per_s"]]
    return {
        "label": label,
        "samples_per_s": statistics.mean(rates),
        "final_loss": metrics[-1]["train_loss"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--nproc", type=int, default=2, help="processes (CPU) for the DDP run")
    args = p.parse_args()
    common = ["--dataset", "mnist", "--epochs", str(args.epochs),
              "--batch-size", str(args.batch_size), "--val-size", "0"]  # fmt: skip
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if torch.cuda.is_available():
            gpus = torch.cuda.device_count()
            plans = [
                ("1 GPU, float32", [], None, 1),
                ("1 GPU, --bf16", ["--bf16"], None, 1),
                ("1 GPU, --bf16 --compile", ["--bf16", "--compile"], None, 1),
            ]
            if gpus > 1:
                plans.append((f"{gpus} GPUs, torchrun (NCCL)", [], None, gpus))
        else:
            plans = [
                (f"1 process, {cores} threads", [], cores, 1),
                ("1 process, 1 thread", [], 1, 1),
                (f"torchrun, {args.nproc} processes x 1 thread (gloo)", [], 1, args.nproc),
            ]
        for i, (label, extra, threads, nproc) in enumerate(plans):
            rows.append(run(label, [*common, *extra], threads, nproc, root / f"run{i}"))
    base = rows[0]["samples_per_s"]
    body = (
        "| configuration | samples/s | vs first row | train loss after the last epoch |\n"
        "| --- | --- | --- | --- |\n"
        + "\n".join(
            f"| {r['label']} | {r['samples_per_s']:,.0f} | {r['samples_per_s'] / base:.2f}x "
            f"| {r['final_loss']:.2f} |"
            for r in rows
        )
        + f"\n\nDefault `vaekit train` model on MNIST, global batch {args.batch_size}, "
        f"{args.epochs} epochs per run, samples/s averaged over the epochs after the first. "
        "The same global batch and seed give the same optimisation in every float32 row up to "
        "float rounding, whose differences grow over training."
    )
    append_results("Data-parallel throughput (DDP under torchrun)", body)


if __name__ == "__main__":
    main()
