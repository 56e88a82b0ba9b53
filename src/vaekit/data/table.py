"""Mixed-type tables: a CSV reader with column types inferred and overridable.

A :class:`Table` holds one NumPy array per column: ``float64`` with NaN for missing cells in
numeric columns (``numeric``, ``integer``, ``datetime`` as seconds since the epoch), ``object``
with ``None`` for missing cells in ``categorical`` and ``boolean`` columns. No pandas needed;
``Table.from_pandas`` / ``to_pandas`` convert when it is installed.

Messages about a cell of a CSV file give the file's line number (the header is line 1, the
first data row line 2); for rows passed from Python (a DataFrame), the 0-based row index.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.column_types import COLUMN_TYPES as COLUMN_TYPES  # re-exported
from vaekit.errors import DataError

#: cells read as missing (case-sensitive, after stripping spaces)
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"})
#: a column whose present cells are at least this share numbers, but not all, is refused
#: (a typo or a stray word in a numeric column), naming the other cells
MOSTLY_NUMERIC = 0.9
#: the most offending cells a message names
SHOWN_CELLS = 5
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


# ---------------------------------------------------------------------------- reading
def read_cells(path: str | Path) -> tuple[dict[str, list[str]], list[int]]:
    """The text cells of a CSV (optionally ``.gz``) with a header row, per column, and the
    file's line number of each data row (the header is line 1; blank lines are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"table not found: {path}")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except OSError as e:
            raise DataError(f"{path}: not a gzip file ({e})") from e
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        reader = csv.reader(io.StringIO(raw.decode("utf-8-sig")))
        end = 0
        for row in reader:
            start, end = end + 1, reader.line_num
            if row:
                rows.append(row)
                lines.append(start)
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: not a readable UTF-8 CSV ({e})") from e
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or "" in header:
        raise DataError(f"{path}: the header needs distinct, non-empty column names")
    for r, line in zip(rows[1:], lines[1:], strict=True):
        if len(r) != len(header):
            raise DataError(f"{path} line {line}: {len(r)} fields, the header has {len(header)}")
    cells = {h: [r[j].strip() for r in rows[1:]] for j, h in enumerate(header)}
    return cells, lines[1:]


def read_csv(path: str | Path, types: dict[str, str] | None = None) -> Table:
    """Read a CSV (optionally ``.gz``) with a header row; ``types`` overrides inferred types.

    A column whose present cells are nearly all numbers (at least 90%) but not all is
    refused, naming the other cells by line: fix or empty them, or give the column a type.
    """
    cells, lines = read_cells(path)
    return from_cells(cells, types, source=str(path), lines=lines)


def from_cells(cells: dict[str, list[str]], types: dict[str, str] | None = None,
               source: str = "table", lines: Sequence[int] | None = None) -> Table:  # fmt: skip
    """A :class:`Table` from text cells per column, inferring each type not in ``types``.

    ``lines``: the file's line number of each row, for messages (else the 0-based row).
    A column inferred as text whose present cells are at least 90% numbers is refused,
    naming the cells that are not (see :func:`non_numeric_cells`).
    """
    types = dict(types or {})
    unknown = [c for c in types if c not in cells]
    if unknown:
        raise DataError(f"{source}: types given for columns it does not have: {unknown} "
                        f"(its columns: {', '.join(cells)})")  # fmt: skip
    columns, kinds = {}, {}
    for name, values in cells.items():
        kind = types.get(name)
        if kind is None:
            kind = infer_type(values)
            if kind == "categorical":
                _refuse_mostly_numeric(name, values, source, lines)
        if kind not in COLUMN_TYPES:
            raise DataError(f"column {name!r}: unknown type {kind!r}; "
                            f"choose from {', '.join(COLUMN_TYPES)}")  # fmt: skip
        columns[name] = parse_column(name, values, kind, source=source, lines=lines)
        kinds[name] = kind
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


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def non_numeric_cells(values: list[str]) -> list[int] | None:
    """The rows (0-based) of the present cells that are not numbers, when the column is
    *mostly* numeric (at least :data:`MOSTLY_NUMERIC` of its present cells are numbers, and
    not all); else ``None``."""
    present = [i for i, v in enumerate(values) if v not in MISSING]
    bad = [i for i in present if not _is_number(values[i])]
    if not bad or len(present) - len(bad) < MOSTLY_NUMERIC * len(present):
        return None
    return bad


