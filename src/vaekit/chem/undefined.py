"""Why a MOSES metric is undefined (NaN) for a given set, in words, as a warning.

MOSES leaves a metric NaN rather than guessing: Scaf is the cosine of two vectors of
Bemis-Murcko scaffold counts that keep only scaffolds of two rings or more, and a cosine
with an empty vector is NaN; the FCD needs a covariance, so at least two molecules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from vaekit.chem.rdkit_guard import require_rdkit


class UndefinedMetricWarning(UserWarning):
    """A metric came out NaN; ``metric`` names it and ``reason`` says why."""

    def __init__(self, metric: str, reason: str) -> None:
        super().__init__(f"{metric}: n/a ({reason})")
        self.metric, self.reason = metric, reason

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.metric, self.reason)


def scaffold_reason(
    generated: Sequence[str], gen_scaffolds: Counter, ref_name: str, ref_size: int,
    ref_scaffolds: Counter,
) -> str:  # fmt: skip
    """Why Scaf is NaN: which side (the valid ``generated`` canonical SMILES, the reference
    set ``ref_name`` of ``ref_size`` valid molecules) has no scaffold of two rings or more."""
    parts = []
    if not gen_scaffolds:
        parts.append(f"{_none_of(len(generated), 'valid generated molecule')} Bemis-Murcko "
                     f"scaffold of two or more rings: {_ring_counts(generated)}")  # fmt: skip
    if not ref_scaffolds:
        parts.append(f"{_none_of(ref_size, f'valid molecule of the reference set {ref_name!r}')}"
                     " Bemis-Murcko scaffold of two or more rings")  # fmt: skip
    return "; ".join(parts) + ("; MOSES's Scaf counts only such scaffolds, and the cosine with "
                               "an empty count vector is undefined")  # fmt: skip


def fcd_reason(n_valid: int) -> str:
    """Why the FCD is NaN: fewer than two valid generated molecules give no covariance."""
    many = f"{n_valid} valid generated molecule" + ("s" if n_valid != 1 else "")
    return (f"only {many}; the FCD compares means and covariances of ChemNet activations "
            "and needs at least 2")  # fmt: skip


def _none_of(n: int, what: str) -> str:
    """``"none of the 5 valid ... molecules has a"`` / ``"the one valid ... molecule has no"``."""
    if n == 1:
        return f"the one {what} has no"
    noun, _, rest = what.partition(" of ")
    return f"none of the {n:,} {noun}s{' of ' + rest if rest else ''} has a"


_OTHER = "whose scaffold RDKit could not compute"


def _ring_counts(smiles: Sequence[str]) -> str:
    """``"3 acyclic, 2 with one ring"``: the ring counts of molecules without a scaffold."""
    Chem = require_rdkit()
    counts: Counter = Counter()
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        rings = mol.GetRingInfo().NumRings() if mol is not None else -1
        counts["acyclic" if rings == 0 else "with one ring" if rings == 1 else _OTHER] += 1
    order = ("acyclic", "with one ring", _OTHER)
    return ", ".join(f"{counts[k]:,} {k}" for k in order if counts[k])
