"""What an estimator accepts as rows: one clear line per problem, worded so that
scikit-learn's estimator checks recognise it (sparse, complex, 1-D, empty, non-numeric)."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.errors import DataError


class NonNumericError(DataError, TypeError):
    """A cell that is not a number (also a ``TypeError``, as NumPy raises for it)."""


def check_rows(X: Any, name: str = "X", allow_nan: bool = False) -> np.ndarray:
    """``X`` as a float64 array ``(N, ...)`` with at least one row and one feature.

    Accepts NumPy arrays, nested lists and data frames (anything ``np.asarray`` takes).
    Refuses sparse matrices, complex values, 1-D input, empty input, text and, unless
    ``allow_nan`` (NaN = missing; ``None`` becomes NaN), NaN; infinities always.

    Raises
    ------
    DataError
        One line naming the problem (a :class:`NonNumericError` for a cell that is not a
        number).
    """
    if _is_sparse(X):
        raise DataError(f"{name}: sparse input is not supported; pass a dense array "
                        "(X.toarray())")  # fmt: skip
    columns = list(getattr(X, "columns", []))
    try:
        complex_values = np.iscomplexobj(X)
    except (ValueError, TypeError):
        complex_values = False
    if complex_values:
        raise DataError(f"{name}: Complex data not supported (complex values)")
    try:
        arr = np.asarray(X, dtype=np.float64) if allow_nan else np.asarray(X)
    except (ValueError, TypeError):
        try:
            arr = np.asarray(X, dtype=object)
        except (ValueError, TypeError) as e:
            raise DataError(f"{name}: not an array ({e})") from None
    if arr.dtype.kind == "c" or (arr.dtype == object and any(isinstance(v, complex)
                                                             for v in arr.flat)):  # fmt: skip
        raise DataError(f"{name}: Complex data not supported (complex values)")
    if arr.ndim < 2:
        raise DataError(
            f"{name}: expected a 2-D array (samples, features), got shape {arr.shape}; "
            "Reshape your data: reshape(-1, 1) for a single feature, reshape(1, -1) for a "
            "single sample"
        )
    if arr.shape[0] == 0:
        raise DataError(f"{name}: empty input, 0 sample(s) (shape={arr.shape}) while a "
                        "minimum of 1 is required")  # fmt: skip
    if arr.size == 0:
        raise DataError(f"{name}: empty input, 0 feature(s) (shape={arr.shape}) while a "
                        "minimum of 1 is required.")  # fmt: skip
    if arr.dtype.kind not in "biuf":
        arr = _to_float(arr, name, columns, allow_nan)
    arr = arr.astype(np.float64, copy=False)
    flat = arr.reshape(arr.shape[0], -1)
    bad = np.isinf(flat) if allow_nan else ~np.isfinite(flat)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        what = "infinite" if allow_nan else "NaN/inf"
        raise DataError(f"{name}: {int(bad.sum())} {what} value(s); first at row {r}, "
                        f"column {c}")  # fmt: skip
    return arr


def _is_sparse(X: Any) -> bool:
    if not hasattr(X, "tocsr") and not hasattr(X, "todense"):
        return False
    from scipy import sparse

    return bool(sparse.issparse(X))


def _to_float(arr: np.ndarray, name: str, columns: list[Any], allow_nan: bool) -> np.ndarray:
    flat = arr.reshape(arr.shape[0], -1)
    out = np.empty(flat.shape, dtype=np.float64)
    for j in range(flat.shape[1]):
        try:
            out[:, j] = flat[:, j].astype(np.float64)
        except (ValueError, TypeError):
            label = f" ({columns[j]!r})" if j < len(columns) else ""
            bad, error = next((v, e) for v in flat[:, j] if (e := _float_error(v)) is not None)
            kind = NonNumericError if isinstance(error, TypeError) else DataError
            raise kind(f"{name}: column {j}{label} is not numeric (e.g. {bad!r}: {error}); "
                       "encode categories as numbers first") from None  # fmt: skip
    return out.reshape(arr.shape)


def _float_error(v: Any) -> Exception | None:
    try:
        float(v)
        return None
    except (ValueError, TypeError) as e:
        return e
