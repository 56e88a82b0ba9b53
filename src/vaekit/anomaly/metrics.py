"""Detection quality: ROC-AUC and precision at n, for 0/1 outlier labels."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from vaekit.errors import DataError


def check_binary(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` as 0/1 integers of length ``n`` (1 = outlier), or one clear error."""
    y = np.asarray(y).reshape(-1)
    if len(y) != n:
        raise DataError(f"{len(y)} labels for {n} rows")
    if not np.isin(y, (0, 1)).all():
        raise DataError("labels must be 0 (inlier) or 1 (outlier) to compute ROC-AUC")
    return y.astype(int)


def precision_at_n(y: np.ndarray, scores: np.ndarray) -> float:
    """Fraction of true outliers among the ``n`` top-scoring rows, ``n`` = number of outliers."""
    n = int(np.sum(y))
    if n == 0:
        return float("nan")
    top = np.argsort(-scores, kind="stable")[:n]
    return float(np.mean(y[top]))


def detection_report(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """``roc_auc`` and ``precision_at_n`` of ``scores`` against labels ``y``."""
    y = check_binary(y, len(scores))
    if y.min() == y.max():
        raise DataError("ROC-AUC needs both inliers (0) and outliers (1) among the labels")
    return {"roc_auc": float(roc_auc_score(y, scores)), "precision_at_n": precision_at_n(y, scores)}
