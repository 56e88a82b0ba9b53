"""Class-conditional samples of the CVAE: how often vaekit's MNIST classifier reads a sample
drawn for class k as k, after every epoch of training.

Trains ``vaekit train --model cvae`` settings (the defaults unless flags change them) on
MNIST and, after each epoch, draws ``--per-class`` samples for each digit and classifies
them with the cached classifier of the ``samples`` metric (trained on first use). Peer in
the same run: the label accuracy of samples decoded with shuffled labels (what a decoder
that ignored its label would score, about 0.1).

    python benchmarks/cvae_labels.py [--epochs 10] [--latent-dim 20] [--per-class 500]
"""

from __future__ import annotations

import argparse

import torch

from _record import append_results
from vaekit import Config
from vaekit.data import build_data
from vaekit.eval.classifier import mnist_classifier
from vaekit.eval.sample_quality import label_accuracy
from vaekit.train.api import build_model
from vaekit.train.threads import set_threads
from vaekit.train.trainer import Trainer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=None, help="[default: vaekit's]")
    p.add_argument("--latent-dim", type=int, default=None, help="[default: vaekit's]")
    p.add_argument("--per-class", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    cfg = Config()
    cfg.model.name = "cvae"
    if args.epochs is not None:
        cfg.train.epochs = args.epochs
    if args.latent_dim is not None:
        cfg.model.latent_dim = args.latent_dim
    cfg.train.seed = args.seed
    set_threads(cfg.train.threads, warn=False)
    classifier, record = mnist_classifier()
    data = build_data(cfg)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg, data)
    labels = torch.arange(10).repeat_interleave(args.per_class)
    rows: list[tuple[int, float, list[float], float, float]] = []

    def judge(rec: dict) -> None:
        with torch.random.fork_rng():
            torch.manual_seed(1234)
            x = model.sample(len(labels), labels=labels).float().cpu()
            shuffled = labels[torch.randperm(len(labels))]
            ignored = model.sample(len(labels), labels=shuffled).float().cpu()
        got = label_accuracy(classifier, x, labels)
        peer = label_accuracy(classifier, ignored, labels)["label_accuracy"]
        model.train()
        rows.append((rec["epoch"], got["label_accuracy"], got["label_accuracy_per_class"], peer,
                     rec["val_loss"]))  # fmt: skip
        acc = got["label_accuracy"]
        print(f"epoch {rec['epoch']}: label accuracy {acc:.3f} (shuffled labels {peer:.3f})",
              flush=True)  # fmt: skip

    Trainer(model, data, cfg.train, None, quiet=True, on_epoch=judge).fit()
    table = [
        "| epoch | label accuracy | lowest class (accuracy) | shuffled labels (peer) | val loss |",
        "| --- | --- | --- | --- | --- |",
    ]
    for epoch, acc, per, peer, val in rows:
        worst = min(range(10), key=lambda k: per[k])
        table.append(f"| {epoch} | {acc:.3f} | {worst} ({per[worst]:.3f}) | {peer:.3f} | "
                     f"{val:.2f} |")  # fmt: skip
    body = "\n".join(table) + (
        f"\n\nCVAE {cfg.model.hidden} with a {cfg.model.latent_dim}-D latent, batch "
        f"{cfg.train.batch_size}, lr {cfg.train.lr}, KL schedule {cfg.train.kl_schedule}; "
        f"{args.per_class} samples per class after each epoch, judged by the cached MNIST "
        f"classifier (test accuracy {record['test_accuracy']:.4f})."
    )
    append_results("Conditional samples of the CVAE", body)


if __name__ == "__main__":
    main()
