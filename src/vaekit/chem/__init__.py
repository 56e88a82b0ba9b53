"""Molecules: validity, canonical SMILES, properties and the MOSES benchmark's metrics.

Needs the ``chem`` extra (``pip install '.[chem]'`` in the vaekit checkout: RDKit and
fcd_torch); importing this package works without it, and each function says what to install
when it is missing.
"""

from vaekit.chem.fcd import ChemNet, GaussianStats, frechet_distance
from vaekit.chem.filters import passes_filters
from vaekit.chem.metrics import METRIC_ORDER, moses_metrics
from vaekit.chem.molecules import canonical_smiles, get_mol, is_valid, morgan_fingerprint
from vaekit.chem.properties import (
    MOSES_PROPERTIES,
    OBJECTIVES,
    logp,
    penalized_logp,
    qed,
    sa_score,
    weight,
)
from vaekit.chem.reference_sets import moses_references, moses_train, read_smiles, reference_stats
from vaekit.chem.reference_stats import ReferenceStats
from vaekit.chem.undefined import UndefinedMetricWarning

__all__ = [
    "ChemNet", "GaussianStats", "METRIC_ORDER", "MOSES_PROPERTIES", "OBJECTIVES",
    "ReferenceStats", "UndefinedMetricWarning", "canonical_smiles", "frechet_distance",
    "get_mol", "is_valid", "logp", "morgan_fingerprint", "moses_metrics", "moses_references",
    "moses_train", "passes_filters", "penalized_logp", "qed", "read_smiles", "reference_stats",
    "sa_score", "weight",
]  # fmt: skip
