"""Checking what a user passes to a detector: one clear line per problem."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.errors import DataError


def as_features(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as a float64 array ``(N, ...)``; refuses empty, non-numeric and NaN/inf input.

    Accepts NumPy arrays, nested lists and data frames (anything ``np.asarray`` takes).
    """
    columns = list(getattr(X, "columns", []))
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as e:
        raise DataError(f"{name}: not an array ({e})") from None
    if arr.ndim == 1:
        raise DataError(
            f"{name}: expected a 2-D array (samples, features), got shape {arr.shape}; "
            "reshape(-1, 1) a single feature"
        )
    if arr.ndim == 0 or arr.shape[0] == 0 or arr.size == 0:
        raise DataError(f"{name}: empty input (shape {arr.shape}); need at least one row")
    if arr.dtype.kind not in "biuf":
        arr = _to_float(arr, name, columns)
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr.reshape(arr.shape[0], -1))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"{name}: {int(bad.sum())} NaN/inf value(s); first at row {r}, column {c}")
    return arr


def _to_float(arr: np.ndarray, name: str, columns: list[Any]) -> np.ndarray:
    if arr.dtype.kind == "c":
        raise DataError(f"{name}: complex values are not supported")
    flat = arr.reshape(arr.shape[0], -1)
    out = np.empty(flat.shape, dtype=np.float64)
    for j in range(flat.shape[1]):
        try:
            out[:, j] = flat[:, j].astype(np.float64)
        except (ValueError, TypeError):
            label = f" ({columns[j]!r})" if j < len(columns) else ""
            bad = next(v for v in flat[:, j] if not _is_number(v))
            raise DataError(
                f"{name}: column {j}{label} is not numeric (e.g. {bad!r}); encode categories "
                "as numbers first"
            ) from None
    return out.reshape(arr.shape)


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (ValueError, TypeError):
        return False


def check_width(arr: np.ndarray, expected: tuple[int, ...], name: str = "X") -> None:
    """Refuse rows shaped differently from the training data."""
    if tuple(arr.shape[1:]) != tuple(expected):
        if arr.ndim == 2 and len(expected) == 1:
            raise DataError(
                f"{name} has {arr.shape[1]} columns, but the detector was fitted on {expected[0]}"
            )
        raise DataError(
            f"{name}: rows of shape {tuple(arr.shape[1:])}, but the detector was fitted on "
            f"{tuple(expected)}"
        )
