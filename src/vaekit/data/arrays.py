"""Your own data: ``.npy``, ``.npz`` and numeric ``.csv`` files, validated on load."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from vaekit.data.base import RawData
from vaekit.errors import DataError

X_KEYS = ("x", "X", "data", "x_train", "X_train")
Y_KEYS = ("y", "Y", "labels", "y_train", "Y_train")

#: arrays larger than this are memory-mapped and read batch by batch
IN_MEMORY_LIMIT_BYTES = 2 << 30


def scan_values(
    x: np.ndarray | torch.Tensor, is_bad: Callable[[np.ndarray], np.ndarray], chunk: int = 65536
) -> tuple[int, tuple[int, int, float] | None]:
    """Count the entries of ``x`` flagged by ``is_bad`` chunk by chunk (memory-mapped data
    too); return the count and the first flagged (row, column, value)."""
    n_bad, first = 0, None
    for start in range(0, x.shape[0], chunk):
        part = np.asarray(x[start : start + chunk], dtype=np.float64).reshape(
            min(chunk, x.shape[0] - start), -1
        )
        bad = is_bad(part)
        if bad.any():
            n_bad += int(bad.sum())
            if first is None:
                r, c = np.argwhere(bad)[0]
                first = (start + int(r), int(c), float(part[r, c]))
    return n_bad, first


def check_finite(x: np.ndarray | torch.Tensor, source: str) -> None:
    """Refuse NaN/inf with the count and the first offending row and column."""
    n_bad, first = scan_values(x, lambda a: ~np.isfinite(a))
    if first is not None:
        raise DataError(
            f"{source}: {n_bad} NaN/inf value(s); first at row {first[0]}, column {first[1]}"
        )


def known_in_unit_interval(x: object) -> bool:
    """Whether ``x`` declares (by a ``value_range`` attribute) values inside [0, 1], so that
    no scan is needed (packed binary images)."""
    rng = getattr(x, "value_range", None)
    return rng is not None and rng[0] >= 0 and rng[1] <= 1


def check_unit_interval(
    x: np.ndarray | torch.Tensor, source: str, line_numbers: np.ndarray | None = None
) -> None:
    """Refuse values outside [0, 1] (needed by a Bernoulli likelihood).

    With ``line_numbers`` (the file line of each row of a CSV) the first offending value is
    named by its line; otherwise by its 0-based row.
    """
    if known_in_unit_interval(x):
        return
    if isinstance(x, torch.Tensor) and x.numel():
        lo, hi = torch.aminmax(x)
        if lo >= 0 and hi <= 1:  # the common case, without a scan for the first bad value
            return
    n_bad, first = scan_values(x, lambda a: (a < 0) | (a > 1))
    if first is not None:
        where = f"row {first[0]}" if line_numbers is None else f"line {line_numbers[first[0]]}"
        raise DataError(
            f"{source}: {n_bad} value(s) outside [0, 1], which a Bernoulli likelihood cannot "
            f"model; first at {where}, column {first[1]} ({first[2]:g}). Use "
            f"--likelihood gaussian-learned, or rescale the data"
        )


def _labels(y: np.ndarray, n: int, source: str) -> torch.Tensor:
    y = np.asarray(y).reshape(-1)
    if len(y) != n:
        raise DataError(f"{source}: {len(y)} labels for {n} rows")
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
        raise DataError(f"{source}: labels must be finite integers")
    if np.any(y != np.round(y)) or (len(y) and y.min() < 0):
        raise DataError(f"{source}: labels must be non-negative integers (class indices)")
    return torch.from_numpy(y.astype(np.int64))


def _features(x: np.ndarray, source: str) -> torch.Tensor | np.ndarray:
    if x.ndim < 2 or x.shape[0] == 0:
        raise DataError(f"{source}: expected an (N, ...) array with N >= 1, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise DataError(f"{source}: expected numeric data, got dtype {x.dtype}")
    check_finite(x, source)
    if isinstance(x, np.memmap):
        return x
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def _read_csv(
    path: Path, label_column: str | int | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Values, labels and the file line number of each row (the header is line 1)."""
    gz = path.name.lower().endswith(".gz")
    rows: list[list[str]] = []
    lines: list[int] = []
    with (gzip.open(path, "rt", newline="") if gz else path.open(newline="")) as f:
        reader = csv.reader(f)
        for r in reader:
            if r:
                rows.append(r)
                lines.append(reader.line_num)
    if not rows:
        raise DataError(f"{path}: empty file")

    def numeric(cell: str) -> bool:
        try:
            float(cell)
            return True
        except ValueError:
            return False

    header = None if all(numeric(c) for c in rows[0]) else rows[0]
    body = rows[1:] if header else rows
    body_lines = lines[1:] if header else lines
    if not body:
        raise DataError(f"{path}: no data rows")
    width = len(body[0])
    label_idx = None
    if label_column is not None:
        if header and str(label_column) in header:
            label_idx = header.index(str(label_column))
        else:
            try:
                label_idx = int(label_column)
            except ValueError:
                raise DataError(f"{path}: no column named {label_column!r}") from None
            if not -width <= label_idx < width:
                raise DataError(f"{path}: label column {label_idx} out of range (width {width})")
            label_idx %= width
    values = np.empty((len(body), width), dtype=np.float64)
    for i, (row, line) in enumerate(zip(body, body_lines, strict=True)):
        if len(row) != width:
            raise DataError(f"{path} line {line}: {len(row)} columns, expected {width}")
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:
                name = f" ({header[j]!r})" if header else ""
                empty = not cell.strip()
                what = "empty cell" if empty else f"non-numeric value {cell!r}"
                hint = "; fill it, or the missing cells with 'vaekit impute'" if empty else ""
                raise DataError(f"{path} line {line}, column {j}{name}: {what}{hint}") from None
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        name = f" ({header[j]!r})" if header else ""
        raise DataError(
            f"{path}: {int(bad.sum())} NaN/inf value(s); first at line {body_lines[i]}, "
            f"column {j}{name} ({body[i][j]!r})"
        )
    line_numbers = np.asarray(body_lines, dtype=np.int64)
    if label_idx is None:
        return values, None, line_numbers
    return np.delete(values, label_idx, axis=1), values[:, label_idx], line_numbers


