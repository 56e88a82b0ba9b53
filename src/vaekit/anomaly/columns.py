"""The columns a detector sees: their names, a refusal naming those that differ from the
fitted ones, and the note for a label column left among the features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vaekit.errors import DataError

#: column names that usually hold labels (compared in lower case)
LABEL_NAMES = frozenset({
    "y", "label", "labels", "target", "class", "is_outlier", "outlier", "outliers",
    "is_anomaly", "anomaly", "anomalies", "ground_truth",
})  # fmt: skip
#: names listed in full in a message; more are counted
SHOWN = 8


class ColumnMismatchError(DataError):
    """Rows whose columns differ from those the detector was fitted on (named)."""


class LabelColumnWarning(UserWarning):
    """A fitted feature looks like a label column (a 0/1 column named like ``y``)."""


@dataclass(frozen=True)
class NamedRows:
    """Rows with column names, without pandas (a CSV file with a header reads as one).

    A detector fitted on ``NamedRows`` records ``feature_names_in_`` as it does for a
    DataFrame, and refuses later rows whose names differ in one line that names them
    (prefixed with ``source``).

    Parameters
    ----------
    values
        The rows, ``(N, D)`` (or ``(N, ...)`` images, then without names).
    columns
        The ``D`` column names; empty when the data has none (only the count is checked).
    source
        What the rows are called in messages (a file's path).
    """

    values: np.ndarray
    columns: tuple[str, ...] = ()
    source: str = "X"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.values))


def quoted(names: Sequence[str]) -> str:
    """``'a', 'b', 'c'``, the first :data:`SHOWN` of them and a count of the rest."""
    shown = ", ".join(repr(str(n)) for n in names[:SHOWN])
    more = len(names) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def column_mismatch(fitted: Sequence[str], given: Sequence[str]) -> str | None:
    """How the columns ``given`` differ from the ``fitted`` ones, in words (``None``: the
    same columns in the same order)."""
    fitted, given = [str(n) for n in fitted], [str(n) for n in given]
    if fitted == given:
        return None
    if sorted(fitted) == sorted(given):
        return f"same columns in a different order: {quoted(given)} (fitted on {quoted(fitted)})"
    missing = [n for n in fitted if n not in given]
    extra = [n for n in given if n not in fitted]
    renamed = (
        len(fitted) == len(given)
        and len(missing) == len(extra)
        and all(fitted.index(m) == given.index(e) for m, e in zip(missing, extra, strict=True))
    )
    if renamed:
        pairs = [f"{m!r} is now {e!r}" for m, e in zip(missing, extra, strict=True)]
        more = len(pairs) - SHOWN
        shown = ", ".join(pairs[:SHOWN]) + (f" and {more} more" if more > 0 else "")
        return f"renamed column{'s' if len(pairs) > 1 else ''}: {shown}"
    parts = [f"missing {quoted(missing)}"] if missing else []
    parts += [f"extra {quoted(extra)}"] if extra else []
    if not parts:  # the same names, some of them repeated a different number of times
        parts = [f"got {quoted(given)}, fitted on {quoted(fitted)}"]
    return "; ".join(parts)


def mismatch_message(source: str, fitted: Sequence[str], given: Sequence[str]) -> str | None:
    """The one-line refusal of columns ``given`` for a detector fitted on ``fitted``."""
    what = column_mismatch(fitted, given)
    if what is None:
        return None
    if what.startswith("same columns"):
        return f"{source}: {what}; pass the columns in the fitted order"
    return f"{source}: the columns differ from those the detector was fitted on ({what})"


def label_like_columns(names: Sequence[str] | None, arr: np.ndarray) -> list[str]:
    """The columns of ``arr`` ``(N, D)`` named like a label (:data:`LABEL_NAMES`) whose
    values are all 0 or 1."""
    if names is None or arr.ndim != 2 or len(names) != arr.shape[1]:
        return []
    return [
        str(n)
        for j, n in enumerate(names)
        if str(n).strip().lower() in LABEL_NAMES and np.isin(arr[:, j], (0.0, 1.0)).all()
    ]


def label_note(column: str, option: bool) -> str:
    """One line: ``column`` looks like a label yet is fitted as a feature; ``option``: the
    advice names the command line's option, else leaving it out of ``X``."""
    advice = (
        f"pass --label-column {column}"
        if option
        else f"leave it out of X (on the command line: --label-column {column})"
    )
    return (f"column {column!r} holds only 0 and 1 and is named like a label, yet it is "
            f"fitted as a feature; if it is the label, {advice}")  # fmt: skip
