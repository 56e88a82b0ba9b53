"""MNIST from the four IDX files: a local directory, $VAEKIT_DATA_DIR, the cache, the copy
bundled with vaekit, or (when that copy was removed) a download."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from vaekit.data.base import RawData
from vaekit.data.download import cache_dir, download
from vaekit.data.idx import idx_bytes, parse_idx
from vaekit.errors import DataError

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: sha256 of the decompressed IDX files
FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


#: the copy inside the package (CC BY-SA 3.0, LeCun, Cortes, Burges; see its README.md)
BUNDLED_DIR = Path(__file__).parent / "bundled" / "mnist"


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _complete(directory: Path) -> dict[str, Path] | None:
    found = {stem: _find(directory, stem) for stem in FILES}
    return found if all(found.values()) else None  # type: ignore[return-value]


def locate_mnist(data_dir: str | Path | None = None, download_ok: bool = True) -> dict[str, Path]:
    """Paths of the four MNIST files.

    Looks in ``data_dir`` (or ``data_dir/mnist``; files missing there are an error), else
    ``$VAEKIT_DATA_DIR/mnist``, else the cache directory, else the copy bundled with vaekit.
    Only when none of these holds the files (a stripped install) are they downloaded into
    the cache, if ``download_ok``.
    """
    if data_dir is not None:
        for d in (Path(data_dir), Path(data_dir) / "mnist"):
            if found := _complete(d):
                return found
        missing = [s for s in FILES if _find(Path(data_dir), s) is None]
        raise DataError(f"MNIST files missing in {data_dir}: {', '.join(missing)} (raw or .gz)")
    candidates = [cache_dir() / "mnist", BUNDLED_DIR]
    if os.environ.get("VAEKIT_DATA_DIR"):
        candidates.insert(0, Path(os.environ["VAEKIT_DATA_DIR"]) / "mnist")
    for d in candidates:
        if found := _complete(d):
            return found
    if not download_ok:
        raise DataError("MNIST not found locally and downloading is disabled; pass --data-dir")
    dest = cache_dir() / "mnist"
    return {
        stem: _find(dest, stem) or download(stem + ".gz", MIRRORS, sha, dest)
        for stem, sha in FILES.items()
    }


def _read(path: Path) -> np.ndarray:
    """One MNIST file; the bundled copy is checked against its published sha256 on the
    bytes that are parsed (decompressed once)."""
    raw = idx_bytes(path)
    if path.parent == BUNDLED_DIR:
        stem = path.name.removesuffix(".gz")
        if hashlib.sha256(raw).hexdigest() != FILES[stem]:
            raise DataError(
                f"{path}: the MNIST copy bundled with vaekit is damaged (sha256 mismatch); "
                "reinstall vaekit or pass --data-dir"
            )
    return parse_idx(raw, path)


def _images_labels(images_path: Path, labels_path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images = _read(images_path)
    labels = _read(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected N x 28 x 28 uint8 images, got {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataError(f"{labels_path}: expected a vector of uint8 labels, got {labels.shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path.name}"
        )
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(f"{labels_path}: label {labels[bad]} at index {bad} is outside 0-9")
    x = torch.tensor(images).unsqueeze(1).float().div_(255.0)  # (N, 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


def load_mnist(data_dir: str | Path | None = None, download_ok: bool = True) -> RawData:
    """MNIST as grey levels in [0, 1]: 60,000 training and 10,000 test images ``(N, 1, 28, 28)``."""
    paths = locate_mnist(data_dir, download_ok)
    x_train, y_train = _images_labels(
        paths["train-images-idx3-ubyte"], paths["train-labels-idx1-ubyte"]
    )
    x_test, y_test = _images_labels(
        paths["t10k-images-idx3-ubyte"], paths["t10k-labels-idx1-ubyte"]
    )
    return RawData("mnist", x_train, y_train, x_test, y_test, [str(i) for i in range(10)])
