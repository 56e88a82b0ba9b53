"""Tanimoto aggregates, BRICS fragments, Bemis-Murcko scaffolds and count-vector cosine,
with the definitions of the MOSES benchmark (``moses/metrics``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch

from vaekit.chem.rdkit_guard import require_rdkit


def fragments(mol: Any) -> list[str]:
    """SMILES of the pieces of ``mol`` cut at its BRICS bonds (dummy atoms kept)."""
    Chem = require_rdkit()
    from rdkit.Chem import AllChem

    return Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split(".")


def scaffold(mol: Any, min_rings: int = 2) -> str | None:
    """Canonical SMILES of the Bemis-Murcko scaffold, or None when it has fewer than
    ``min_rings`` rings (MOSES counts scaffolds of two rings and more)."""
    Chem = require_rdkit()
    from rdkit.Chem.Scaffolds import MurckoScaffold

    try:
        core = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    n_rings = core.GetRingInfo().NumRings()
    smiles = Chem.MolToSmiles(core)
    if smiles == "" or n_rings < min_rings:
        return None
    return smiles


def cosine_similarity(ref: Counter, gen: Counter) -> float:
    """Cosine of two count vectors keyed by name (absent names count 0); NaN if one is empty.

    Counts are cast to float64 before the products (large integer counts overflow otherwise)."""
    if not ref or not gen:
        return float("nan")
    keys = sorted(set(ref) | set(gen))
    r = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    g = np.array([gen.get(k, 0) for k in keys], dtype=np.float64)
    return float(r @ g / (np.linalg.norm(r) * np.linalg.norm(g)))


def tanimoto_aggregate(
    ref: np.ndarray,
    gen: np.ndarray,
    agg: str = "max",
    p: int = 1,
    batch_size: int = 5000,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """For each row of ``gen`` ``(G, bits)``, its ``agg`` ("max" or "mean") Tanimoto
    similarity to the rows of ``ref`` ``(R, bits)``: ``(G,)``.

    With ``p != 1`` the similarities are raised to ``p`` before aggregating and the result to
    ``1/p`` (MOSES's IntDiv2). Two empty fingerprints have similarity 1. Computed in float32
    blocks of ``batch_size`` as MOSES does."""
    if agg not in ("max", "mean"):
        raise ValueError(f"agg must be 'max' or 'mean', got {agg!r}")
    out = np.zeros(len(gen))
    total = np.zeros(len(gen))
    for j in range(0, len(ref), batch_size):
        r = torch.as_tensor(ref[j : j + batch_size], device=device).float()  # (b, bits)
        r_count = r.sum(1, keepdim=True)  # (b, 1)
        for i in range(0, len(gen), batch_size):
            g = torch.as_tensor(gen[i : i + batch_size], device=device).float().T  # (bits, c)
            both = r @ g  # (b, c)
            sim = (both / (r_count + g.sum(0, keepdim=True) - both)).cpu().numpy()
            sim[np.isnan(sim)] = 1
            if p != 1:
                sim = sim**p
            stop = i + sim.shape[1]
            if agg == "max":
                out[i:stop] = np.maximum(out[i:stop], sim.max(0))
            else:
                out[i:stop] += sim.sum(0)
                total[i:stop] += sim.shape[0]
    if agg == "mean":
        out /= total
    if p != 1:
        out = out ** (1 / p)
    return out
