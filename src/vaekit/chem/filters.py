"""The MOSES ``Filters`` check: MCF and PAINS patterns, allowed atoms, no charges, no big rings."""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

from vaekit.chem.rdkit_guard import require_rdkit

#: atoms MOSES allows
ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})

_patterns: list[Any] | None = None


def filter_patterns() -> list[Any]:
    """The 22 MCF and 480 PAINS SMARTS of MOSES, parsed once."""
    global _patterns
    if _patterns is None:
        Chem = require_rdkit()
        text = resources.files("vaekit.chem").joinpath("data/moses_filters.csv").read_text()
        rows = list(csv.DictReader(text.splitlines()))
        _patterns = [Chem.MolFromSmarts(r["smarts"]) for r in rows]
    return _patterns


def passes_filters(mol: Any) -> bool:
    """True when ``mol`` passes MOSES's filters: no ring of 8+ atoms, no formal charge, only
    C N S O F Cl Br H, no MCF or PAINS match (on the molecule with explicit hydrogens), and a
    non-isomeric SMILES that parses again."""
    Chem = require_rdkit()
    if mol is None:
        return False
    if any(len(ring) >= 8 for ring in mol.GetRingInfo().AtomRings()):
        return False
    atoms = list(mol.GetAtoms())
    if any(a.GetFormalCharge() != 0 for a in atoms):
        return False
    if any(a.GetSymbol() not in ALLOWED_ATOMS for a in atoms):
        return False
    with_h = Chem.AddHs(mol)
    if any(with_h.HasSubstructMatch(p) for p in filter_patterns()):
        return False
    smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smiles) and Chem.MolFromSmiles(smiles) is not None