def _refuse_mostly_numeric(name: str, values: list[str], source: str,
                           lines: Sequence[int] | None) -> None:  # fmt: skip
    bad = non_numeric_cells(values)
    if bad is None:
        return
    present = sum(v not in MISSING for v in values)
    shown = ", ".join(f"{_where(i, lines)} {values[i]!r}" for i in bad[:SHOWN_CELLS])
    more = f" and {len(bad) - SHOWN_CELLS} more" if len(bad) > SHOWN_CELLS else ""
    raise DataError(
        f"{source}, column {name!r}: numbers in {present - len(bad)} of {present} cells, text "
        f"at {shown}{more}; fix those cells (leave a cell empty when the value is unknown), "
        f"or read the column as text with {_type_fix(name, lines)}"
    )


def _type_fix(name: str, lines: Sequence[int] | None) -> str:
    """How to give column ``name`` the categorical type: the option of the table commands
    for a file, the ``types`` argument for data from Python."""
    if lines is None:
        return f"types={{{name!r}: 'categorical'}}"
    return f"--types {name}=categorical"


def _where(i: int, lines: Sequence[int] | None) -> str:
    """Where row ``i`` is: the file's line, or the 0-based row of data from Python."""
    return f"line {lines[i]}" if lines is not None else f"row {i}"


def parse_column(name: str, values: list[str], kind: str, source: str | None = None,
                 lines: Sequence[int] | None = None) -> np.ndarray:  # fmt: skip
    """The cells of one column as its array (see :class:`Table`); a bad cell is named by
    ``source`` and its line in ``lines`` (else its 0-based row)."""

    def at(i: int) -> str:
        return f"{source} {_where(i, lines)}" if source else _where(i, lines)

    if kind in ("categorical", "boolean"):
        if kind == "boolean":
            bad = [i for i, v in enumerate(values)
                   if v not in MISSING and v.lower() not in _TRUE | _FALSE]  # fmt: skip
            if bad:
                shown = ", ".join(f"{at(i)} {values[i]!r}" for i in bad[:SHOWN_CELLS])
                raise DataError(f"column {name!r} is boolean (true/false, yes/no) but holds "
                                f"{shown}")  # fmt: skip
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
                raise DataError(f"{at(i)}, column {name!r}: {v!r} is not an ISO date or time "
                                "(the column is datetime)") from None  # fmt: skip
        else:
            try:
                out[i] = float(v)
            except ValueError:
                hint = ("mixed numbers and text: fix the cell, leave it empty when unknown, "
                        f"or fit with {_type_fix(name, lines)}")  # fmt: skip
                raise DataError(f"{at(i)}, column {name!r}: {v!r} is not a number (the column "
                                f"is {kind}; {hint})") from None  # fmt: skip
            if not math.isfinite(out[i]):
                raise DataError(f"{at(i)}, column {name!r}: {v!r} is not a finite number")
    return out


# ---------------------------------------------------------------------------- describing
def describe_types(table: Table) -> str:
    """One line of the column types, e.g. ``age integer, workclass categorical(9)`` (the
    number of distinct levels in brackets)."""
    parts = []
    for name in table.names:
        kind = table.types[name]
        if kind == "categorical":
            levels = {v for v in table.columns[name] if v is not None}
            kind = f"categorical({len(levels)})"
        parts.append(f"{name} {kind}")
    return ", ".join(parts)


def decimals_of(values: np.ndarray, most: int = 10) -> int | None:
    """The fewest decimals that write every value of ``values`` exactly (``3.25`` -> 2,
    ``40`` -> 0), or ``None`` when more than ``most`` would be needed."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    for d in range(most + 1):
        if np.array_equal(np.round(x, d), x):
            return d
    return None


# ---------------------------------------------------------------------------- writing
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


def _csv_text(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.names)
    cols = [format_column(table.columns[k], table.types[k]) for k in table.names]
    writer.writerows(["" if v is None else v for v in row] for row in zip(*cols, strict=True))
    return buf.getvalue()


def write_csv(table: Table, path: str | Path) -> None:
    """Write ``table`` as CSV (missing cells empty), atomically."""
    from vaekit._tempfiles import atomic_write_text

    atomic_write_text(path, _csv_text(table))
