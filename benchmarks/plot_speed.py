"""Seconds to draw every figure of a 2-D and a 20-D MNIST run with the vaekit commands.

Each figure is one ``vaekit plot RUN KIND`` process (start-up, loading the model and the
data included), then ``vaekit report RUN``. The peer is the manifold as tutorials draw it
(the Keras VAE example): one decoder call per grid point, in a Python double loop.

    python benchmarks/plot_speed.py [--runs RUN_2D,RUN_20D] [--epochs 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import vaekit
from _record import append_results
from vaekit.plots import PLOT_KINDS
from vaekit.plots.codes import manifold_codes, normal_grid_values

OPTIONS = {
    "arithmetic": ["--from", "4", "--to", "9"],
    "interpolation": ["--from", "3", "--to", "8"],
}


def timed(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaekit", *args], check=True, capture_output=True)
    return time.perf_counter() - t0


@torch.no_grad()
def tutorial_manifold(run: Path, n: int) -> float:
    """Decode the same grid one point at a time (the tutorial loop); seconds."""
    model = vaekit.load(run)
    values = normal_grid_values(n)
    t0 = time.perf_counter()
    rows = []
    for yi in values.flip(0):
        row = []
        for xi in values:
            z = torch.zeros(1, model.latent_dim)
            z[0, 0], z[0, 1] = xi, yi
            row.append(model.decode(z)[0, 0].numpy())
        rows.append(row)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", default="", help="a 2-D and a 20-D run directory (else trained)")
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args()
    if args.runs:
        runs = [Path(r) for r in args.runs.split(",")]
    else:
        tmp = Path(tempfile.mkdtemp(prefix="vaekit-plots-"))
        runs = []
        for latent in (2, 20):
            cfg = vaekit.Config()
            cfg.model.latent_dim = latent
            cfg.train.epochs = args.epochs
            cfg.out = str(tmp / f"z{latent}")
            runs.append(vaekit.fit(cfg, quiet=True))
    lines = []
    for run in runs:
        latent = vaekit.load(run).latent_dim
        times = {kind: timed(["plot", str(run), kind, *OPTIONS.get(kind, [])])
                 for kind in PLOT_KINDS}  # fmt: skip
        plots = sum(times.values())
        report = timed(["report", str(run)])
        cells = " | ".join(f"{t:.1f}" for t in times.values())
        lines.append(f"| {latent}-D | {cells} | {plots:.1f} | {report:.1f} |")
        print(f"{latent}-D: {plots:.1f} s for the plot commands, {report:.1f} s report", flush=True)
    header = list(PLOT_KINDS) + ["all plot commands", "`vaekit report` (every figure + page)"]
    n = 20
    peer = tutorial_manifold(runs[0], n)
    model = vaekit.load(runs[0])
    fast_t0 = time.perf_counter()
    with torch.no_grad():
        model.decode(manifold_codes(n, model.latent_dim)[0])
    ours = time.perf_counter() - fast_t0
    body = (
        "Seconds per command (each a fresh `vaekit plot RUN KIND` process: start-up, model and "
        "data loading included), figures of the test split:\n\n"
        "| run | " + " | ".join(header) + " |\n"
        "|" + " --- |" * (len(header) + 1) + "\n" + "\n".join(lines) + "\n\n"
        f"Manifold decoding alone ({n} x {n} grid, 2-D run): vaekit one batched call "
        f"{ours * 1000:.1f} ms vs the tutorial loop of one decoder call "
        f"per point {peer * 1000:.1f} ms ({peer / ours:.1f}x)."
    )
    append_results("Figures and report per run", body)


if __name__ == "__main__":
    main()
