"""What a user may pass as a table: a :class:`Table`, a pandas DataFrame or a CSV path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vaekit.column_types import TYPES_HELP as TYPES_HELP  # re-exported
from vaekit.column_types import parse_types as parse_types  # re-exported: the one parser
from vaekit.data.table import Table, from_cells, parse_column, read_cells, read_csv
from vaekit.errors import ConfigError, DataError


def as_table(data: Any, types: dict[str, str] | None = None) -> tuple[Table, str]:
    """``data`` as a :class:`Table` and the kind it came as (``table``, ``pandas``, ``csv``)."""
    if isinstance(data, Table):
        if types:
            mismatched = {k: v for k, v in types.items() if data.types.get(k) != v}
            if mismatched:
                raise DataError(f"the Table already has types; it differs on {mismatched}")
        return data, "table"
    if isinstance(data, (str, Path)):
        return read_csv(data, types), "csv"
    if hasattr(data, "columns") and hasattr(data, "iloc"):
        return Table.from_pandas(data, types), "pandas"
    raise DataError(f"expected a pandas DataFrame, a vaekit Table or a CSV path, "
                    f"got {type(data).__name__}")  # fmt: skip


def read_fitted_csv(path: str | Path, expected: dict[str, str]) -> Table:
    """A CSV of rows for a fitted table model: its columns checked against those fitted
    (one line naming the missing and unknown ones), then read with the fitted types."""
    cells, lines = read_cells(path)
    check_same_names(list(cells), expected, str(path))
    table = from_cells(cells, {name: expected[name] for name in cells}, source=str(path),
                       lines=lines)  # fmt: skip
    check_same_columns(table, expected, str(path))
    return table


def check_same_names(names: list[str], expected: dict[str, str], what: str) -> None:
    """Refuse columns ``names`` that differ from those fitted, naming the missing ones and
    the unknown ones (one line)."""
    missing = [c for c in expected if c not in names]
    extra = [c for c in names if c not in expected]
    if missing or extra:
        parts = [f"missing {missing}"] if missing else []
        parts += [f"unknown {extra}"] if extra else []
        raise DataError(f"{what}: the columns differ from those fitted ({'; '.join(parts)}); "
                        f"fitted on: {', '.join(expected)}")  # fmt: skip


def check_same_columns(table: Table, expected: dict[str, str], what: str) -> None:
    """Refuse a table whose columns or types differ from those fitted (one line)."""
    check_same_names(table.names, expected, what)
    changed = {c: (table.types[c], k) for c, k in expected.items() if table.types[c] != k}
    if changed:
        first = next(iter(changed))
        raise DataError(f"{what}: column {first!r} is {changed[first][0]} here but was "
                        f"{changed[first][1]} when fitted; pass types= to match")  # fmt: skip


def parse_conditions(items: list[str] | dict[str, Any] | None,
                     types: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """``["col=value", ...]`` (or a dict) as ``{column: parsed value}`` for ``types``."""
    if not items:
        return {}
    pairs = items.items() if isinstance(items, dict) else [_split(s) for s in items]
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name not in types:
            raise ConfigError(f"--where: unknown column {name!r}; columns: {', '.join(types)}")
        kind = types[name]
        if kind in ("numeric", "datetime"):
            raise ConfigError(f"--where {name}=...: {name!r} is {kind}; conditions take "
                              "categorical, boolean or integer columns")  # fmt: skip
        try:
            parsed = parse_column(name, [str(value)], kind)[0]
        except DataError:
            raise ConfigError(f"--where {name}={value}: {name!r} is {kind}; give such a "
                              "value") from None  # fmt: skip
        if parsed is None or (isinstance(parsed, float) and parsed != parsed):
            raise ConfigError(f"--where {name}=...: give a value, not a missing cell")
        out[name] = parsed
    return out


def _split(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise ConfigError(f"--where {item!r}: write it as column=value")
    name, value = item.split("=", 1)
    return name.strip(), value.strip()
