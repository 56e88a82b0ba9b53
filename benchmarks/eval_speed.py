"""Seconds to estimate log p(x) with k = 5000 importance samples on the 10,000 MNIST test images.

vaekit's estimator (``vaekit.eval.iw_log_likelihood``: one encoder pass per batch, samples in
memory-capped chunks, running log-sum-exp) against the per-example loop found in reference
IWAE code (each image repeated k times, decoded, log-mean-exp), in the same run. The peer is
timed on ``--peer-images`` images and scaled to 10,000. The model is the IWAE paper's
784-200-200-50 tanh VAE (timing does not depend on training; weights are freshly initialised).

Peak resident memory above the model and data is recorded beside each time, for each
``--memory-mb`` budget (the estimator should stay within 1.5x the budget).

    python benchmarks/eval_speed.py [--k 5000] [--images 10000] [--memory-mb 32,512,2048]
"""

from __future__ import annotations

import argparse
import gc
import math
import time

import torch

from _record import append_results
from vaekit.data import load_mnist, prepare_data
from vaekit.data.base import Split
from vaekit.eval import iw_log_likelihood
from vaekit.models import create_model
from vaekit.train import resolve_device


@torch.no_grad()
def per_example_loop(model, x: torch.Tensor, k: int) -> torch.Tensor:
    out = []
    for i in range(len(x)):
        xi = x[i : i + 1].expand(k, *x.shape[1:])  # (k, 1, 28, 28)
        q = model.encode(xi)
        z = q.rsample()
        log_px = model.likelihood.log_prob(model.decode_params(z), xi)
        log_w = log_px + model.prior.log_prob(z) - q.log_prob(z)  # (k,)
        out.append(torch.logsumexp(log_w, 0) - math.log(k))
    return torch.stack(out)


def rss_mb(key: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak since the last reset (``VmHWM``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--k", type=int, default=5000)
    p.add_argument("--peer-images", type=int, default=200)
    p.add_argument("--images", type=int, default=10000, help="test images to evaluate")
    p.add_argument("--memory-mb", default="512", help="budgets, comma-separated")
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    device = resolve_device(args.device)
    data = prepare_data(load_mnist(), val_size=0, binarize="dynamic").to(device)
    test = Split(data.test.x[: args.images].clone(), None)
    torch.manual_seed(0)
    model = create_model("vae", hidden=[200, 200], latent_dim=50, activation="tanh")
    model.init_output_bias(data.train.x.mean(0))
    model.to(device).eval()
    del data
    gc.collect()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    scale = 10000 / args.images

    rows = []
    for budget in (float(b) for b in args.memory_mb.split(",")):
        reset_peak()
        base = rss_mb()
        t0 = time.perf_counter()
        bound = iw_log_likelihood(model, test, args.k, budget, device)
        sync()
        rows.append((budget, (time.perf_counter() - t0) * scale, rss_mb("VmHWM") - base, bound))

    x = test.x[: args.peer_images]
    reset_peak()
    base = rss_mb()
    t0 = time.perf_counter()
    per_example_loop(model, x, args.k)
    sync()
    peer = (time.perf_counter() - t0) * 10000 / len(x)
    peer_rss = rss_mb("VmHWM") - base

    peer_name = f"per-example loop (reference IWAE code; {len(x)} images, scaled)"
    lines = [
        f"| estimator | seconds for k = {args.k} on 10,000 test images | speed-up | "
        "peak RSS above model + data (MB) | within 1.5x budget |",
        "| --- | --- | --- | --- | --- |",
        f"| {peer_name} | {peer:.0f} | 1.00x | {peer_rss:.0f} | (no budget) |",
    ]
    for budget, seconds, extra, _ in rows:
        ok = "yes" if extra <= 1.5 * budget else "NO"
        lines.append(
            f"| `vaekit.eval.iw_log_likelihood`, budget {budget:g} MB | {seconds:.0f} | "
            f"{peer / seconds:.2f}x | {extra:.0f} | {ok} |"
        )
    mean_bound = float(rows[0][3].mean())
    body = "\n".join(lines) + (
        f"\n\nDevice {device}; 784-200-200-50 tanh VAE (untrained; mean L_k {mean_bound:.2f}); "
        f"vaekit timed on {args.images:,} images and scaled to 10,000. Peak RSS is VmHWM "
        "(reset before each estimator) minus the resident memory before it started."
    )
    title = f"Importance-sampling evaluation speed and memory, {device.type}"
    append_results(title, body)


if __name__ == "__main__":
    main()
