"""Mixed-type tables: a CSV reader with column types inferred and overridable.

A :class:`Table` holds one NumPy array per column: ``float64`` with NaN for missing cells in
numeric columns (``numeric``, ``integer``, ``datetime`` as seconds since the epoch), ``object``
with ``None`` for missing cells in ``categorical`` and ``boolean`` columns. No pandas needed;
``Table.from_pandas`` / ``to_pandas`` convert when it is installed.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.errors import DataError

COLUMN_TYPES = ("numeric", "integer", "categorical", "boolean", "datetime")
#: cells read as missing (case-sensitive, after stripping spaces)
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"})
_TRUE, _FALSE = {"true", "yes", "t", "y"}, {"false", "no", "f", "n"}


@dataclass
class Table:
    """Columns of equal length, each with a type from :data:`COLUMN_TYPES`."""

    columns: dict[str, np.ndarray]  # name -> (N,)
    types: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise DataError(f"columns of different lengths: {sorted(lengths)}")
        for name, kind in self.types.items():
            if kind not in COLUMN_TYPES:
                raise DataError(f"column {name!r}: unknown type {kind!r}; "
                                f"choose from {', '.join(COLUMN_TYPES)}")  # fmt: skip

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def missing(self, name: str) -> np.ndarray:
        """``(N,)`` bool: the missing cells of column ``name``."""
        col = self.columns[name]
        if col.dtype == object:
            return np.array([v is None for v in col], dtype=bool)
        return np.isnan(col)

    def select(self, rows: np.ndarray) -> Table:
        """The rows ``rows`` (indices or a boolean mask) as a new table."""
        return Table({k: v[rows] for k, v in self.columns.items()}, dict(self.types))

    @classmethod
    def from_pandas(cls, df: Any, types: dict[str, str] | None = None) -> Table:
        """A table from a pandas DataFrame (missing: NaN/None/NaT)."""
        cells = {str(c): ["" if _is_missing(v) else str(v) for v in df[c].tolist()]
                 for c in df.columns}  # fmt: skip
        return from_cells(cells, types, source="DataFrame")

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame({k: format_column(v, self.types[k]) for k, v in self.columns.items()})


def observed_columns(table: Table) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """``(name, type, missing mask, observed values)`` of each column, for fitting an
    encoding; an empty table, or a column with no observed value, is refused by name."""
    if len(table) == 0 or not table.columns:
        raise DataError("cannot fit on an empty table")
    for name in table.names:
        missing = table.missing(name)
        if missing.all():
            raise DataError(f"column {name!r} has no values (every cell is missing); drop it")
        yield name, table.types[name], missing, table.columns[name][~missing]


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("NaT", "<NA>")


def read_csv(path: str | Path, types: dict[str, str] | None = None) -> Table:
    """Read a CSV (optionally ``.gz``) with a header row; ``types`` overrides inferred types."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"table not found: {path}")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except OSError as e:
            raise DataError(f"{path}: not a gzip file ({e})") from e
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: not a readable UTF-8 CSV ({e})") from e
    rows = [r for r in rows if r]
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or "" in header:
        raise DataError(f"{path}: the header needs distinct, non-empty column names")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise DataError(f"{path}, line {i}: {len(r)} fields, the header has {len(header)}")
    cells = {h: [r[j].strip() for r in rows[1:]] for j, h in enumerate(header)}
    return from_cells(cells, types, source=str(path))


def from_cells(cells: dict[str, list[str]], types: dict[str, str] | None = None,
               source: str = "table") -> Table:  # fmt: skip
    """A :class:`Table` from text cells per column, inferring each type not in ``types``."""
    types = dict(types or {})
    unknown = set(types) - set(cells)
    if unknown:
        raise DataError(f"{source}: types given for unknown columns {sorted(unknown)}")
    columns, kinds = {}, {}
    for name, values in cells.items():
        kind = types.get(name) or infer_type(values)
        if kind not in COLUMN_TYPES:
            raise DataError(f"column {name!r}: unknown type {kind!r}; "
                            f"choose from {', '.join(COLUMN_TYPES)}")  # fmt: skip
        columns[name], kinds[name] = parse_column(name, values, kind), kind
    return Table(columns, kinds)


def infer_type(values: list[str]) -> str:
    """``integer``/``numeric`` when every present cell is a number, ``boolean`` for
    true/false words, ``datetime`` for ISO dates, else ``categorical``."""
    present = [v for v in values if v not in MISSING]
    if not present:
        return "numeric"  # an all-missing column; the transformer says so
    try:
        nums = [float(v) for v in present]
    except ValueError:
        pass
    else:
        if all(math.isfinite(x) and x == int(x) for x in nums):
            return "integer"
        return "numeric"
    if {v.lower() for v in present} <= _TRUE | _FALSE:
        return "boolean"
    if any(c in present[0] for c in "-/:"):  # a date has separators; "2024" is an integer
        try:
            for v in present:
                dt.datetime.fromisoformat(v)
        except ValueError:
            return "categorical"
        return "datetime"
    return "categorical"


def parse_column(name: str, values: list[str], kind: str) -> np.ndarray:
    """The cells of one column as its array (see :class:`Table`)."""
    if kind in ("categorical", "boolean"):
        if kind == "boolean":
            bad = {v for v in values if v not in MISSING and v.lower() not in _TRUE | _FALSE}
            if bad:
                raise DataError(f"column {name!r} is boolean but holds {sorted(bad)[:3]}")
            return np.array([None if v in MISSING else v.lower() in _TRUE for v in values],
                            dtype=object)  # fmt: skip
        return np.array([None if v in MISSING else v for v in values], dtype=object)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v in MISSING:
            out[i] = np.nan
        elif kind == "datetime":
            try:
                out[i] = dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC).timestamp()
            except ValueError:
                raise DataError(
                    f"column {name!r} is datetime but row {i + 1} holds {v!r}"
                ) from None
        else:
            try:
                out[i] = float(v)
            except ValueError:
                hint = "mixed numbers and text: give it type categorical"
                raise DataError(
                    f"column {name!r} is {kind} but row {i + 1} holds {v!r} ({hint})"
                ) from None
            if not math.isfinite(out[i]):
                raise DataError(f"column {name!r}, row {i + 1}: {v!r} is not a finite number")
    return out


def format_column(values: np.ndarray, kind: str) -> list[Any]:
    """A column as Python values for writing: ints for integers, ISO text for datetimes."""
    if kind in ("categorical", "boolean"):
        return list(values)
    out: list[Any] = []
    for v in values:
        if np.isnan(v):
            out.append(None)
        elif kind == "integer":
            out.append(int(v))
        elif kind == "datetime":
            out.append(dt.datetime.fromtimestamp(float(v), dt.UTC).replace(tzinfo=None).isoformat())
        else:
            out.append(float(v))
    return out


def write_csv(table: Table, path: str | Path) -> None:
    """Write ``table`` as CSV (missing cells empty), atomically."""
    from vaekit._tempfiles import atomic_write_text

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.names)
    cols = [format_column(table.columns[k], table.types[k]) for k in table.names]
    writer.writerows(["" if v is None else v for v in row] for row in zip(*cols, strict=True))
    atomic_write_text(path, buf.getvalue())
