"""A small MNIST classifier that vaekit trains once and caches, to judge generated digits.

Weights live in ``<cache>/classifier/mnist-cnn.safetensors`` with a JSON record of how it
was trained and its test accuracy. It is trained on grey levels in [0, 1] with a fixed seed.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from torch import nn

from vaekit.data import load_mnist
from vaekit.data.download import cache_dir
from vaekit.errors import ModelFileError, TrainingError
from vaekit.io.model_io import load_state
from vaekit.io.safe import atomic_write_text, load_tensors, save_tensors
from vaekit.progress import progress_bar

MIN_TEST_ACCURACY = 0.985
FEATURES = 128


class MNISTClassifier(nn.Module):
    """Two conv blocks and a 128-unit penultimate layer (the features for Fréchet distance)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, FEATURES), nn.ReLU())
        self.head = nn.Linear(FEATURES, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features ``(B, 128)`` of images ``(B, 1, 28, 28)`` in [0, 1]."""
        return self.fc(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, 10) logits


def _path() -> Path:
    return cache_dir() / "classifier" / "mnist-cnn.safetensors"


@torch.no_grad()
def accuracy(model: MNISTClassifier, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> float:
    model.eval()
    hits = sum(
        int((model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum())
        for i in range(0, len(x), batch)
    )
    return hits / len(x)


def train_classifier(
    data_dir: str | None = None,
    epochs: int = 4,
    seed: int = 0,
    console: Console | None = None,
    images: int | None = None,
) -> tuple[MNISTClassifier, dict]:
    """Train the classifier on the 60,000 training images (the first ``images`` of them when
    given); return it and its record.

    Gradients are on whatever the caller's mode (metrics run under ``torch.no_grad()``), and
    a progress bar shows the steps on ``console``.
    """
    console = console or Console(stderr=True)
    raw = load_mnist(data_dir)
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = MNISTClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = raw.x_train[:images], raw.y_train[:images]
    steps = epochs * math.ceil(len(x) / 128)
    t0 = time.perf_counter()
    bar = progress_bar("training the MNIST classifier for sample metrics (once)", console)
    with torch.enable_grad(), bar:
        task = bar.add_task("classifier", total=steps)
        for epoch in range(epochs):
            model.train()
            perm = torch.randperm(len(x), generator=g)
            for g_ in opt.param_groups:
                g_["lr"] = 1e-3 * (0.3**epoch)
            for i in range(0, len(x), 128):
                idx = perm[i : i + 128]
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                bar.advance(task)
    acc = accuracy(model, raw.x_test, raw.y_test)
    record = {
        "test_accuracy": acc,
        "epochs": epochs,
        "images": len(x),
        "seed": seed,
        "seconds": time.perf_counter() - t0,
        "torch": torch.__version__,
    }
    console.print(f"MNIST classifier: test accuracy {acc:.4f} ({record['seconds']:.0f} s)")
    return model.eval(), record


def mnist_classifier(
    data_dir: str | None = None, retrain: bool = False
) -> tuple[MNISTClassifier, dict]:
    """The cached classifier (trained on first use) and its record."""
    path = _path()
    record_path = path.with_suffix(".json")
    if path.exists() and record_path.exists() and not retrain:
        model = MNISTClassifier()
        tensors, _ = load_tensors(path)
        load_state(model, tensors, path)
        try:
            record = json.loads(record_path.read_text())
        except json.JSONDecodeError as e:
            raise ModelFileError(f"{record_path}: invalid JSON ({e})") from None
        return model.eval(), record
    model, record = train_classifier(data_dir)
    if record["test_accuracy"] < MIN_TEST_ACCURACY:
        raise TrainingError(
            f"the sample-quality classifier reached only {record['test_accuracy']:.4f} test "
            f"accuracy (< {MIN_TEST_ACCURACY}); not caching it"
        )
    save_tensors(path, model.state_dict())
    atomic_write_text(record_path, json.dumps(record, indent=2))
    return model, record
