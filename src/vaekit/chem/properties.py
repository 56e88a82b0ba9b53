"""Molecular properties: logP, SA, QED, molecular weight and penalized logP.

The four MOSES properties use the same RDKit functions as MOSES (Crippen logP, the
Ertl-Schuffenhauer synthetic accessibility score from RDKit's Contrib, QED, average molecular
weight). Penalized logP is the normalized form of the JT-VAE paper's table (Jin et al. 2018):
each of logP, -SA and -(long-ring penalty) is z-scored with the ZINC-250k statistics those
papers use, then summed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vaekit.chem.rdkit_guard import require_rdkit
from vaekit.errors import ConfigError

# ZINC-250k statistics of the normalized penalized logP (JT-VAE, Jin et al. 2018)
_LOGP_MEAN, _LOGP_STD = 2.4570953396190123, 1.434324401111988
_SA_MEAN, _SA_STD = -3.0525811293166134, 0.8335207024513095
_CYCLE_MEAN, _CYCLE_STD = -0.0485696876403053, 0.2860212110245455

_sascorer = None


def logp(mol: Any) -> float:
    """Wildman-Crippen logP (RDKit ``MolLogP``)."""
    require_rdkit()
    from rdkit.Chem import Crippen

    return float(Crippen.MolLogP(mol))


def sa_score(mol: Any) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard): RDKit's Contrib ``sascorer``."""
    global _sascorer
    if _sascorer is None:
        require_rdkit()
        try:
            from rdkit.Contrib.SA_Score import sascorer
        except ImportError as e:  # a build of RDKit without its Contrib directory
            raise ConfigError(
                "the SA score needs RDKit's Contrib/SA_Score, which this RDKit lacks; "
                "install RDKit from PyPI: pip install '.[chem]' in the vaekit checkout"
            ) from e
        _sascorer = sascorer
    return float(_sascorer.calculateScore(mol))


def qed(mol: Any) -> float:
    """Quantitative estimate of drug-likeness (RDKit ``QED.qed``), in [0, 1]."""
    require_rdkit()
    from rdkit.Chem import QED

    return float(QED.qed(mol))


def weight(mol: Any) -> float:
    """Average molecular weight (RDKit ``Descriptors.MolWt``)."""
    require_rdkit()
    from rdkit.Chem import Descriptors

    return float(Descriptors.MolWt(mol))


def long_ring_penalty(mol: Any) -> int:
    """Atoms beyond six in the largest ring (0 for molecules whose rings have <= 6 atoms)."""
    rings = mol.GetRingInfo().AtomRings()
    largest = max((len(r) for r in rings), default=0)
    return max(largest - 6, 0)


def penalized_logp(mol: Any) -> float:
    """Normalized penalized logP of the JT-VAE table: z(logP) + z(-SA) + z(-long rings)."""
    return (
        (logp(mol) - _LOGP_MEAN) / _LOGP_STD
        + (-sa_score(mol) - _SA_MEAN) / _SA_STD
        + (-long_ring_penalty(mol) - _CYCLE_MEAN) / _CYCLE_STD
    )


MOSES_PROPERTIES: dict[str, Callable[[Any], float]] = {
    "logP": logp,
    "SA": sa_score,
    "QED": qed,
    "weight": weight,
}
"""The MOSES property distributions, by their names in MOSES's table: RDKit molecule ->
value."""

OBJECTIVES: dict[str, Callable[[Any], float]] = {
    "qed": qed,
    "plogp": penalized_logp,
    "logp": logp,
}
"""Objectives of latent-space optimization (``--objective``): RDKit molecule -> value."""
