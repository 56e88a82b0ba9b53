"""Parsing, validity and canonical SMILES with the MOSES benchmark's rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.chem.rdkit_guard import require_rdkit

#: Morgan fingerprints as MOSES computes them: radius 2, 1024 bits
MORGAN_RADIUS = 2
MORGAN_BITS = 1024


def get_mol(smiles: str) -> Any | None:
    """An RDKit molecule, or None for an empty or invalid SMILES (parsed, then sanitized)."""
    Chem = require_rdkit()
    if not smiles:
        return None
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        Chem.SanitizeMol(mol)
    except ValueError:
        return None
    return mol


def canonical_smiles(smiles: str) -> str | None:
    """RDKit's canonical SMILES of ``smiles``, or None when it is not a valid molecule."""
    mol = get_mol(smiles)
    return None if mol is None else require_rdkit().MolToSmiles(mol)


def is_valid(smiles: str) -> bool:
    """True when RDKit parses and sanitizes ``smiles`` (an empty string is invalid)."""
    return get_mol(smiles) is not None


_morgan = None


def morgan_fingerprint(mol: Any) -> np.ndarray:
    """The ``(1024,)`` uint8 Morgan bit vector (radius 2) of ``mol``."""
    global _morgan
    if _morgan is None:
        from rdkit.Chem import rdFingerprintGenerator

        _morgan = rdFingerprintGenerator.GetMorganGenerator(
            radius=MORGAN_RADIUS, fpSize=MORGAN_BITS
        )
    return _morgan.GetFingerprintAsNumPy(mol).astype(np.uint8)
