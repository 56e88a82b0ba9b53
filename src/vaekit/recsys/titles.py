"""Item titles from the item file that comes with an interaction log: MovieLens' ``u.item``
(100K), ``movies.dat`` (1M), ``movies.csv`` (20M and later) and atomic ``NAME.item`` files
beside ``NAME.inter``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from vaekit.data.interactions import ITEM_NAMES, log_file, read_text_file
from vaekit.errors import DataError

#: the item file of each MovieLens log file (the atomic ``NAME.inter`` -> ``NAME.item``)
ITEM_FILES = {"u.data": "u.item", "ratings.dat": "movies.dat", "ratings.csv": "movies.csv"}
#: each item file's field separator (an atomic file is tab-separated)
_SEPARATORS = {"u.item": "|", "movies.dat": "::", "movies.csv": ","}
TITLE_NAMES = ("title", "movie_title", "name", "item_name", "product_name")
YEAR_NAMES = ("release_year", "year")


def item_file(log: str | Path) -> Path | None:
    """The item file that belongs to the interaction log ``log`` (a file or a MovieLens
    directory), or ``None`` when it has none."""
    try:
        path = log_file(log)
    except DataError:
        return None
    name = path.name
    candidates = [ITEM_FILES[name]] if name in ITEM_FILES else []
    for suffix in (".inter.gz", ".inter"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            candidates += [f"{stem}.item.gz", f"{stem}.item"]
    found = [path.parent / c for c in candidates if (path.parent / c).is_file()]
    return found[0] if found else None


def read_item_titles(path: str | Path) -> dict[str, str]:
    """``{item id: title}`` from an item file (see the module docstring). An atomic file's
    release year (when a number) is added as ``Title (1995)`` as MovieLens' own files write it."""
    path = Path(path)
    base = path.name.removesuffix(".gz")
    sep = _SEPARATORS.get(base, "\t")
    text = read_text_file(path)
    if sep == "::":  # csv takes one-character separators
        text, sep = text.replace("::", "\t"), "\t"
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if r]
    if not rows:
        return {}
    names = [f.strip().split(":")[0].lower() for f in rows[0]]
    header = not rows[0][0].strip().isdigit()
    item, title, year = 0, 1, None
    if header:
        item = next((names.index(n) for n in ITEM_NAMES if n in names), 0)
        title_col = next((names.index(n) for n in TITLE_NAMES if n in names), None)
        if title_col is None:
            raise DataError(f"{path}: no title column (looked for {', '.join(TITLE_NAMES)})")
        title = title_col
        year = next((names.index(n) for n in YEAR_NAMES if n in names), None)
        rows = rows[1:]
    titles: dict[str, str] = {}
    for row in rows:
        if len(row) <= max(item, title):
            continue
        name = row[title].strip()
        when = row[year].strip() if year is not None and year < len(row) else ""
        if when.isdigit() and f"({when})" not in name:
            name = f"{name} ({when})"
        titles[row[item].strip()] = name
    return titles
