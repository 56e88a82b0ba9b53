"""The quality score of a synthetic table, as SDMetrics' single-table ``QualityReport``
defines it (sdmetrics 0.32).

* **Column shapes**: per column, the KS complement ``1 - D`` (two-sample Kolmogorov-Smirnov
  statistic, missing cells dropped, values rounded to 14 decimals) for numeric, integer and
  datetime columns; the TV complement ``1 - 1/2 sum_v |f_real(v) - f_synth(v)|`` for
  categorical and boolean ones (missing cells dropped; a level only the synthetic table has
  gets a real count of 1e-6, as SDMetrics regularises it).
* **Column pair trends**: per pair of columns, the correlation similarity
  ``1 - |r_real - r_synth| / 2`` (Pearson, rows with a missing cell dropped; no score when a
  column is constant) for two continuous columns; the contingency similarity
  ``1 - TVD`` of the normalized two-way tables (missing cells a category of their own) for two
  discrete ones; for a continuous and a discrete column, the contingency similarity after the
  continuous one is cut into NumPy's 10 histogram bins -- of each table's own values, as
  SDMetrics does.
* **Overall**: the mean of the two property scores. Column shapes is the mean over columns;
  column pair trends the mean over the pairs whose real data show a trend -- a Pearson
  ``|r| > 0.5`` or a Cramer's V above 0.3 (SDMetrics' ``real_correlation_threshold`` and
  ``real_association_threshold``; set them to 0 to average over every pair, as SDMetrics
  before 0.30 did). Both means are reported.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any

import numpy as np

from vaekit.data.table import Table

CONTINUOUS = ("numeric", "integer", "datetime")
DECIMALS = 14  # sys.float_info.dig - 1, SDMetrics' rounding before the KS test
CORRELATION_THRESHOLD, ASSOCIATION_THRESHOLD = 0.5, 0.3  # SDMetrics' QualityReport defaults


def ks_complement(real: np.ndarray, synth: np.ndarray) -> float:
    """``1 - D`` of the two-sample KS test on the present values (NaN dropped)."""
    a = np.sort(np.round(real[~np.isnan(real)], DECIMALS))
    b = np.sort(np.round(synth[~np.isnan(synth)], DECIMALS))
    if not len(a) or not len(b):
        return float("nan")
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(1.0 - np.abs(cdf_a - cdf_b).max())


def tv_complement(real: np.ndarray, synth: np.ndarray) -> float:
    """``1 - TVD`` of the level frequencies (missing cells dropped)."""
    r = Counter(v for v in real if v is not None)
    s = Counter(v for v in synth if v is not None)
    if not r or not s:
        return float("nan")
    for v in s:
        if v not in r:
            r[v] += 1e-6
    nr, ns = sum(r.values()), sum(s.values())
    return float(1.0 - 0.5 * sum(abs(s[v] / ns - r[v] / nr) for v in r))


Pair = tuple[np.ndarray, np.ndarray]


def correlation_similarity(real: Pair, synth: Pair) -> tuple[float, float]:
    """``1 - |r_real - r_synth| / 2`` (Pearson) and ``r_real``; NaN when a column is constant."""
    rs = []
    for a, b in (real, synth):
        if _n_unique(a) < 2 or _n_unique(b) < 2:
            return float("nan"), float("nan")
        ok = ~(np.isnan(a) | np.isnan(b))
        a, b = a[ok], b[ok]
        if len(a) < 2 or a.std() == 0 or b.std() == 0:
            return float("nan"), float("nan")
        rs.append(float(np.corrcoef(a, b)[0, 1]))
    return 1.0 - abs(rs[0] - rs[1]) / 2.0, rs[0]


def contingency_similarity(real: Pair, synth: Pair) -> tuple[float, float]:
    """``1 - TVD`` of the two normalized contingency tables (missing = a category) and the
    real table's Cramer's V."""
    (ra, sa), (rb, sb) = _codes(real[0], synth[0]), _codes(real[1], synth[1])
    rows = int(max(ra.max(initial=0), sa.max(initial=0))) + 1
    width = int(max(rb.max(initial=0), sb.max(initial=0))) + 1
    counts = np.bincount(ra * width + rb, minlength=rows * width)
    fr = counts / len(ra)
    fs = np.bincount(sa * width + sb, minlength=rows * width) / len(sa)
    return float(1.0 - 0.5 * np.abs(fr - fs).sum()), cramers_v(counts.reshape(rows, width))


def cramers_v(counts: np.ndarray) -> float:
    """Cramer's V of a contingency table ``(R, C)`` of counts (no continuity correction);
    NaN when it has fewer than two rows or columns with counts."""
    counts = counts[counts.sum(1) > 0][:, counts.sum(0) > 0].astype(np.float64)
    if min(counts.shape) < 2:
        return float("nan")
    n = counts.sum()
    expected = np.outer(counts.sum(1), counts.sum(0)) / n
    chi2 = ((counts - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / (n * (min(counts.shape) - 1))))


def discretize(x: np.ndarray) -> np.ndarray:
    """SDMetrics' binning of a continuous column for a pair with a discrete one: the bin of
    each value among NumPy's 10 histogram bins of the present values (NaN: a bin of its own)."""
    present = x[~np.isnan(x)]
    if not len(present):
        return np.full(len(x), 11)
    return np.digitize(x, np.histogram_bin_edges(present))


