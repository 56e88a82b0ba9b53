"""Reading a data file for a detector: the rows, the labels and, from a CSV header, the
names of the feature columns."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

from vaekit.anomaly.columns import NamedRows


def read_rows(path: Path, label_column: str | None) -> tuple[NamedRows, np.ndarray | None]:
    """The rows of ``path`` (``.csv``, ``.csv.gz``, ``.npy``, ``.npz``, ``.mat``) as
    :class:`NamedRows` (named when a CSV has a header, without its label column) and the
    labels (``None`` without them).

    Images ``(N, H, W)`` stay ``(N, H, W)``.
    """
    from vaekit.data.arrays import load_array_file

    raw = load_array_file(path, label_column)
    x = np.asarray(raw.x_train, dtype=np.float64)
    if x.ndim == 4 and x.shape[1] == 1:  # (N, 1, H, W) from an (N, H, W) file
        x = x[:, 0]
    names = csv_feature_names(path, label_column) if x.ndim == 2 else ()
    if len(names) != (x.shape[1] if x.ndim == 2 else -1):
        names = ()
    y = None if raw.y_train is None else raw.y_train.numpy()
    return NamedRows(x, names, str(path)), y


def csv_feature_names(path: Path, label_column: str | int | None) -> tuple[str, ...]:
    """The header of a CSV file without its label column; ``()`` for other files and for a
    CSV whose first row is all numbers (no header), as the CSV reader decides."""
    if not path.name.lower().removesuffix(".gz").endswith(".csv"):
        return ()
    gz = path.name.lower().endswith(".gz")
    try:
        with (gzip.open(path, "rt", newline="", encoding="utf-8-sig") if gz
              else path.open(newline="", encoding="utf-8-sig")) as f:  # fmt: skip
            first = next((row for row in csv.reader(f) if row), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return ()  # the names are a check's help: without them only the count is checked
    if all(_numeric(cell) for cell in first):
        return ()
    names = [cell.strip() for cell in first]
    if label_column is not None:
        if str(label_column) in first:
            del names[first.index(str(label_column))]
        else:
            del names[int(label_column) % len(names)]
    return tuple(names)


def _numeric(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False
