"""Multivariate time series: read from CSV (wide or long), put on a regular time grid.

A :class:`TimeSeries` holds ``values (T, C)`` (float64, NaN where nothing was observed), the
time of each step and the channel names. Reading a file puts its rows on a regular grid: a
time that has no row becomes a step of missing values, a duplicated time or a time off the
grid is refused in one line naming the file line.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from vaekit.errors import DataError

#: names taken for the time column when none is given
TIME_NAMES = ("date", "time", "timestamp", "datetime", "time_hour", "ds")
#: ``--freq`` values: a number and a unit (``D`` day, ``h`` hour, ``min``, ``s``, ``W`` week),
#: or ``rows`` (each row is the next step, no calendar: trading days)
UNITS = {"W": "W", "D": "D", "h": "h", "H": "h", "min": "m", "s": "s"}


@dataclass
class TimeSeries:
    """A multivariate series on a regular grid.

    Attributes
    ----------
    values
        ``(T, C)`` float64, NaN where missing.
    times
        ``(T,)``: ``datetime64`` steps of the grid, or the step numbers ``0..T-1``.
    channels
        The ``C`` channel names.
    freq
        The grid's step (``"1D"``, ``"1h"``, ...) or ``"rows"``.
    """

    values: np.ndarray
    times: np.ndarray
    channels: tuple[str, ...]
    freq: str = "rows"

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float64)
        if self.values.ndim == 1:
            self.values = self.values[:, None]
        if self.values.ndim != 2:
            raise DataError(f"a time series is (steps, channels), got shape {self.values.shape}")
        if len(self.times) != len(self.values) or len(self.channels) != self.values.shape[1]:
            raise DataError(f"{len(self.times)} times and {len(self.channels)} channel names "
                            f"for values of shape {self.values.shape}")  # fmt: skip
        if np.isinf(self.values).any():
            t, c = np.argwhere(np.isinf(self.values))[0]
            raise DataError(f"step {t}, channel {self.channels[c]!r}: an infinite value")

    @classmethod
    def from_array(cls, values: np.ndarray, channels: Sequence[str] | None = None) -> TimeSeries:
        """A series from an array ``(T, C)`` or ``(T,)``, one row per step."""
        arr = np.asarray(values, dtype=np.float64)
        arr = arr[:, None] if arr.ndim == 1 else arr
        names = tuple(channels) if channels is not None else tuple(
            f"x{i}" for i in range(arr.shape[1] if arr.ndim == 2 else 0))  # fmt: skip
        return cls(arr, np.arange(len(arr)), names, "rows")

    @property
    def missing_rate(self) -> float:
        """The share of missing entries."""
        return float(np.isnan(self.values).mean()) if self.values.size else 0.0

    def describe(self) -> str:
        """One line: steps, channels, grid and missing share."""
        grid = "rows as steps" if self.freq == "rows" else f"a {self.freq} grid"
        span = ""
        if np.issubdtype(self.times.dtype, np.datetime64) and len(self.times):
            span = f" from {_day(self.times[0])} to {_day(self.times[-1])}"
        return (f"{len(self.values):,} steps x {len(self.channels)} channels on {grid}{span}, "
                f"{100 * self.missing_rate:.1f}% missing")  # fmt: skip

    def check_channels(self) -> None:
        """Refuse a channel without a single observed value, naming it."""
        empty = [c for c, col in zip(self.channels, self.values.T, strict=True)
                 if np.isnan(col).all()]  # fmt: skip
        if empty:
            raise DataError(f"channel {empty[0]!r} has no observed value"
                            + (f" (nor {len(empty) - 1} more)" if len(empty) > 1 else "")
                            + "; leave it out with --columns")  # fmt: skip


def _day(t: np.datetime64) -> str:
    text = str(t)
    return text[:10] if text.endswith("T00:00:00") or len(text) == 10 else text[:16]


# ------------------------------------------------------------------------ reading
def read_series(
    path: str | Path,
    time_column: str | None = None,
    id_column: str | None = None,
    columns: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    freq: str | None = None,
) -> TimeSeries:
    """Read a CSV (``.csv`` or ``.csv.gz``) of one or several series onto a regular grid.

    Parameters
    ----------
    path
        The file. *Wide*: a time column and one column per channel. *Long*: a time column,
        a series id column (``id_column``) and value columns; each (id, value column) pair
        becomes a channel ``"<id>:<column>"``.
    time_column
        The time column (default: the first named like ``date``/``time``/``timestamp``,
        else the first column). ISO dates and times (``Z`` and offsets are read as UTC) or
        plain numbers (step numbers).
    id_column
        The series id column of a long file.
    columns
        The value columns to keep (default: every other column).
    ids
        The series ids to keep from a long file (default: all).
    freq
        The grid step: ``"1D"``, ``"6h"``, ``"15min"``, ``"1W"``..., ``"rows"`` (each row is
        the next step, as for trading days), or ``None`` to use the most common time
        difference.

    Returns
    -------
    TimeSeries
    """
    path = Path(path)
    header, rows = _read_csv(path)
    if not rows:
        raise DataError(f"{path}: no data rows")
    tcol = _pick_time_column(path, header, time_column)
    if id_column is not None and id_column not in header:
        raise DataError(f"{path}: no column {id_column!r} (the series id); columns: "
                        f"{', '.join(header)}")  # fmt: skip
    skip = {tcol, id_column}
    value_cols = list(columns) if columns else [h for h in header if h not in skip]
    missing = [c for c in value_cols if c not in header]
    if missing:
        raise DataError(f"{path}: no column {missing[0]!r}; columns: {', '.join(header)}")
    ti = header.index(tcol)
    stamps = [_parse_time(path, r[ti], n) for n, r in rows]
    numeric_time = all(isinstance(s, float) for s in stamps)
    if not numeric_time and any(isinstance(s, float) for s in stamps):
        n, row = next((n, r) for (n, r), s in zip(rows, stamps, strict=True)
                      if isinstance(s, float))  # fmt: skip
        raise DataError(f"{path} line {n}: time {row[ti]!r} is a number among dates")
    times = np.array(stamps, dtype=np.float64 if numeric_time else "datetime64[s]")
    if id_column is None:
        lines = np.array([n for n, _ in rows])
        values = _numbers(path, header, rows, value_cols)
        return _on_grid(path, times, lines, values, tuple(value_cols), freq)
    ii = header.index(id_column)
    keys = [r[ii] for _, r in rows]
    kept = list(dict.fromkeys(keys)) if ids is None else list(ids)
    unknown = [k for k in kept if k not in set(keys)]
    if unknown:
        raise DataError(f"{path}: no series {unknown[0]!r} in column {id_column!r}; there are "
                        f"{', '.join(sorted(set(keys))[:10])}")  # fmt: skip
    parts = []
    for key in kept:
        pick = [i for i, k in enumerate(keys) if k == key]
        sub = [rows[i] for i in pick]
        parts.append(_on_grid(path, times[pick], np.array([n for n, _ in sub]),
                              _numbers(path, header, sub, value_cols),
                              tuple(f"{key}:{c}" for c in value_cols), freq))  # fmt: skip
    return _join(parts)


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows with their file line numbers (header = line 1)."""
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, EOFError) as e:
        raise DataError(f"{path}: cannot read it as CSV text ({e})") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if len(header) < 2:
        raise DataError(f"{path}: a time series CSV needs a time column and at least one "
                        "value column")  # fmt: skip
    rows = []
    for n, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(f"{path} line {n}: {len(row)} fields, the header has {len(header)}")
        rows.append((n, row))
    return header, rows


