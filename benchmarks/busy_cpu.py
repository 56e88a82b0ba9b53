"""Training and evaluation next to other programs: slowdown under N busy processes.

The script starts N plain CPU-bound processes (``while True: pass``; N = 0, 1, 2, 4 by
default), runs a job next to them and stops them. Jobs, each in a fresh process:

- the default ``vaekit train`` (bundled MNIST, default MLP VAE, 2 epochs): seconds per
  epoch and samples/s from ``metrics.jsonl``;
- a k = 1000 importance-sampled log-likelihood of that model on 1,000 test images
  (``iw_log_likelihood``, the code behind ``vaekit evaluate --iw``): seconds;
- the plain PyTorch tutorial loop of ``train_speed.py`` (DataLoader with 2 workers,
  784-400-400-20, 60,000 images), as people run it: seconds per epoch and samples/s.

Each vaekit job runs in three setups:

- ``spin``: OpenMP's default waiting (a thread spins ~300,000 rounds at each barrier before
  it sleeps), all cores' threads, fixed: vaekit before it chose a wait policy;
- ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` and all cores' threads, fixed: vaekit before it
  followed the load (the state this script was written to improve);
- ``defaults``: vaekit now (a short spin, then sleep; training threads on the cores that
  other programs leave free, re-checked every second; importance sampling keeps its
  threads, its operations being large).

    python benchmarks/busy_cpu.py [--loads 0,1,2,4] [--setups spin,passive,defaults]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _record import append_results

HERE = Path(__file__).resolve().parent
OMP_VARS = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
SETUPS = {  # name -> (label, environment changes, python code prefix that runs vaekit)
    "spin": ("OpenMP default spin-waiting, fixed threads (before)", {}, "import torch\n"),
    "passive": (
        "passive waiting, fixed threads (before this change)",
        {"OMP_WAIT_POLICY": "PASSIVE"},
        "",
    ),
    "defaults": ("vaekit defaults (after)", {}, ""),
}
EVAL_CODE = """
import vaekit  # first: vaekit sets OpenMP's waiting before torch loads it
import time, torch
from vaekit.data import load_mnist
from vaekit.data.base import Split
from vaekit.eval.importance import iw_log_likelihood
model = vaekit.load({run!r})
split = Split(load_mnist().x_test[:{n}])
t0 = time.perf_counter()
ll = iw_log_likelihood(model, split, k={k})
print(time.perf_counter() - t0, float(ll.mean()))
"""


class BusyProcesses:
    """``n`` CPU-bound Python loops for the duration of a ``with`` block."""

    def __init__(self, n: int) -> None:
        self.n, self.procs = n, []

    def __enter__(self) -> BusyProcesses:
        self.procs = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.n)
        ]
        time.sleep(1.0 if self.n else 0.0)  # let them reach the run queue
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def clean_env(changes: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OMP_VARS}
    env.update(changes)
    return env


def run_vaekit(setup: str, args: list[str], cores: int) -> None:
    _, env, prefix = SETUPS[setup]
    fixed = ["--threads", str(cores)] if setup != "defaults" else []
    code = prefix + "import sys, vaekit.cli.app as a; a.main(sys.argv[1:])"
    cmd = [sys.executable, "-c", code, *args, *fixed]
    done = subprocess.run(cmd, env=clean_env(env), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{setup}: {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def train_job(setup: str, tmp: Path, epochs: int, cores: int) -> tuple[float, float]:
    """Mean seconds per epoch and samples/s of the default ``vaekit train``."""
    out = tmp / f"train-{setup}-{time.monotonic_ns()}"
    run_vaekit(setup, ["train", "--epochs", str(epochs), "--out", str(out), "-q"], cores)
    rows = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    seconds = sum(r["seconds"] for r in rows) / len(rows)
    rate = sum(r["samples_per_s"] for r in rows) / len(rows)
    return seconds, rate


def eval_job(setup: str, run: Path, n: int, k: int, cores: int) -> float:
    """Seconds of a k-sample log-likelihood on the first ``n`` test images."""
    _, env, prefix = SETUPS[setup]
    env = clean_env(env)
    if setup != "defaults":
        env["OMP_NUM_THREADS"] = str(cores)  # fixed, as before
    code = prefix + EVAL_CODE.format(run=str(run), n=n, k=k)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{setup}: evaluation failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[0])


def tutorial_job(epochs: int) -> tuple[float, float]:
    """Mean seconds per epoch and samples/s of the tutorial loop (60,000 images)."""
    cmd = [sys.executable, str(HERE / "train_speed.py"), "--tutorial-only", "--epochs",
           str(epochs), "--device", "cpu"]  # fmt: skip
    done = subprocess.run(cmd, env=clean_env({}), capture_output=True, text=True, check=True)
    times = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = sum(times) / len(times)
    return seconds, 60000 / seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--loads", default="0,1,2,4", help="busy processes, comma-separated")
    p.add_argument("--setups", default="spin,passive,defaults")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--eval-images", type=int, default=1000)
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--no-tutorial", action="store_true")
    args = p.parse_args()
    loads = [int(v) for v in args.loads.split(",")]
    setups = args.setups.split(",")
    unknown = set(setups) - set(SETUPS)
    if unknown:
        raise SystemExit(f"unknown setups {sorted(unknown)}; choose from {list(SETUPS)}")
    cores = len(os.sched_getaffinity(0))
    train: dict[tuple[str, int], tuple[float, float]] = {}
    evals: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model_run = tmp / "eval-model"
        run_vaekit("defaults", ["train", "--epochs", "1", "--out", str(model_run), "-q"], cores)
        for n in loads:  # loads outside, setups inside: drift of the machine hits all alike
            for setup in setups:
                with BusyProcesses(n):
                    train[setup, n] = train_job(setup, tmp, args.epochs, cores)
                with BusyProcesses(n):
                    evals[setup, n] = eval_job(setup, model_run, args.eval_images, args.k, cores)
                print(f"{n} busy, {setup}: epoch {train[setup, n][0]:.1f} s, "
                      f"evaluation {evals[setup, n]:.1f} s", flush=True)  # fmt: skip
            if not args.no_tutorial:
                with BusyProcesses(n):
                    train["tutorial", n] = tutorial_job(args.epochs)
                print(f"{n} busy, tutorial: epoch {train['tutorial', n][0]:.1f} s", flush=True)
    names = [*setups] + ([] if args.no_tutorial else ["tutorial"])
    labels = {**{s: SETUPS[s][0] for s in SETUPS}, "tutorial": "plain tutorial loop (peer)"}
    head = " | ".join(f"{n} busy" for n in loads)
    rows = [f"| training: seconds per epoch (x its time alone), samples/s | {head} |",
            "| --- |" + " --- |" * len(loads)]  # fmt: skip
    for s in names:
        alone = train[s, 0][0] if (s, 0) in train else None
        cells = []
        for n in loads:
            sec, rate = train[s, n]
            ratio = f" ({sec / alone:.1f}x)" if alone else ""
            cells.append(f"{sec:.1f} s{ratio}, {rate:,.0f}/s")
        rows.append(f"| {labels[s]} | " + " | ".join(cells) + " |")
    rows += ["", f"| evaluation: seconds for k = {args.k} on {args.eval_images:,} test images "
             f"(x its time alone) | {head} |", "| --- |" + " --- |" * len(loads)]  # fmt: skip
    for s in setups:
        alone = evals.get((s, 0))
        cells = [
            f"{evals[s, n]:.1f} s" + (f" ({evals[s, n] / alone:.1f}x)" if alone else "")
            for n in loads
        ]
        rows.append(f"| {labels[s]} | " + " | ".join(cells) + " |")
    body = "\n".join(rows) + (
        f"\n\n{cores} usable cores; N busy = N processes running `while True: pass`, started "
        "before the job and stopped after it. Training: the default `vaekit train` (bundled "
        f"MNIST, 54,000 training images, MLP 784-512-256-20, batch 128), mean of {args.epochs} "
        "epochs; the tutorial loop trains 784-400-400-20 on 60,000 images (its samples/s is "
        "the comparable figure). A fair share of the CPU under N busy processes is "
        f"(N + {cores}) / {cores} of the time alone for a job that keeps {cores} cores busy."
    )
    append_results("Busy machine: training and evaluation next to N busy processes", body)


if __name__ == "__main__":
    main()
