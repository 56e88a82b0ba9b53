"""Sampling SMILES from a trained sequence model as MOSES does, and writing them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.io.safe import atomic_write_text
from vaekit.models.seq_generation import sample_texts

#: MOSES's sampling: 30,000 molecules, at most 100 tokens, temperature 1
MOSES_SAMPLES, MOSES_MAX_LENGTH = 30_000, 100
SMILES_SUFFIXES = (".csv", ".smi", ".txt")


def sample_smiles(
    model: Any,
    n: int = MOSES_SAMPLES,
    seed: int = 0,
    max_length: int = MOSES_MAX_LENGTH,
    temperature: float = 1.0,
    batch_size: int = 2000,
    on_done: Callable[[int], None] | None = None,
) -> list[str]:
    """``n`` SMILES from the prior of ``model`` (a sequence model trained on SMILES): z from
    N(0, I), each token drawn from the softmax at ``temperature``; invalid strings are kept
    (validity is a metric). The caller's random state is left as it was."""
    if getattr(model, "modality", None) != "sequence":
        raise ConfigError("sampling SMILES needs a sequence model (seq-vae or rnnlm)")
    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return sample_texts(model, n, batch_size, on_done, temperature=temperature,
                            max_length=max_length)  # fmt: skip


def validity_line(smiles: list[str]) -> str:
    """``"18 valid of 25 (72.0%), 15 unique"``: how many samples RDKit parses and sanitizes
    and how many distinct molecules (canonical SMILES) they are, as the MOSES metrics count."""
    from vaekit.chem.molecules import canonical_smiles

    canonical = [c for c in map(canonical_smiles, smiles) if c is not None]
    share = len(canonical) / len(smiles) if smiles else 0.0
    return (f"{len(canonical):,} valid of {len(smiles):,} ({share:.1%}), "
            f"{len(set(canonical)):,} unique")  # fmt: skip


def write_smiles(path: str | Path, smiles: list[str]) -> None:
    """Write SMILES: ``.csv`` with MOSES's one column ``SMILES`` (an empty sample is
    written ``""`` so readers keep it), else one per line. Written atomically."""
    path = Path(path)
    if not path.name.endswith(SMILES_SUFFIXES):
        raise ConfigError(f"write SMILES to a .csv, .smi or .txt file, got {path.name!r}")
    if path.suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["SMILES"])
        writer.writerows([s] for s in smiles)
        text = buf.getvalue()
    else:
        text = "".join(s + "\n" for s in smiles)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