def _read_mat(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """``X`` and ``y`` of a MATLAB v5 file (read as plain arrays; nothing is executed)."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise DataError(f"{path}: reading .mat files needs scipy (pip install scipy)") from None
    try:
        mat = loadmat(path)
    except NotImplementedError:
        raise DataError(f"{path}: MATLAB v7.3 files are not supported; use v5 or .npz") from None
    keys = [k for k in mat if not k.startswith("__")]
    xk = next((k for k in X_KEYS if k in keys), None)
    if xk is None:
        raise DataError(f"{path}: no array named one of {', '.join(X_KEYS)} (has {keys})")
    yk = next((k for k in Y_KEYS if k in keys), None)
    return np.asarray(mat[xk]), None if yk is None else np.asarray(mat[yk])


def load_array_file(path: str | Path, label_column: str | int | None = None) -> RawData:
    """Read ``.npy`` / ``.npz`` / ``.csv`` (or ``.csv.gz``) / ``.mat`` data.

    ``.npz`` files may hold ``x`` (or ``X``, ``data``), ``y`` (or ``labels``) and a test split
    as ``x_test`` / ``y_test``. In a ``.csv``, ``label_column`` (name or index) holds labels.
    A ``.npy`` array over 2 GiB is memory-mapped and read batch by batch. A MATLAB ``.mat``
    file (v5, as the ODDS outlier sets) holds ``X`` and optionally ``y``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    plain = Path(path.name.lower().removesuffix(".gz"))  # a gzipped CSV reads as its CSV
    suffix = plain.suffix
    if plain.name != path.name.lower() and suffix != ".csv":
        raise DataError(f"{path}: gzip is read for .csv files only (.csv.gz)")
    x_test = y_test = y = line_numbers = None
    try:
        if suffix == ".npy":
            x = np.load(path, mmap_mode="r", allow_pickle=False)
            if x.nbytes <= IN_MEMORY_LIMIT_BYTES:
                x = np.array(x)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                xk = next((k for k in X_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
                if xk is None:
                    raise DataError(f"{path}: no array named one of {', '.join(X_KEYS)}")
                x = z[xk]
                yk = next((k for k in Y_KEYS if k in keys), None)
                y = z[yk] if yk else None
                for k in ("x_test", "X_test"):
                    if k in keys:
                        x_test = z[k]
                for k in ("y_test", "Y_test"):
                    if k in keys:
                        y_test = z[k]
        elif suffix == ".csv":
            x, y, line_numbers = _read_csv(path, label_column)
        elif suffix == ".mat":
            x, y = _read_mat(path)
        else:
            raise DataError(
                f"{path}: unsupported file type {suffix!r}; use .npy, .npz, .csv or .mat"
            )
    except (ValueError, OSError, EOFError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{path}: cannot read ({e})") from None
    if x.ndim == 1:
        raise DataError(f"{path}: expected an (N, D) or (N, H, W) array, got shape {x.shape}")
    if x.ndim == 3:  # (N, H, W) images -> (N, 1, H, W)
        x = x[:, None]
    xt = _features(x, str(path))
    labels = None if y is None else _labels(y, x.shape[0], str(path))
    raw = RawData(Path(path.name.removesuffix(".gz")).stem, xt, labels, line_numbers=line_numbers)
    if x_test is not None:
        if x_test.ndim == 3:
            x_test = x_test[:, None]
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(f"{path}: x_test shape {x_test.shape} does not match x {x.shape}")
        raw.x_test = torch.as_tensor(_features(np.asarray(x_test), f"{path} (x_test)"))
        if y_test is not None:
            raw.y_test = _labels(y_test, x_test.shape[0], f"{path} (y_test)")
    return raw
