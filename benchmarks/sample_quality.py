"""Sample quality of MNIST VAEs judged by vaekit's cached classifier.

A 20-D VAE (the default ``vaekit train`` model) and a 2-D VAE, each trained 10 epochs on
continuous MNIST, against pure noise and against real training digits (a floor), all in one
run: Fréchet distance between classifier features of 10,000 samples and of the 10,000 test
images, mean max-confidence, and the class histogram of the samples.

    python benchmarks/sample_quality.py [--epochs 10]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

import vaekit
from _record import append_results
from vaekit.data import load_mnist
from vaekit.eval import evaluate_run
from vaekit.eval.classifier import mnist_classifier
from vaekit.eval.sample_quality import sample_quality


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    classifier, record = mnist_classifier()
    raw = load_mnist()
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="vaekit-samples-"))
    for latent in (20, 2):
        cfg = vaekit.Config()
        cfg.model.latent_dim = latent
        cfg.train.epochs = args.epochs
        cfg.train.device = args.device
        cfg.out = str(tmp / f"z{latent}")
        run = vaekit.fit(cfg, quiet=True)
        r = evaluate_run(run, metrics=["samples"])
        rows.append((f"VAE, {latent}-D latent, {args.epochs} epochs", r))
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(10000, 1, 28, 28, generator=g)
    rows.append(("uniform noise", sample_quality(classifier, noise, raw.x_test)))
    rows.append(
        (
            "real training digits (floor)",
            sample_quality(classifier, raw.x_train[:10000], raw.x_test),
        )
    )
    body = (
        "| samples | Fréchet distance (classifier features) | mean max-confidence "
        "| classes covered (>= 1%) | class histogram of 10,000 samples |\n"
        "| --- | --- | --- | --- | --- |\n"
    )
    for name, r in rows:
        hist = " ".join(map(str, r["sample_class_histogram"]))
        body += (
            f"| {name} | {r['sample_frechet']:.2f} | {r['sample_confidence']:.3f} "
            f"| {r['sample_classes_covered']} | {hist} |\n"
        )
    body += (
        f"\nClassifier: vaekit's cached MNIST CNN, test accuracy {record['test_accuracy']:.4f} "
        f"(seed {record['seed']}, {record['epochs']} epochs)."
    )
    append_results("MNIST sample quality", body)


if __name__ == "__main__":
    main()
