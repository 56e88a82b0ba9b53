"""Shared fixtures: small synthetic data and a small MNIST subset in IDX format."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from vaekit.data import write_idx

DATA_DIR = os.environ.get("VAEKIT_DATA_DIR")
MNIST_DIR = Path(DATA_DIR) / "mnist" if DATA_DIR else None
HAVE_MNIST = bool(MNIST_DIR and (MNIST_DIR / "train-images-idx3-ubyte.gz").exists())
needs_mnist = pytest.mark.skipif(
    not HAVE_MNIST, reason="MNIST not found: set VAEKIT_DATA_DIR to a folder with mnist/*.gz"
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def dsprites_rendering(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """All 737,280 dSprites images rendered from scratch once per session (about a minute and
    a half), and a cache directory (for ``XDG_CACHE_HOME``) that holds them, so the tests that
    train on dSprites never render again."""
    from vaekit.data.dsprites import render_packed, save_cache

    cache = tmp_path_factory.mktemp("dsprites-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        bits = render_packed()
        save_cache(bits)
    return cache, bits


@pytest.fixture(scope="session")
def dsprites_cache(dsprites_rendering: tuple[Path, np.ndarray]) -> Path:
    """The cache directory of :func:`dsprites_rendering`."""
    return dsprites_rendering[0]


@pytest.fixture(scope="session")
def mnist_subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four IDX files with 600 train / 200 test images: real MNIST digits when available,
    otherwise seeded synthetic strokes (the CLI tests need only the format)."""
    d = tmp_path_factory.mktemp("mnist-small")
    if HAVE_MNIST:
        from vaekit.data import read_idx

        parts = {
            "train-images-idx3-ubyte": read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")[:600],
            "train-labels-idx1-ubyte": read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")[:600],
            "t10k-images-idx3-ubyte": read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:200],
            "t10k-labels-idx1-ubyte": read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")[:200],
        }
    else:
        rng = np.random.default_rng(0)

        def images(n: int) -> tuple[np.ndarray, np.ndarray]:
            labels = rng.integers(0, 10, n)
            x = np.zeros((n, 28, 28), np.uint8)
            for i, k in enumerate(labels):
                x[i, 4 + 2 * k : 6 + 2 * k, 4:24] = 255
            return x, labels.astype(np.uint8)

        xtr, ytr = images(600)
        xte, yte = images(200)
        parts = {
            "train-images-idx3-ubyte": xtr,
            "train-labels-idx1-ubyte": ytr,
            "t10k-images-idx3-ubyte": xte,
            "t10k-labels-idx1-ubyte": yte,
        }
    for name, arr in parts.items():
        write_idx(d / (name + ".gz"), arr)
    return d


def stripes(n: int = 256, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """4 classes of 1x8x8 images: class k lights up rows 2k and 2k+1 (values in [0, 1])."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = torch.rand(n, 1, 8, 8, generator=g) * 0.1
    for k in range(4):
        x[y == k, :, 2 * k : 2 * k + 2, :] = 0.9
    return x, y


@pytest.fixture
def stripes_file(tmp_path: Path) -> Path:
    """:func:`stripes` as an .npz file with a test split (192 train, 32 test images)."""
    x, y = stripes(192)
    path = tmp_path / "stripes.npz"
    np.savez(path, x=x[:, 0].numpy(), y=y.numpy(), x_test=x[:32, 0].numpy(), y_test=y[:32].numpy())
    return path


def train_small_run(mnist_subset: Path, out: Path, kl_warmup: bool = False, **model) -> Path:
    """A 2-epoch run on the small MNIST subset (one hidden layer of 64) with ``model``
    settings; ``kl_warmup`` anneals the KL weight linearly over the 2 epochs."""
    import vaekit

    cfg = vaekit.Config()
    cfg.data.data_dir = str(mnist_subset)
    cfg.data.val_size = 100
    cfg.model.hidden = [64]
    cfg.train.epochs = 2
    if kl_warmup:
        cfg.train.kl_schedule = "linear"
        cfg.train.warmup_epochs = 2
    for k, v in model.items():
        setattr(cfg.model, k, v)
    cfg.out = str(out)
    return vaekit.fit(cfg, quiet=True)


E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under ``tests/e2e`` is end to end (marker ``e2e``)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
