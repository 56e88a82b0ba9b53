"""Fréchet ChemNet Distance (Preuer et al. 2018) through ``fcd_torch``'s ChemNet weights.

The activations of each batch are copied out of the network's output (a view into the
last LSTM's whole output sequence), so memory stays at one batch instead of growing with
every batch kept alive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from vaekit.chem.rdkit_guard import require_fcd, require_rdkit
from vaekit.errors import DataError


@dataclass
class GaussianStats:
    """Mean ``(512,)`` and covariance ``(512, 512)`` of ChemNet activations."""

    mu: np.ndarray
    sigma: np.ndarray


class ChemNet:
    """The ChemNet of the FCD, loaded from the weights in the ``fcd_torch`` wheel."""

    def __init__(self, device: str | torch.device = "cpu", batch_size: int = 512) -> None:
        fcd_torch = require_fcd()
        from fcd_torch.utils import load_imported_model

        path = os.path.join(os.path.dirname(fcd_torch.__file__), "ChemNet_v0.13_pretrained.pt")
        config = torch.load(path, map_location="cpu", weights_only=True)  # tensors and dicts
        self.model = load_imported_model(config).eval().to(device)
        self.device = torch.device(device)
        self.batch_size = batch_size

    @torch.no_grad()
    def activations(self, smiles: list[str]) -> np.ndarray:
        """``(N, 512)`` float32 activations; each SMILES is canonicalized first (as fcd_torch
        does) and must be valid."""
        Chem = require_rdkit()
        from fcd_torch.utils import get_one_hot

        out = []
        for start in range(0, len(smiles), self.batch_size):
            rows = []
            for s in smiles[start : start + self.batch_size]:
                mol = Chem.MolFromSmiles(s)
                if mol is None:
                    raise DataError(f"the FCD got an invalid SMILES: {s!r}")
                one_hot = get_one_hot(Chem.MolToSmiles(mol), 350)  # (350, 35)
                rows.append(one_hot / one_hot.shape[1])
            x = torch.as_tensor(np.stack(rows), dtype=torch.float32, device=self.device)
            y = self.model(x.transpose(1, 2))  # (B, 512), a view of (B, L, 512)
            out.append(y.cpu().numpy().copy())
        if not out:
            return np.zeros((0, 512), dtype=np.float32)
        return np.concatenate(out)

    def stats(self, smiles: list[str]) -> GaussianStats:
        """Mean and covariance of the activations of ``smiles`` (at least 2)."""
        if len(smiles) < 2:
            raise DataError(f"the FCD needs at least 2 valid molecules, got {len(smiles)}")
        acts = self.activations(smiles)
        return GaussianStats(acts.mean(0), np.cov(acts.T))


def frechet_distance(a: GaussianStats, b: GaussianStats) -> float:
    """``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, computed as fcd_torch does:
    a tiny ridge when the product's square root is not finite, the real part of a square root
    whose imaginary part is numerical noise."""
    from scipy import linalg

    if a.mu.shape != b.mu.shape or a.sigma.shape != b.sigma.shape:
        raise DataError(f"FCD statistics differ in size: {a.mu.shape} and {b.mu.shape}")
    diff = np.asarray(a.mu, dtype=np.float64) - b.mu
    covmean = linalg.sqrtm(a.sigma.dot(b.sigma))
    if not np.isfinite(covmean).all():
        ridge = np.eye(a.sigma.shape[0]) * 1e-6
        covmean = linalg.sqrtm((a.sigma + ridge).dot(b.sigma + ridge))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise DataError("the FCD's matrix square root has a large imaginary part")
        covmean = covmean.real
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * np.trace(covmean))
