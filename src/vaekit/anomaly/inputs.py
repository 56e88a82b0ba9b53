"""Checking what a user passes to a detector: one clear line per problem."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.errors import DataError
from vaekit.estimators.validation import check_rows


def as_features(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as a float64 array ``(N, ...)``; refuses sparse, complex, empty, non-numeric
    and NaN/inf input (:func:`vaekit.estimators.validation.check_rows`).

    Accepts NumPy arrays, nested lists and data frames (anything ``np.asarray`` takes).
    """
    return check_rows(X, name)


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