def _pick_time_column(path: Path, header: list[str], given: str | None) -> str:
    if given is not None:
        if given not in header:
            raise DataError(f"{path}: no column {given!r} (the time column); columns: "
                            f"{', '.join(header)}")  # fmt: skip
        return given
    named = [h for h in header if h.lower() in TIME_NAMES]
    return named[0] if named else header[0]


def _parse_time(path: Path, text: str, line: int) -> float | datetime:
    text = text.strip()
    try:  # a date first: 20130101 is a day, not the number twenty million
        t = datetime.fromisoformat(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise DataError(f"{path} line {line}: time {text!r} is neither a date/time (ISO, "
                            "e.g. 2013-01-01 or 2013-01-01T06:00:00Z) nor a number") from None
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return t


def _numbers(path: Path, header: list[str], rows: list[tuple[int, list[str]]],
             cols: list[str]) -> np.ndarray:  # fmt: skip
    idx = [header.index(c) for c in cols]
    out = np.full((len(rows), len(cols)), np.nan)
    for r, (n, row) in enumerate(rows):
        for j, i in enumerate(idx):
            cell = row[i].strip()
            if cell in ("", "NA", "NaN", "nan", "null"):
                continue
            try:
                out[r, j] = float(cell)
            except ValueError:
                raise DataError(f"{path} line {n}, column {cols[j]!r}: {cell!r} is not a "
                                "number (leave the column out with --columns)") from None
            if not np.isfinite(out[r, j]):
                raise DataError(f"{path} line {n}, column {cols[j]!r}: {cell!r} is not finite")
    return out


# ------------------------------------------------------------------------- the grid
def parse_freq(freq: str) -> tuple[int, str]:
    """``"6h"`` -> ``(6, "h")``; the unit as numpy names it."""
    text = freq.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    unit = text[len(digits):]
    if unit not in UNITS or (digits and int(digits) < 1) or text[: len(digits)] != digits:
        raise DataError(f"unknown --freq {freq!r}: a number and a unit ({', '.join(UNITS)}), "
                        "e.g. 1D, 6h, 15min, or rows")  # fmt: skip
    return int(digits or 1), UNITS[unit]


def _on_grid(path: Path, times: np.ndarray, lines: np.ndarray, values: np.ndarray,
             channels: tuple[str, ...], freq: str | None) -> TimeSeries:  # fmt: skip
    """The rows of one series placed on a regular grid from its first to its last time."""
    order = np.argsort(times, kind="stable")
    times, lines, values = times[order], lines[order], values[order]
    same = np.flatnonzero(times[1:] == times[:-1])
    if len(same):
        k = same[0]
        raise DataError(f"{path} line {lines[k + 1]}: time {_text(times[k])} appears again "
                        f"(also line {lines[k]}); one row per time"
                        + (" and series" if ":" in channels[0] else ""))  # fmt: skip
    if freq == "rows":
        return TimeSeries(values, times, channels, "rows")
    step, name = _step(path, times, freq)
    offsets = (times - times[0]) / step
    off_grid = np.flatnonzero(offsets != np.round(offsets))
    if len(off_grid):
        k = off_grid[0]
        raise DataError(f"{path} line {lines[k]}: time {_text(times[k])} is not on the {name} "
                        f"grid that starts at {_text(times[0])}; give --freq")  # fmt: skip
    index = np.round(offsets).astype(np.int64)
    grid = np.full((int(index[-1]) + 1, values.shape[1]), np.nan)
    grid[index] = values
    grid_times = times[0] + np.arange(len(grid)) * step
    return TimeSeries(grid, grid_times, channels, name)


def _step(path: Path, times: np.ndarray, freq: str | None) -> tuple[object, str]:
    numeric = not np.issubdtype(times.dtype, np.datetime64)
    if freq is not None:
        n, unit = parse_freq(freq)
        if numeric:
            raise DataError(f"{path}: --freq {freq} needs dates in the time column; it holds "
                            "numbers (step numbers: leave --freq out)")  # fmt: skip
        return np.timedelta64(n, unit).astype("timedelta64[s]"), f"{n}{_unit_name(unit)}"
    if len(times) < 2:
        return (1.0 if numeric else np.timedelta64(1, "D")), "1D"
    diffs = np.diff(times)
    values, counts = np.unique(diffs, return_counts=True)
    step = values[np.argmax(counts)]
    if numeric:
        return float(step), f"{step:g}"
    return step, _timedelta_name(step)


def same_grid(a: str | None, b: str | None) -> bool:
    """Whether two grid names are the same step (``"1D"`` and ``"24h"`` are); ``"rows"``,
    ``None`` and step numbers match anything."""
    if a in (None, "rows") or b in (None, "rows") or a == b:
        return True
    try:
        steps = [np.timedelta64(*parse_freq(f)).astype("timedelta64[s]") for f in (a, b)]
    except DataError:
        return True  # step numbers ("1", "0.5"): no calendar to compare
    return bool(steps[0] == steps[1])


def _unit_name(unit: str) -> str:
    return {"W": "W", "D": "D", "h": "h", "m": "min", "s": "s"}[unit]


def _timedelta_name(step: np.timedelta64) -> str:
    seconds = int(step / np.timedelta64(1, "s"))
    for size, name in ((604800, "W"), (86400, "D"), (3600, "h"), (60, "min")):
        if seconds % size == 0:
            return f"{seconds // size}{name}"
    return f"{seconds}s"


def _text(t: object) -> str:
    return str(t).replace("T00:00:00", "") if isinstance(t, np.datetime64) else f"{t:g}"


def _join(parts: list[TimeSeries]) -> TimeSeries:
    """Several series side by side on the union of their grids (same step)."""
    if len(parts) == 1:
        return parts[0]
    freqs = {p.freq for p in parts}
    if len(freqs) > 1:
        raise DataError(f"the series have different steps ({', '.join(sorted(freqs))}); give "
                        "--freq")  # fmt: skip
    if parts[0].freq == "rows":
        raise DataError("--freq rows takes one series: pick it with --ids")
    start = min(p.times[0] for p in parts)
    end = max(p.times[-1] for p in parts)
    step = parts[0].times[1] - parts[0].times[0] if len(parts[0].times) > 1 else None
    if step is None:
        step = next(p.times[1] - p.times[0] for p in parts if len(p.times) > 1)
    n = int(round((end - start) / step)) + 1
    values = np.full((n, sum(len(p.channels) for p in parts)), np.nan)
    col = 0
    for p in parts:
        offset = (p.times[0] - start) / step
        if offset != round(offset):
            raise DataError(f"series {p.channels[0].split(':')[0]!r} starts off the common "
                            f"{p.freq} grid ({_text(p.times[0])}); give --freq")  # fmt: skip
        first = int(round(offset))
        values[first : first + len(p.values), col : col + len(p.channels)] = p.values
        col += len(p.channels)
    times = start + np.arange(n) * step
    return TimeSeries(values, times, tuple(c for p in parts for c in p.channels), parts[0].freq)