def column_shapes(real: Table, synth: Table) -> dict[str, float]:
    """Per-column shape score, ``{column: score}`` (KS or TV complement)."""
    out = {}
    for name in real.names:
        metric = ks_complement if real.types[name] in CONTINUOUS else tv_complement
        out[name] = metric(real.columns[name], synth.columns[name])
    return out


def column_pair_trends(real: Table, synth: Table) -> list[dict[str, Any]]:
    """Per-pair trend score: ``[{"columns": [a, b], "metric", "score", "real"}]``; ``real``
    is the real data's Pearson r or Cramer's V."""
    binned_real = {n: discretize(real.columns[n]) for n in real.names
                   if real.types[n] in CONTINUOUS}  # fmt: skip
    binned_synth = {n: discretize(synth.columns[n]) for n in binned_real}
    out = []
    for a, b in combinations(real.names, 2):
        ca, cb = real.types[a] in CONTINUOUS, real.types[b] in CONTINUOUS
        if ca and cb:
            metric = "CorrelationSimilarity"
            score, stat = correlation_similarity((real.columns[a], real.columns[b]),
                                           (synth.columns[a], synth.columns[b]))  # fmt: skip
        else:
            metric = "ContingencySimilarity"

            def col(t: Table, binned: dict[str, np.ndarray], n: str) -> np.ndarray:
                return binned[n] if n in binned else t.columns[n]

            score, stat = contingency_similarity(
                (col(real, binned_real, a), col(real, binned_real, b)),
                (col(synth, binned_synth, a), col(synth, binned_synth, b)),
            )
        out.append({"columns": [a, b], "metric": metric, "score": score, "real": stat})
    return out


def quality_report(
    real: Table,
    synth: Table,
    correlation_threshold: float = CORRELATION_THRESHOLD,
    association_threshold: float = ASSOCIATION_THRESHOLD,
) -> dict[str, Any]:
    """Column shapes, column pair trends and the overall quality score of ``synth``.

    Returns ``{"score", "column_shapes", "column_pair_trends", "column_pair_trends_all",
    "score_all_pairs", "shapes", "pairs"}``: the overall score, the property scores (pair
    trends over the pairs that meet the thresholds, and over all pairs), and the per-column
    / per-pair details (each pair with ``"counts"``: whether it met its threshold).
    """
    shapes = column_shapes(real, synth)
    pairs = column_pair_trends(real, synth)
    for p in pairs:
        limit = (correlation_threshold if p["metric"] == "CorrelationSimilarity"
                 else association_threshold)  # fmt: skip
        p["counts"] = bool(limit <= 0 or (np.isfinite(p["real"]) and abs(p["real"]) > limit))
    shape_score = _nanmean(list(shapes.values()))
    pair_score = _nanmean([p["score"] for p in pairs if p["counts"]])
    pair_all = _nanmean([p["score"] for p in pairs])
    return {"score": _nanmean([shape_score, pair_score]), "column_shapes": shape_score,
            "column_pair_trends": pair_score, "column_pair_trends_all": pair_all,
            "score_all_pairs": _nanmean([shape_score, pair_all]), "shapes": shapes,
            "pairs": pairs}  # fmt: skip


def _nanmean(values: list[float]) -> float:
    arr = np.array(values, dtype=np.float64)
    return float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")


def _n_unique(x: np.ndarray) -> int:
    return len(np.unique(x[~np.isnan(x)]))


def _codes(real: np.ndarray, synth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the cells of two columns over their joint levels (missing: one)."""
    if real.dtype != object and synth.dtype != object:
        both = np.concatenate([real, synth]).astype(np.float64)
        _, inverse = np.unique(both, return_inverse=True, equal_nan=True)
    else:
        vocab: dict[Any, int] = {}
        inverse = np.array([vocab.setdefault(_cell(v), len(vocab))
                            for v in np.concatenate([real, synth])], dtype=np.int64)  # fmt: skip
    inverse = inverse.reshape(-1).astype(np.int64)
    return inverse[: len(real)], inverse[len(real) :]


def _cell(v: Any) -> Any:
    """A hashable cell with every missing value equal to every other."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v.item() if isinstance(v, np.generic) else v
