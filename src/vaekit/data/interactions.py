"""Interaction logs (``user, item[, rating][, timestamp]``) read from text files, and the
binarized users x items matrix built from them.

Formats read: any CSV/TSV with or without a header (the separator is sniffed: tab, comma,
semicolon, ``::``), GroupLens' MovieLens files as distributed (``u.data`` of 100K,
``ratings.dat`` of 1M, ``ratings.csv`` of 20M/25M/latest) and atomic ``.inter`` files
(tab-separated, header ``user_id:token``...). Gzip-compressed files are read as well.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit.errors import DataError

USER_NAMES = ("user", "user_id", "userid", "uid", "customer", "customer_id", "session")
ITEM_NAMES = ("item", "item_id", "itemid", "movieid", "movie_id", "sid", "product",
              "product_id", "track", "artist")  # fmt: skip
RATING_NAMES = ("rating", "ratings", "score", "count", "plays", "value", "weight")
#: rating columns that count events (plays, purchases) rather than grade items
COUNT_NAMES = ("count", "counts", "plays", "playcount", "value", "weight", "quantity")
#: Liang et al. (2018) keep ratings > 3.5: on a star scale (whole or half stars), 4 and up
STAR_MIN_RATING = 4.0
#: the highest rating of a star scale
STAR_MAX = 5.0
#: the MovieLens files as GroupLens distributes them, inside a dataset directory
MOVIELENS_FILES = ("u.data", "ratings.dat", "ratings.csv", "ml-100k.inter.gz", "ml-100k.inter")
MOVIELENS_URLS = {
    "ml-100k": "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    "ml-1m": "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
    "ml-20m": "https://files.grouplens.org/datasets/movielens/ml-20m.zip",
}


@dataclass
class InteractionLog:
    """One row per interaction: ``users`` and ``items`` (string ids, ``(N,)``) and
    ``ratings`` (``(N,)`` float, or ``None`` when the log has none); ``rating_name`` is the
    rating column's header (``None`` without a header)."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray | None
    source: str = "log"
    rating_name: str | None = None

    def __len__(self) -> int:
        return len(self.users)


def read_text_file(path: Path) -> str:
    """The text of ``path`` (gzip-compressed or not): UTF-8, else Latin-1."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"{path}: not a readable gzip file ({e})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # MovieLens 100K/1M item files are Latin-1


def _sniff_sep(first: str) -> str:
    for sep in ("::", "\t", ",", ";", "|"):
        if sep in first:
            return sep
    return " " if " " in first.strip() else ","


def _column(spec: str | int | None, names: list[str] | None, defaults: tuple[str, ...],
            fallback: int | None, role: str, path: Path) -> int | None:  # fmt: skip
    """The column index for ``spec`` (a name or an index), else the first default name
    present in the header, else ``fallback``."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.lstrip("-").isdigit()):
        return int(spec)
    lowered = [n.lower() for n in names] if names else []
    if spec is not None:
        if spec.lower() in lowered:
            return lowered.index(spec.lower())
        have = ", ".join(names) if names else "none (the file has no header)"
        raise DataError(f"{path}: no {role} column {spec!r}; columns: {have}")
    for name in defaults:
        if name in lowered:
            return lowered.index(name)
    return fallback


def log_file(path: str | Path) -> Path:
    """The interaction file ``path`` names: itself, or for a MovieLens directory the first
    of :data:`MOVIELENS_FILES` in it."""
    path = Path(path)
    if path.is_dir():
        found = [path / n for n in MOVIELENS_FILES if (path / n).exists()]
        if not found:
            raise DataError(f"{path}: no interaction file here (looked for "
                            f"{', '.join(MOVIELENS_FILES)})")  # fmt: skip
        path = found[0]
    if not path.exists():
        raise DataError(f"{path}: no such file")
    return path


