"""Seconds to estimate log p(x) with k = 5000 importance samples on the 10,000 MNIST test images.

vaekit's estimator (``vaekit.eval.iw_log_likelihood``: one encoder pass per batch, samples in
memory-capped chunks, running log-sum-exp) against the per-example loop found in reference
IWAE code (each image repeated k times, decoded, log-mean-exp), in the same run. The peer is
timed on ``--peer-images`` images and scaled to 10,000. The model is the IWAE paper's
784-200-200-50 tanh VAE (timing does not depend on training; weights are freshly initialised).

    python benchmarks/eval_speed.py [--k 5000] [--device auto]
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from _record import append_results
from vaekit.data import load_mnist, prepare_data
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--k", type=int, default=5000)
    p.add_argument("--peer-images", type=int, default=200)
    p.add_argument("--memory-mb", type=float, default=512)
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    device = resolve_device(args.device)
    data = prepare_data(load_mnist(), val_size=0, binarize="dynamic").to(device)
    torch.manual_seed(0)
    model = create_model("vae", hidden=[200, 200], latent_dim=50, activation="tanh")
    model.init_output_bias(data.train.x.mean(0))
    model.to(device).eval()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    t0 = time.perf_counter()
    bound = iw_log_likelihood(model, data.test, args.k, args.memory_mb, device)
    sync()
    ours = time.perf_counter() - t0

    x = data.test.x[: args.peer_images]
    t0 = time.perf_counter()
    per_example_loop(model, x, args.k)
    sync()
    peer = (time.perf_counter() - t0) * len(data.test) / args.peer_images

    peer_name = f"per-example loop (reference IWAE code; {args.peer_images} images, scaled)"
    ours_name = f"`vaekit.eval.iw_log_likelihood` (memory cap {args.memory_mb:g} MB)"
    body = (
        f"| estimator | seconds for k = {args.k} on 10,000 test images | speed-up |\n"
        "| --- | --- | --- |\n"
        f"| {peer_name} | {peer:.0f} | 1.00x |\n"
        f"| {ours_name} | {ours:.0f} | {peer / ours:.2f}x |\n\n"
        f"Device {device}; 784-200-200-50 tanh VAE (untrained; mean L_k {float(bound.mean()):.2f})."
    )
    append_results(
        f"Importance-sampling evaluation speed, {device.type} (benchmarks/eval_speed.py)", body
    )


if __name__ == "__main__":
    main()
