"""Everything the MOSES metrics need from one molecule, computed in one pass (in workers)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from vaekit.chem.filters import passes_filters
from vaekit.chem.molecules import get_mol, morgan_fingerprint
from vaekit.chem.properties import MOSES_PROPERTIES
from vaekit.chem.rdkit_guard import require_rdkit
from vaekit.chem.similarity import fragments, scaffold

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Features:
    """One valid molecule as the metrics see it."""

    canonical: str  # RDKit's SMILES of the parsed molecule
    fingerprint: np.ndarray  # (128,) uint8: the 1024 Morgan bits, packed
    fragments: list[str]
    scaffold: str | None
    properties: tuple[float, float, float, float]  # logP, SA, QED, weight
    passes_filters: bool | None  # None when not asked for


def describe(smiles: str, filters: bool = True) -> Features | None:
    """The :class:`Features` of ``smiles``, or None when it is not a valid molecule."""
    mol = get_mol(smiles)
    if mol is None:
        return None
    Chem = require_rdkit()
    return Features(
        canonical=Chem.MolToSmiles(mol),
        fingerprint=np.packbits(morgan_fingerprint(mol)),
        fragments=fragments(mol),
        scaffold=scaffold(mol),
        properties=tuple(f(mol) for f in MOSES_PROPERTIES.values()),  # type: ignore[arg-type]
        passes_filters=passes_filters(mol) if filters else None,
    )


def describe_for_reference(smiles: str) -> Features | None:
    """:func:`describe` without the filters (a reference set never needs them)."""
    return describe(smiles, filters=False)


def parallel_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
    chunk: int = 256,
) -> list[R]:
    """``[fn(x) for x in items]`` on ``jobs`` processes (in order); ``on_done(n)`` after
    each chunk of ``n`` items. ``fn`` must be a module-level function."""
    items = list(items)
    if jobs <= 1 or len(items) < 2 * chunk:
        out: list[R] = []
        for start in range(0, len(items), chunk):
            out.extend(fn(x) for x in items[start : start + chunk])
            if on_done is not None:
                on_done(min(chunk, len(items) - start))
        return out
    blocks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    out = []
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        for block in pool.imap(_MapBlock(fn), blocks):
            out.extend(block)
            if on_done is not None:
                on_done(len(block))
    return out


class _MapBlock:
    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, block: list[Any]) -> list[Any]:
        return [self.fn(x) for x in block]