def read_interactions(
    path: str | Path,
    user_col: str | int | None = None,
    item_col: str | int | None = None,
    rating_col: str | int | None = None,
    sep: str | None = None,
    header: bool | None = None,
) -> InteractionLog:
    """Read an interaction log.

    Parameters
    ----------
    path
        A text file (optionally gzip-compressed), or a MovieLens directory holding one of
        ``u.data``, ``ratings.dat`` or ``ratings.csv``.
    user_col, item_col, rating_col
        Column names (matched without case) or 0-based indices. By default the usual names
        (``user``/``user_id``/``userId``, ``item``/``item_id``/``movieId``, ``rating``) when
        the file has a header, else columns 0, 1 and (when present) 2.
    sep
        Field separator (sniffed from the first line by default).
    header
        Whether the first line names the columns (detected by default: a header's user
        and item fields are not both numbers).

    Returns
    -------
    InteractionLog
    """
    path = log_file(path)
    text = read_text_file(path)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        raise DataError(f"{path}: the log is empty")
    sep = sep or _sniff_sep(first)
    if sep == "::":  # MovieLens 1M; csv takes one-character separators
        text, sep = text.replace("::", "\t"), "\t"
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
            if r and any(f.strip() for f in r)]  # fmt: skip
    head = [f.strip().split(":")[0] for f in rows[0]]  # atomic files: "user_id:token"
    if header is None:
        header = not all(_is_number(f) for f in rows[0][:2])
    names = head if header else None
    body = rows[1:] if header else rows
    if not body:
        raise DataError(f"{path}: the log has a header but no interactions")
    width = min(len(r) for r in body)
    u = _column(user_col, names, USER_NAMES, 0, "user", path)
    i = _column(item_col, names, ITEM_NAMES, 1, "item", path)
    default_rating = 2 if (names is None and width >= 3) else None
    r = _column(rating_col, names, RATING_NAMES, default_rating, "rating", path)
    for role, c in (("user", u), ("item", i), ("rating", r)):
        if c is not None and not 0 <= c < width:
            raise DataError(f"{path}: {role} column {c} is out of range (rows have {width} "
                            "fields)")  # fmt: skip
    assert u is not None and i is not None
    users = np.array([row[u].strip() for row in body], dtype=object)
    items = np.array([row[i].strip() for row in body], dtype=object)
    ratings = None
    if r is not None:
        try:
            ratings = np.array([float(row[r]) for row in body], dtype=np.float64)
        except ValueError as e:
            raise DataError(f"{path}: the rating column holds a non-number ({e})") from None
        if not np.isfinite(ratings).all():
            raise DataError(f"{path}: the rating column holds NaN or infinite values")
    if (users == "").any() or (items == "").any():
        raise DataError(f"{path}: some rows have an empty user or item id")
    rating_name = names[r] if (names is not None and r is not None) else None
    return InteractionLog(users, items, ratings, str(path), rating_name)


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def movielens_path(name: str, data_dir: str | Path | None = None) -> Path:
    """The MovieLens copy called ``name`` (``ml-100k``, ``ml-1m``, ``ml-20m``): under
    ``data_dir`` when given (the dataset directory itself, or its parent; nowhere else),
    else under ``$VAEKIT_DATA_DIR``; a clear error saying where to get it otherwise."""
    roots = []
    if data_dir is not None:
        roots.append(Path(data_dir))
    elif os.environ.get("VAEKIT_DATA_DIR"):
        roots.append(Path(os.environ["VAEKIT_DATA_DIR"]))
    for root in roots:
        for candidate in (root, root / name):
            if candidate.is_dir() and any((candidate / f).exists() for f in MOVIELENS_FILES):
                return candidate
    url = MOVIELENS_URLS.get(name, "https://grouplens.org/datasets/movielens/")
    where = ", ".join(str(r) for r in roots) or "nowhere (no --data-dir, no $VAEKIT_DATA_DIR)"
    raise DataError(f"MovieLens {name!r} not found (looked in {where}); download {url}, unzip "
                    "it and pass --data-dir DIR (or set VAEKIT_DATA_DIR)")  # fmt: skip


@dataclass
class ClickMatrix:
    """The binarized users x items matrix of a log.

    Attributes
    ----------
    matrix
        ``scipy.sparse.csr_matrix`` ``(U, I)`` of float32 ones, rows and columns sorted by id.
    users, items
        The ids of the rows and columns (``(U,)`` and ``(I,)`` string arrays).
    """

    matrix: object
    users: np.ndarray
    items: np.ndarray


