"""VQ-VAE on MNIST (K = 128): reconstruction, codebook use, and samples from its prior.

Trains ``vaekit train --model vqvae`` on continuous MNIST, then its PixelCNN code prior
(``vaekit train-prior``); reports test reconstruction (BCE, MSE), the perplexity of code use
(last training epoch, and over the test set), and the classifier sample-quality numbers for
``--samples`` draws from the learned prior. The peer in the same run: the same decoder fed
code grids drawn uniformly at random (what the model generates without a learned prior).

    python benchmarks/vqvae_mnist.py [--epochs 10] [--prior-epochs 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

import vaekit
from _record import append_results
from vaekit.data import build_data, load_mnist
from vaekit.eval import evaluate_run
from vaekit.eval.classifier import mnist_classifier
from vaekit.eval.sample_quality import sample_quality
from vaekit.io.run_dir import read_metrics, read_run_config
from vaekit.train.code_prior import data_codes, train_prior


def code_perplexity(codes: torch.Tensor, k: int) -> float:
    p = torch.bincount(codes.flatten(), minlength=k).double()
    p = p / p.sum()
    return float(torch.exp(-(p * torch.log(p + 1e-300)).sum()))


@torch.no_grad()
def draw(model: vaekit.VAE, n: int, uniform: bool, chunk: int = 500) -> torch.Tensor:
    out = []
    for i in range(0, n, chunk):
        m = min(chunk, n - i)
        if uniform:
            codes = torch.randint(model.num_codes, (m, *model.grid))
            out.append(model.decode_codes(codes))
        else:
            out.append(model.sample(m))
    return torch.cat(out).float().cpu()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--prior-epochs", type=int, default=10)
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--out", default="bench-runs/vqvae")
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    run = Path(args.out)
    if not (run / "model.safetensors").exists():
        cfg = vaekit.Config()
        cfg.model.name = "vqvae"
        cfg.model.latent_dim = 16  # code dimension
        cfg.model.num_codes = 128
        cfg.train.epochs = args.epochs
        cfg.train.device = args.device
        cfg.out = str(run)
        vaekit.fit(cfg)
        train_prior(run, args.prior_epochs, device=args.device)
    model = vaekit.load(run)
    records = read_metrics(run)
    ev = evaluate_run(run, "test", ["elbo", "recon"])
    data = build_data(read_run_config(run))
    test_codes = data_codes(model, data.test, model.device, data)
    classifier, record = mnist_classifier()
    reference = load_mnist().x_test
    torch.manual_seed(0)
    learned = sample_quality(classifier, draw(model, args.samples, False), reference)
    uniform = sample_quality(classifier, draw(model, args.samples, True), reference)
    prior_log = [json.loads(x) for x in (run / "prior_metrics.jsonl").read_text().splitlines()]
    rows = ""
    for name, r in (("learned PixelCNN prior", learned), ("uniform random codes (peer)", uniform)):
        hist = " ".join(map(str, r["sample_class_histogram"]))
        rows += (f"| {name} | {r['sample_frechet']:.1f} | {r['sample_confidence']:.3f} "
                 f"| {r['sample_classes_covered']} | {hist} |\n")  # fmt: skip
    body = (
        f"VQ-VAE, K = {model.num_codes} codes of dimension {model.code_dim} on a "
        f"{model.grid[0]}x{model.grid[1]} grid, {len(records)} epochs "
        f"({sum(r['seconds'] for r in records) / 60:.1f} min) + prior {len(prior_log)} epochs "
        f"({sum(r['seconds'] for r in prior_log) / 60:.1f} min), continuous MNIST.\n\n"
        "| measure | value |\n| --- | --- |\n"
        f"| code perplexity, last training epoch | {records[-1]['train_perplexity']:.1f} |\n"
        f"| code perplexity over the test set | "
        f"{code_perplexity(test_codes, model.num_codes):.1f} |\n"
        f"| test reconstruction MSE (per pixel) | {ev['recon_mse']:.5f} |\n"
        f"| test reconstruction BCE (nats per image) | {ev['recon_bce']:.2f} |\n"
        f"| prior NLL, validation (nats per code grid) | "
        f"{prior_log[-1].get('prior_val_nll', float('nan')):.2f} |\n\n"
        f"{args.samples} samples judged by the classifier (test accuracy "
        f"{record['test_accuracy']:.4f}):\n\n"
        "| samples | Fréchet distance | mean max-confidence | classes covered (>= 1%) "
        "| class histogram |\n| --- | --- | --- | --- | --- |\n" + rows
    )
    append_results("VQ-VAE on MNIST", body)
    print(body)


if __name__ == "__main__":
    main()
