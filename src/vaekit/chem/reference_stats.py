"""Statistics of a reference set (the MOSES test set, its scaffold split, or the user's):
fingerprints, fragment and scaffold counts, property values and ChemNet statistics, cached
on disk as plain arrays and JSON (no pickle)."""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit.chem.fcd import ChemNet, GaussianStats
from vaekit.chem.features import describe_for_reference, parallel_map
from vaekit.chem.properties import MOSES_PROPERTIES
from vaekit.errors import DataError
from vaekit.io.safe import atomic_write_bytes

#: bump when a definition changes, so cached statistics are recomputed
STATS_VERSION = 1


@dataclass
class ReferenceStats:
    """What the MOSES metrics compare generated molecules with."""

    name: str
    size: int  # valid molecules
    fingerprints: np.ndarray  # (N, 128) uint8, packed Morgan bits
    fragments: Counter
    scaffolds: Counter
    properties: dict[str, np.ndarray]  # name -> (N,)
    fcd: GaussianStats | None = None

    @classmethod
    def from_smiles(
        cls,
        smiles: list[str],
        name: str = "reference",
        jobs: int = 1,
        fcd: GaussianStats | ChemNet | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> ReferenceStats:
        """Statistics of the valid molecules of ``smiles``. ``fcd``: precomputed ChemNet
        statistics, or a :class:`ChemNet` to compute them, or None to leave the FCD out."""
        described = parallel_map(describe_for_reference, smiles, jobs, on_done)
        feats = [f for f in described if f is not None]
        if not feats:
            raise DataError(f"the reference set {name!r} has no valid molecule")
        if isinstance(fcd, ChemNet) and len(feats) < 2:
            raise DataError(f"the reference set {name!r} has only {len(feats)} valid molecule; "
                            "the FCD needs at least 2")  # fmt: skip
        if isinstance(fcd, ChemNet):  # on the SMILES as given (ChemNet canonicalizes them)
            fcd = fcd.stats([s for s, f in zip(smiles, described, strict=True) if f])
        props = np.array([f.properties for f in feats], dtype=np.float64)  # (N, 4)
        return cls(
            name=name,
            size=len(feats),
            fingerprints=np.stack([f.fingerprint for f in feats]),
            fragments=Counter(x for f in feats for x in f.fragments),
            scaffolds=Counter(f.scaffold for f in feats if f.scaffold is not None),
            properties={k: props[:, i] for i, k in enumerate(MOSES_PROPERTIES)},
            fcd=fcd,
        )

    def unpacked_fingerprints(self) -> np.ndarray:
        """``(N, 1024)`` uint8 Morgan bits."""
        return np.unpackbits(self.fingerprints, axis=1)

    def save(self, path: str | Path) -> None:
        """Write to one ``.npz`` of plain arrays (atomically)."""
        meta = {"version": STATS_VERSION, "name": self.name, "size": self.size,
                "fragments": dict(self.fragments), "scaffolds": dict(self.scaffolds)}  # fmt: skip
        arrays = {"fingerprints": self.fingerprints,
                  "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}  # fmt: skip
        arrays.update({f"prop_{k}": v for k, v in self.properties.items()})
        if self.fcd is not None:
            arrays.update(fcd_mu=self.fcd.mu, fcd_sigma=self.fcd.sigma)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> ReferenceStats:
        """Read statistics written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes().decode())
                props = {k: z[f"prop_{k}"] for k in MOSES_PROPERTIES}
                fcd = GaussianStats(z["fcd_mu"], z["fcd_sigma"]) if "fcd_mu" in z else None
                fps = z["fingerprints"]
        except (OSError, ValueError, KeyError) as e:
            raise DataError(f"{path}: not a vaekit reference-statistics file ({e})") from e
        if meta.get("version") != STATS_VERSION:
            raise DataError(f"{path}: statistics of another version; delete it to recompute")
        return cls(meta["name"], meta["size"], fps, Counter(meta["fragments"]),
                   Counter(meta["scaffolds"]), props, fcd)  # fmt: skip


def fingerprint_of_set(smiles: list[str]) -> str:
    """A short content hash of a SMILES list (the cache key of its statistics)."""
    h = hashlib.sha256()
    for s in smiles:
        h.update(s.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]