def click_matrix(
    log: InteractionLog,
    min_rating: float | str | None = None,
    min_user_items: int = 5,
    min_item_users: int = 0,
) -> ClickMatrix:
    """Binarize ``log``: keep interactions rated ``>= min_rating`` (all when ``None``;
    ``"auto"``: see :func:`resolve_min_rating`), then items with ``>= min_item_users``
    users, then users with ``>= min_user_items`` items (the order of Liang et al.'s
    ``filter_triplets``); repeats count once."""
    from scipy import sparse

    if len(log) == 0:
        raise DataError(f"{log.source}: the log has no interactions")
    min_rating = resolve_min_rating(log, min_rating)
    keep = np.ones(len(log), dtype=bool)
    if min_rating is not None:
        if log.ratings is None:
            raise DataError(f"{log.source}: --min-rating needs a rating column, and the log "
                            "has none")  # fmt: skip
        keep &= log.ratings >= min_rating
    users, items = log.users[keep], log.items[keep]
    if min_item_users > 0:
        names, counts = np.unique(items, return_counts=True)
        ok = np.isin(items, names[counts >= min_item_users])
        users, items = users[ok], items[ok]
    if min_user_items > 0:
        # distinct items per user (a repeated click counts once)
        pairs = np.unique(np.stack([users.astype(str), items.astype(str)]), axis=1)
        names, counts = np.unique(pairs[0], return_counts=True)
        ok = np.isin(users.astype(str), names[counts >= min_user_items])
        users, items = users[ok], items[ok]
    if len(users) == 0:
        rule = f"ratings >= {min_rating:g}, " if min_rating is not None else ""
        raise DataError(f"{log.source}: no interactions left after filtering ({rule}users "
                        f"with >= {min_user_items} items)")  # fmt: skip
    uids, urow = _sorted_ids(users)
    iids, icol = _sorted_ids(items)
    m = sparse.csr_matrix((np.ones(len(urow), np.float32), (urow, icol)),
                          shape=(len(uids), len(iids)))  # fmt: skip
    m.sum_duplicates()
    m.data[:] = 1.0
    return ClickMatrix(m, uids, iids)


def is_star_scale(log: InteractionLog) -> bool:
    """Whether ``log``'s ratings grade items on a star scale: every value within 0-5, in a
    column not named like a count (:data:`COUNT_NAMES`)."""
    if log.ratings is None or len(log.ratings) == 0:
        return False
    if log.rating_name is not None and log.rating_name.lower() in COUNT_NAMES:
        return False
    return bool(log.ratings.min() >= 0 and log.ratings.max() <= STAR_MAX)


def resolve_min_rating(log: InteractionLog, min_rating: float | str | None) -> float | None:
    """The rating threshold a fit applies to ``log``.

    ``"auto"`` is Mult-VAE's protocol (Liang et al. 2018, as for the MovieLens data sets):
    ratings >= :data:`STAR_MIN_RATING` (4 stars and up) count as clicks when the ratings
    are stars (:func:`is_star_scale`), every interaction otherwise. ``None`` keeps every
    interaction; a number keeps ``rating >= min_rating``.
    """
    if isinstance(min_rating, str):
        if min_rating != "auto":
            raise DataError(f"min_rating must be a number, None or 'auto', got {min_rating!r}")
        return STAR_MIN_RATING if is_star_scale(log) else None
    return None if min_rating is None else float(min_rating)


def threshold_note(log: InteractionLog, threshold: float | None) -> str | None:
    """One line saying which ratings count as clicks and how many interactions the
    threshold dropped; ``None`` for a log without ratings."""
    if log.ratings is None:
        return None
    n = len(log)
    if threshold is None:
        why = "" if is_star_scale(log) else (f" (the ratings, {log.ratings.min():g} to "
                                             f"{log.ratings.max():g}, are not 0-5 stars)")
        return (f"every interaction counts as a click{why}; --min-rating R keeps only "
                "ratings >= R")  # fmt: skip
    dropped = int((log.ratings < threshold).sum())
    protocol = " (Mult-VAE's protocol)" if threshold == STAR_MIN_RATING else ""
    return (f"ratings >= {threshold:g} count as clicks{protocol}: {dropped:,} of {n:,} "
            "interactions rated lower dropped; --min-rating changes it")  # fmt: skip


def rated_matrix(log: InteractionLog, users: np.ndarray, items: np.ndarray) -> object:
    """Every item each of ``users`` has in ``log``, whatever its rating: a 0/1
    ``scipy.sparse.csr_matrix`` ``(len(users), len(items))`` in the order of ``users`` and
    ``items`` (interactions with other users or items are left out)."""
    from scipy import sparse

    rows, cols = _positions(log.users, users), _positions(log.items, items)
    keep = (rows >= 0) & (cols >= 0)
    m = sparse.csr_matrix((np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])),
                          shape=(len(users), len(items)))  # fmt: skip
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _positions(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each value's position in ``ids`` (``-1`` when absent): ``(N,)`` int64."""
    uniq, inverse = np.unique(values.astype(str), return_inverse=True)
    where = {str(v): j for j, v in enumerate(ids)}
    return np.array([where.get(v, -1) for v in uniq], dtype=np.int64)[inverse]


def _sorted_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ids (numeric ids in numeric order) and each row's position among them."""
    s = ids.astype(str)
    uniq, inverse = np.unique(s, return_inverse=True)
    if all(v.lstrip("-").isdigit() for v in uniq):
        order = np.argsort(uniq.astype(np.int64), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return uniq[order].astype(object), rank[inverse]
    return uniq.astype(object), inverse
