"""Named datasets, and paths to the user's own files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vaekit.data.arrays import load_array_file
from vaekit.data.base import RawData
from vaekit.data.dsprites import load_dsprites
from vaekit.data.mnist import load_mnist
from vaekit.data.text_files import RawText, is_text_path, load_moses, load_sentences, load_text_file
from vaekit.errors import DataError


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset: ``loader(data_dir, download_ok) -> RawData``."""

    name: str
    loader: Callable[[str | None, bool], RawData | RawText]
    description: str


DATASETS: dict[str, DatasetEntry] = {}


def register_dataset(
    name: str, loader: Callable[[str | None, bool], RawData | RawText], description: str
) -> None:
    """Register a named dataset."""
    DATASETS[name] = DatasetEntry(name, loader, description)


register_dataset("mnist", load_mnist, "MNIST digits, 60,000 train / 10,000 test, 1x28x28 in [0, 1]")
register_dataset(
    "dsprites",
    load_dsprites,
    "dSprites, 737,280 binary 1x64x64 sprites over 5 known factors (no test split)",
)
register_dataset(
    "moses",
    load_moses,
    "MOSES SMILES (Polykovskiy et al. 2020): 1,584,663 train / 176,074 test molecules",
)
register_dataset(
    "sentences",
    load_sentences,
    "English sentences, one per line: train / valid / test text files (DIR/sentences)",
)


def load_raw(
    dataset: str,
    data_dir: str | None = None,
    label_column: str | int | None = None,
    download_ok: bool = True,
    text_column: str | None = None,
) -> RawData | RawText:
    """Load a registered dataset by name, or a file by path: ``.npy`` / ``.npz`` / ``.csv``
    arrays, or sequences (``.txt``, ``.smi``, a ``.csv`` column with ``text_column``, and
    their ``.gz`` variants)."""
    if dataset in DATASETS:
        return DATASETS[dataset].loader(data_dir, download_ok)
    if is_text_path(dataset, text_column):
        return load_text_file(dataset, text_column)
    path = Path(dataset)
    if path.suffix.lower() in (".npy", ".npz", ".csv") or path.name.lower().endswith(".csv.gz"):
        return load_array_file(path, label_column)
    raise DataError(
        f"unknown dataset {dataset!r}: give one of {', '.join(DATASETS)}, a .npy/.npz/.csv "
        "(or .csv.gz) path or a text file (.txt, .smi and their .gz)"
    )
