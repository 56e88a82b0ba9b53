"""Privacy of a synthetic table: distance to closest record and exact copies.

The distance between two rows is SDMetrics' (``calculate_dcr``): the mean over columns of
``min(|a - b| / range, 1)`` for numeric columns (``range`` that of the reference table; a
constant column counts any difference as 1), ``0``/``1`` for unequal categories; a cell
missing on one side only counts 1, on both sides 0. A synthetic table that memorised its
training rows sits closer to them than rows the model never saw (a real holdout) do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vaekit.data.table import Table
from vaekit.tabular.quality import CONTINUOUS


def _encoded(rows: Table, reference: Table) -> tuple[list[tuple[np.ndarray, np.ndarray]],
                                                      list[float | None]]:  # fmt: skip
    """Per column ``(rows, reference)`` as float arrays (categories as codes, missing NaN)
    and the reference range of numeric columns (``None`` for categorical)."""
    cols, ranges = [], []
    for name in reference.names:
        a, b = rows.columns[name], reference.columns[name]
        if reference.types[name] in CONTINUOUS:
            present = b[~np.isnan(b)]
            ranges.append(float(present.max() - present.min()) if len(present) else 0.0)
            cols.append((a.astype(np.float64), b.astype(np.float64)))
        else:
            vocab: dict[Any, int] = {}
            code = [np.array([np.nan if v is None else vocab.setdefault(v, len(vocab))
                              for v in c], dtype=np.float64) for c in (a, b)]  # fmt: skip
            ranges.append(None)
            cols.append((code[0], code[1]))
    return cols, ranges


def dcr(rows: Table, reference: Table, chunk: int = 256) -> np.ndarray:
    """Distance of each row of ``rows`` to its closest row of ``reference``, ``(N,)`` in [0, 1]."""
    cols, ranges = _encoded(rows, reference)
    refs = [torch.from_numpy(b) for _, b in cols]
    out = np.empty(len(rows))
    for start in range(0, len(rows), chunk):
        total = torch.zeros(min(chunk, len(rows) - start), len(reference), dtype=torch.float64)
        for (a, _), b, rng in zip(cols, refs, ranges, strict=True):
            x = torch.from_numpy(a[start : start + chunk]).unsqueeze(1)  # (C, 1)
            if rng is None:
                d = (x != b).double()  # (C, R); NaN codes never equal: fixed below
            elif rng == 0:
                d = ((x - b).abs() > 0).double()
            else:
                d = ((x - b).abs() / rng).clamp_(max=1.0)
            nan_x, nan_b = torch.isnan(x), torch.isnan(b).unsqueeze(0)  # (C, 1), (1, R)
            if nan_x.any() or nan_b.any():
                d = torch.where(nan_x ^ nan_b, 1.0, torch.where(nan_x & nan_b, 0.0, d))
            total += d
        out[start : start + chunk] = (total.min(1).values / len(cols)).numpy()
    return out


def copy_share(rows: Table, reference: Table) -> float:
    """The share of ``rows`` equal in every column to some row of ``reference``."""

    def keys(t: Table) -> list[tuple[Any, ...]]:
        cols = []
        for name in reference.names:
            c = t.columns[name]
            cols.append([None if (v is None or (isinstance(v, float) and v != v)) else v
                         for v in c.tolist()])  # fmt: skip
        return list(zip(*cols, strict=True))

    seen = set(keys(reference))
    return float(np.mean([k in seen for k in keys(rows)])) if len(rows) else float("nan")


def privacy_report(synth: Table, train: Table, holdout: Table, max_rows: int = 2000,
                   seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """DCR of synthetic rows and of real holdout rows to the training rows, and exact copies.

    ``max_rows`` synthetic and holdout rows (a seeded subsample) are measured against every
    training row; the copy shares use every row. ``closer_to_train`` is SDMetrics'
    ``DCROverfittingProtection`` share: of the synthetic rows, those nearer the training rows
    than the holdout rows, with the training rows subsampled to the holdout's size (about 0.5
    for a model that did not memorise).
    """
    rng = np.random.default_rng(seed)

    def sub(t: Table, n: int) -> Table:
        return t if len(t) <= n else t.select(np.sort(rng.choice(len(t), n, replace=False)))

    s, h = sub(synth, max_rows), sub(holdout, max_rows)
    d_synth, d_holdout = dcr(s, train), dcr(h, train)
    d_to_holdout = dcr(s, holdout)
    d_to_train_sub = dcr(s, sub(train, len(holdout)))
    return {
        "dcr_synthetic_median": float(np.median(d_synth)),
        "dcr_holdout_median": float(np.median(d_holdout)),
        "dcr_synthetic_p05": float(np.quantile(d_synth, 0.05)),
        "dcr_holdout_p05": float(np.quantile(d_holdout, 0.05)),
        "closer_to_train": float(np.mean(d_to_train_sub < d_to_holdout)),
        "copies_synthetic": copy_share(synth, train),
        "copies_holdout": copy_share(holdout, train),
        "rows_measured": [len(s), len(h)],
        "dcr_synthetic": d_synth.tolist(),
        "dcr_holdout": d_holdout.tolist(),
    }
