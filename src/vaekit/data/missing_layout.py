"""Rows with missing cells for imputation: a :class:`Table` as numbers, and back.

Numeric columns (``numeric``, ``integer``, ``datetime``) become one value each, standardized
by the observed mean and standard deviation; categorical and boolean columns a one-hot block
over the levels seen when fitting. A missing cell is NaN (over its whole block for a
categorical). The way back keeps every observed cell as it was, rounds integers, and gives
each imputed categorical cell its most probable level (or the drawn one, for multiple
imputation). The fitted state is plain JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.data.table import Table, observed_columns
from vaekit.data.table_transform import NUMERIC_KINDS, _key
from vaekit.errors import DataError

FORMAT = "vaekit-missing-layout/1"


class MissingLayout:
    """Fit on a :class:`Table`; ``encode`` to ``(N, D)`` float64 with NaN; ``decode`` back.

    Parameters
    ----------
    max_categories
        Most levels a categorical column may have: more (an identifier, free text) cannot
        be imputed level by level, and is refused with a message naming the column.
    """

    def __init__(self, max_categories: int = 100) -> None:
        self.max_categories = max_categories
        self.columns: dict[str, dict[str, Any]] = {}

    def fit(self, table: Table) -> MissingLayout:
        self.columns = {}
        for name, kind, _, values in observed_columns(table):
            if kind in NUMERIC_KINDS:
                sd = float(np.std(values))  # 0: a one-value column, imputed as that value
                self.columns[name] = {"kind": kind, "mean": float(np.mean(values)),
                                      "scale": sd if sd > 0 else 1.0,
                                      "constant": bool(sd == 0)}  # fmt: skip
                continue
            first: dict[str, Any] = {}
            for v in values:
                first.setdefault(_key(v), v)
            if len(first) > self.max_categories:
                raise DataError(f"column {name!r} has {len(first)} distinct values (more than "
                                f"max_categories={self.max_categories}); an identifier or "
                                "free text cannot be imputed: drop the column or raise "
                                "max_categories")  # fmt: skip
            self.columns[name] = {"kind": kind, "levels": [first[k] for k in sorted(first)]}
        return self

    @property
    def types(self) -> dict[str, str]:
        return {n: c["kind"] for n, c in self.columns.items()}

    @property
    def dim(self) -> int:
        return sum(len(c.get("levels", [0])) for c in self.columns.values())

    @property
    def blocks(self) -> list[list[int]]:
        """``[start, size]`` of every categorical one-hot block."""
        out, at = [], 0
        for info in self.columns.values():
            size = len(info.get("levels", [0]))
            if "levels" in info:
                out.append([at, size])
            at += size
        return out

    def encode(self, table: Table) -> np.ndarray:
        """``(N, D)`` rows, NaN where a cell is missing."""
        parts = []
        for name, info in self.columns.items():
            col, missing = table.columns[name], table.missing(name)
            if "levels" not in info:
                parts.append(((col.astype(np.float64) - info["mean"]) / info["scale"])[:, None])
                continue
            index = {_key(v): i for i, v in enumerate(info["levels"])}
            codes = np.full(len(col), -1)
            for i, v in enumerate(col):
                if not missing[i]:
                    if _key(v) not in index:
                        raise DataError(f"column {name!r}: level {v!r} was not seen when "
                                        "fitting")  # fmt: skip
                    codes[i] = index[_key(v)]
            block = np.zeros((len(col), len(index)))
            block[np.flatnonzero(~missing), codes[~missing]] = 1.0
            block[missing] = np.nan
            parts.append(block)
        return np.concatenate(parts, axis=1)

    def decode(self, rows: np.ndarray, like: Table) -> Table:
        """A table like ``like`` with its missing cells taken from ``rows`` ``(N, D)``
        (values for numeric columns, level scores or one-hots for categorical ones)."""
        cols, at = {}, 0
        for name, info in self.columns.items():
            col, missing = like.columns[name], like.missing(name)
            if "levels" not in info:
                filled = rows[:, at] * info["scale"] + info["mean"]
                if info.get("constant"):
                    filled = np.full(len(rows), info["mean"])
                if info["kind"] == "integer":
                    filled = np.round(filled)
                cols[name] = np.where(missing, filled, col.astype(np.float64))
                at += 1
                continue
            size = len(info["levels"])
            best = np.argmax(rows[:, at : at + size], axis=1)
            out = col.copy()
            for i in np.flatnonzero(missing):
                out[i] = info["levels"][best[i]]
            cols[name] = out
            at += size
        return Table(cols, dict(like.types))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "max_categories": self.max_categories,
                "columns": self.columns}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MissingLayout:
        if data.get("format") != FORMAT:
            raise DataError(f"not a {FORMAT} layout")
        layout = cls(int(data["max_categories"]))
        layout.columns = {str(k): dict(v) for k, v in data["columns"].items()}
        return layout
