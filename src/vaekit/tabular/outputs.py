"""Writing a :class:`~vaekit.data.table.Table` to the file a table command was given:
CSV (``.csv``), gzip-compressed CSV (``.csv.gz``) or Parquet (``.parquet``, through the
optional ``pyarrow``). Any other name is refused before the work starts."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from vaekit.data.table import Table, _csv_text, format_column
from vaekit.errors import ConfigError

#: the file name endings a table is written as
TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
PYARROW_NEEDED = "writing .parquet needs pyarrow: pip install pyarrow"


def table_suffix(path: str | Path) -> str:
    """The ending of ``path`` among :data:`TABLE_SUFFIXES` (case-insensitive); any other
    is refused in one line naming those supported."""
    name = Path(path).name.lower()
    for suffix in sorted(TABLE_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    supported = ", ".join(TABLE_SUFFIXES[:-1]) + f" or {TABLE_SUFFIXES[-1]}"
    raise ConfigError(f"{path}: cannot write a table of this file type; name it {supported}")


def check_table_output(path: str | Path) -> str:
    """Refuse an output ``path`` that cannot be written (its ending, or ``.parquet``
    without pyarrow) before any work; returns its ending."""
    suffix = table_suffix(path)
    if suffix == ".parquet":
        _pyarrow()
    return suffix


def numbered(path: str | Path, i: int) -> Path:
    """``path`` with ``-i`` before its table ending: ``out.csv.gz`` -> ``out-2.csv.gz``."""
    path = Path(path)
    suffix = table_suffix(path)
    stem = path.name[: len(path.name) - len(suffix)]
    return path.with_name(f"{stem}-{i}{path.name[len(stem):]}")


def write_table(table: Table, path: str | Path) -> None:
    """Write ``table`` to ``path`` as its ending says (see :data:`TABLE_SUFFIXES`),
    atomically; missing cells are empty (CSV) or null (Parquet)."""
    from vaekit._tempfiles import atomic_write_bytes

    suffix = check_table_output(path)
    if suffix == ".parquet":
        _write_parquet(table, Path(path))
        return
    data = _csv_text(table).encode()
    if suffix == ".csv.gz":
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)


def _pyarrow():  # noqa: ANN202 - the module, when installed
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError(PYARROW_NEEDED) from None
    return pyarrow


def _write_parquet(table: Table, path: Path) -> None:
    import datetime as dt

    from vaekit._tempfiles import shared_mkstemp

    pa = _pyarrow()
    arrays = {}
    for name in table.names:
        kind = table.types[name]
        values = format_column(table.columns[name], kind)
        if kind == "integer":
            arrays[name] = pa.array(values, type=pa.int64())
        elif kind == "numeric":
            arrays[name] = pa.array(values, type=pa.float64())
        elif kind == "boolean":
            arrays[name] = pa.array([None if v is None else bool(v) for v in values],
                                    type=pa.bool_())  # fmt: skip
        elif kind == "datetime":
            arrays[name] = pa.array([None if v is None else dt.datetime.fromisoformat(v)
                                     for v in values], type=pa.timestamp("us"))  # fmt: skip
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in values],
                                    type=pa.string())  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = shared_mkstemp(path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        pa.parquet.write_table(pa.table(arrays), tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
