"""Test loss of vaekit's MNIST VAEs against the published everyday-protocol numbers.

Protocol (PROTOCOLS.md section 1): continuous pixels, Bernoulli likelihood (BCE summed over
784 pixels), batch 128, Adam 1e-3; test loss = negative ELBO with one posterior sample per
image, averaged over the 10,000 test images.

Runs:
- 784-512-256-2, 30 epochs, trained on all 60,000 images as the protocol does
  (reference: a faithful PyTorch run ends near test 140.4; a widely copied article 165.1);
- the default `vaekit train` model (784-512-256-20) for 10 epochs.

    python benchmarks/mnist_quality.py [--epochs-2d 30] [--epochs-20d 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import vaekit
from _record import append_results
from vaekit.eval import evaluate_run


def run(cfg: vaekit.Config, out: Path) -> tuple[float, float]:
    cfg.out = str(out)
    t0 = time.perf_counter()
    vaekit.fit(cfg, quiet=True)
    seconds = time.perf_counter() - t0
    return evaluate_run(out, "test")["loss"], seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs-2d", type=int, default=30)
    p.add_argument("--epochs-20d", type=int, default=10)
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vaekit-quality-"))

    cfg2 = vaekit.Config()
    cfg2.model.latent_dim = 2
    cfg2.data.val_size = 0
    cfg2.train.epochs = args.epochs_2d
    cfg2.train.device = args.device
    loss2, sec2 = run(cfg2, tmp / "z2")

    cfg20 = vaekit.Config()
    cfg20.train.epochs = args.epochs_20d
    cfg20.train.device = args.device
    loss20, sec20 = run(cfg20, tmp / "z20")

    ref2 = "140.4 (faithful PyTorch run), 165.1 (copied article)"
    ref20 = "~106.7 after 7 epochs (784-400-400-20)"
    body = (
        "| model | epochs | train data | vaekit test loss (nats) | target | reference | time |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        f"| MLP 784-512-256-2 | {args.epochs_2d} | 60,000 | {loss2:.2f} | <= 141 | {ref2} "
        f"| {sec2:.0f} s |\n"
        f"| default `vaekit train` (784-512-256-20) | {args.epochs_20d} | 54,000 (10% validation) "
        f"| {loss20:.2f} | <= 105 | {ref20} | {sec20:.0f} s |\n"
    )
    append_results("MNIST test loss, everyday protocol", body)


if __name__ == "__main__":
    main()
