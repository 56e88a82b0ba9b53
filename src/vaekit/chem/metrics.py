"""The MOSES metrics (Polykovskiy et al. 2020) with the definitions of ``moses/metrics``.

Valid is the share of all samples that RDKit parses and sanitizes; every other metric is
computed on the canonical SMILES of the valid samples, duplicates kept. ``unique@k`` counts
distinct molecules among the first ``k`` valid ones; FCD, SNN (mean nearest-neighbour
Tanimoto on Morgan radius-2, 1024-bit fingerprints), Frag (cosine of BRICS-fragment counts)
and Scaf (cosine of Bemis-Murcko scaffold counts, scaffolds of 2+ rings) compare with a
reference set; IntDiv_p = 1 - mean_i (mean_j T(i, j)^p)^(1/p) over all ordered pairs;
Filters is the share passing MCF, PAINS and MOSES's atom and charge rules; logP, SA, QED
and weight are Wasserstein-1 distances between the property distributions; Novelty is the
share of distinct valid molecules absent from the training set.

A metric MOSES leaves undefined is NaN and comes with an :class:`UndefinedMetricWarning`
saying why: Scaf when the generated or the reference molecules have no scaffold of two
rings or more, the FCD when fewer than two generated molecules are valid.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from vaekit.chem.fcd import ChemNet, frechet_distance
from vaekit.chem.features import Features, describe, parallel_map
from vaekit.chem.molecules import canonical_smiles
from vaekit.chem.properties import MOSES_PROPERTIES
from vaekit.chem.reference_stats import ReferenceStats
from vaekit.chem.similarity import cosine_similarity, tanimoto_aggregate
from vaekit.chem.undefined import UndefinedMetricWarning, fcd_reason, scaffold_reason
from vaekit.errors import DataError

METRIC_ORDER = (
    "valid", "unique@1000", "unique@10000", "FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test",
    "FCD/TestSF", "SNN/TestSF", "Frag/TestSF", "Scaf/TestSF", "IntDiv", "IntDiv2", "Filters",
    "logP", "SA", "QED", "weight", "Novelty",
)  # fmt: skip
"""The metric names in the order of MOSES's table."""


def moses_metrics(
    generated: Sequence[str],
    test: ReferenceStats,
    test_scaffolds: ReferenceStats | None = None,
    train: set[str] | None = None,
    ks: Sequence[int] = (1000, 10000),
    jobs: int = 1,
    device: str = "cpu",
    chemnet: ChemNet | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Every MOSES metric of the SMILES ``generated`` (invalid and empty strings included).

    Parameters
    ----------
    test, test_scaffolds
        Reference statistics (:class:`ReferenceStats`); the FCD rows need their ``fcd``.
    train
        Canonical SMILES of the training set, for novelty (left out when None).
    ks
        The ``k`` of ``unique@k``.
    jobs
        Worker processes for the RDKit work.
    chemnet
        A loaded :class:`ChemNet` (one is made on ``device`` when needed).
    log
        Called with a short line as each stage starts.

    Warns
    -----
    UserWarning
        When fewer valid molecules than some ``k`` leave ``unique@k`` on all of them, or when
        none is valid (then only ``valid`` is returned).
    UndefinedMetricWarning
        For each metric left NaN, with the reason.
    """
    say = log or (lambda _: None)
    if len(generated) == 0:
        raise DataError("no generated SMILES to score")
    say(f"validity of {len(generated):,} samples")
    canonical = parallel_map(canonical_smiles, list(generated), jobs)
    valid = [c for c in canonical if c is not None]
    out: dict[str, float] = {"valid": 1 - (len(canonical) - len(valid)) / len(canonical)}
    if not valid:
        warnings.warn("no valid molecule: only 'valid' is defined", stacklevel=2)
        return out
    say(f"features of {len(valid):,} valid molecule" + ("s" if len(valid) != 1 else ""))
    described = parallel_map(describe, valid, jobs)
    feats: list[Features] = [f for f in described if f is not None]
    for k in ks:
        first = [f.canonical for f in described[:k] if f is not None]
        if len(valid) < k:
            many = f"{len(valid)} valid molecule" + ("s" if len(valid) != 1 else "")
            warnings.warn(f"unique@{k} on only {many} (fewer than "
                          f"{k:,}: the share of distinct ones among all of them)",
                          stacklevel=2)  # fmt: skip
        out[f"unique@{k}"] = len(set(first)) / min(k, len(valid))
    fps = np.unpackbits(np.stack([f.fingerprint for f in feats]), axis=1)  # (G, 1024)
    frags = Counter(x for f in feats for x in f.fragments)
    scafs = Counter(f.scaffold for f in feats if f.scaffold is not None)
    refs = [("Test", test)] + ([("TestSF", test_scaffolds)] if test_scaffolds else [])
    gen_fcd = None
    for suffix, ref in refs:
        if ref.fcd is not None and len(valid) < 2:
            out[f"FCD/{suffix}"] = float("nan")
            _undefined(f"FCD/{suffix}", fcd_reason(len(valid)))
        elif ref.fcd is not None:
            if gen_fcd is None:
                say("ChemNet activations (FCD)")
                gen_fcd = (chemnet or ChemNet(device)).stats(valid)
            out[f"FCD/{suffix}"] = frechet_distance(ref.fcd, gen_fcd)
        say(f"similarity to {ref.name}")
        nearest = tanimoto_aggregate(ref.unpacked_fingerprints(), fps, "max", device=device)
        out[f"SNN/{suffix}"] = float(nearest.mean())
        out[f"Frag/{suffix}"] = cosine_similarity(ref.fragments, frags)
        out[f"Scaf/{suffix}"] = cosine_similarity(ref.scaffolds, scafs)
        if not (ref.scaffolds and scafs):
            reason = scaffold_reason([f.canonical for f in feats], scafs, ref.name, ref.size,
                                     ref.scaffolds)  # fmt: skip
            _undefined(f"Scaf/{suffix}", reason)
    say("internal diversity")
    for name, p in (("IntDiv", 1), ("IntDiv2", 2)):
        out[name] = float(1 - tanimoto_aggregate(fps, fps, "mean", p, device=device).mean())
    out["Filters"] = float(np.mean([bool(f.passes_filters) for f in feats]))
    from scipy.stats import wasserstein_distance

    props = np.array([f.properties for f in feats], dtype=np.float64)  # (G, 4)
    for i, name in enumerate(MOSES_PROPERTIES):
        out[name] = float(wasserstein_distance(test.properties[name], props[:, i]))
    if train is not None:
        distinct = {f.canonical for f in feats}
        out["Novelty"] = len(distinct - train) / len(distinct)
    return {k: out[k] for k in sorted(out, key=_table_position)}


def _undefined(metric: str, reason: str) -> None:
    """Warn that ``metric`` is NaN, saying why (shown at the caller of :func:`moses_metrics`)."""
    warnings.warn(UndefinedMetricWarning(metric, reason), stacklevel=3)


def _table_position(name: str) -> tuple[int, str]:
    return (METRIC_ORDER.index(name) if name in METRIC_ORDER else len(METRIC_ORDER), name)
