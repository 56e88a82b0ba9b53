"""The reference sets of the metrics: MOSES's test and scaffold-test sets (with MOSES's own
ChemNet statistics when at hand) or a file of the user's, computed once and cached."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaekit.chem.fcd import ChemNet, GaussianStats
from vaekit.chem.reference_stats import ReferenceStats, fingerprint_of_set
from vaekit.data.download import cache_dir
from vaekit.data.text_files import moses_dir, read_lines
from vaekit.errors import DataError

#: MOSES's ChemNet statistics of its test sets, as plain arrays (``test_mu``, ``test_sigma``,
#: ``test_scaffolds_mu``, ``test_scaffolds_sigma``)
MOSES_FCD_STATS = "fcd_reference_stats.npz"


def read_smiles(path: str | Path, column: str | None = None) -> list[str]:
    """SMILES from ``.smi``/``.txt`` (one per line) or CSV (``column``, default ``SMILES``,
    matched case-insensitively when no column has that exact name), optionally gzipped. For a
    generated file, empty lines are kept (empty samples are invalid)."""
    return read_smiles_with_lines(path, column)[0]


def read_smiles_with_lines(
    path: str | Path, column: str | None = None
) -> tuple[list[str], list[int]]:
    """:func:`read_smiles` and the file's line number of each SMILES (1-based; a CSV's
    header is line 1)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    is_csv = path.name.lower().endswith((".csv", ".csv.gz"))
    return read_lines(path, (column or "SMILES") if is_csv else None)


def stats_cache(name: str, smiles: list[str]) -> Path:
    """Where the statistics of ``smiles`` are cached (``$VAEKIT_CACHE``-style user cache)."""
    return cache_dir() / "chem" / f"{name}-{fingerprint_of_set(smiles)}.npz"


def reference_stats(
    smiles: list[str],
    name: str,
    jobs: int = 1,
    fcd: GaussianStats | ChemNet | None = None,
    log: Callable[[str], None] | None = None,
    cache: bool = True,
    on_done: Callable[[int], None] | None = None,
) -> ReferenceStats:
    """Statistics of ``smiles``, read from the cache when computed before; ``on_done(n)``
    reports progress in molecules while they are computed."""
    path = stats_cache(name, smiles)
    if cache and path.is_file():
        stats = ReferenceStats.load(path)
        if isinstance(fcd, GaussianStats):
            stats.fcd = fcd
        if stats.fcd is not None or fcd is None:
            return stats
    if log:
        log(f"statistics of {name} ({len(smiles):,} molecules, cached afterwards in {path})")
    stats = ReferenceStats.from_smiles(smiles, name, jobs, fcd, on_done)
    if cache:
        os.makedirs(path.parent, exist_ok=True)
        stats.save(path)
    return stats


def moses_references(
    data_dir: str | None = None,
    jobs: int = 1,
    chemnet: ChemNet | None = None,
    log: Callable[[str], None] | None = None,
    download_ok: bool = True,
    on_done: Callable[[int], None] | None = None,
) -> tuple[ReferenceStats, ReferenceStats]:
    """MOSES's test and scaffold-test statistics. The FCD uses MOSES's own ChemNet statistics
    (``fcd_reference_stats.npz`` beside the data) when present, else ChemNet on the sets."""
    files = ("test.csv.gz", "test_scaffolds.csv.gz")
    found = moses_dir(data_dir, download_ok, files)
    moses_fcd = _moses_fcd_stats(found / MOSES_FCD_STATS)
    out = []
    for key, f in (("test", files[0]), ("test_scaffolds", files[1])):
        smiles, _ = read_lines(found / f, "SMILES")
        fcd = moses_fcd.get(key) or chemnet or ChemNet()
        out.append(reference_stats(smiles, f"moses-{key}", jobs, fcd, log, on_done=on_done))
    return out[0], out[1]


def moses_train(data_dir: str | None = None, download_ok: bool = True) -> set[str]:
    """The MOSES training SMILES (already canonical in the file), for novelty."""
    found = moses_dir(data_dir, download_ok, ("train.csv.gz",))
    return set(read_lines(found / "train.csv.gz", "SMILES")[0])


def _moses_fcd_stats(path: Path) -> dict[str, GaussianStats]:
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: GaussianStats(z[f"{k}_mu"], z[f"{k}_sigma"])
                    for k in ("test", "test_scaffolds")}  # fmt: skip
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not MOSES's FCD statistics ({e})") from e
