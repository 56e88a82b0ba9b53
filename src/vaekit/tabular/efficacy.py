"""Machine-learning efficacy: train a model on synthetic rows, test it on real ones.

A gradient-boosted tree model (scikit-learn's ``HistGradientBoosting``, categories as native
categorical features) predicts ``target`` from the other columns. Trained once on the real
training rows and once on the synthetic rows, it is scored on the same real test rows:
F1 of the rarer class for a binary target, macro F1 for more classes, R^2 for a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.data.table import Table
from vaekit.errors import ConfigError
from vaekit.tabular.quality import CONTINUOUS


class _Features:
    """Columns other than the target as a float matrix; categories as codes of the real
    training levels (an unseen level is missing)."""

    def __init__(self, table: Table, target: str) -> None:
        self.names = [n for n in table.names if n != target]
        self.levels = {n: {v: i for i, v in enumerate(sorted({str(x) for x in table.columns[n]
                                                              if x is not None}))}
                       for n in self.names if table.types[n] not in CONTINUOUS}  # fmt: skip
        self.categorical = [n in self.levels for n in self.names]

    def __call__(self, table: Table) -> np.ndarray:
        cols = []
        for n in self.names:
            c = table.columns[n]
            if n in self.levels:
                lv = self.levels[n]
                c = np.array([np.nan if v is None else lv.get(str(v), np.nan) for v in c])
            cols.append(c.astype(np.float64))
        return np.stack(cols, axis=1)


def ml_efficacy(train: Table, test: Table, target: str, synth: Table | None = None,
                seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """Scores on ``test`` of models trained on ``train`` (real) and on ``synth``.

    Returns ``{"target", "task", "metric", "real", "synthetic", "positive"}``; ``synthetic``
    is NaN (with ``"note"``) when the synthetic rows cannot train a model (one class only).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score

    if target not in train.columns:
        raise ConfigError(f"target {target!r} is not a column; columns: {', '.join(train.names)}")
    features = _Features(train, target)
    kind = train.types[target]
    # a number is regressed; an integer with few distinct values is a class label
    regression = kind in ("numeric", "datetime") or (
        kind == "integer" and len(np.unique(train.columns[target])) > 20
    )
    out: dict[str, Any] = {"target": target, "task": "regression" if regression else
                           "classification"}  # fmt: skip
    y_train = _labels(train.columns[target])
    labels, counts = np.unique(y_train[~_absent(y_train)], return_counts=True)
    if regression:
        out["metric"] = "r2"
    elif len(labels) == 2:
        positive = labels[np.argmin(counts)]
        positive = positive.item() if isinstance(positive, np.generic) else positive
        out["positive"] = positive
        out["metric"] = f"f1 ({positive:g})" if isinstance(positive, float) else f"f1 ({positive})"
    else:
        out["metric"] = "f1_macro"

    def score(fit_on: Table) -> float:
        y = _labels(fit_on.columns[target])
        keep = ~_absent(y)
        x = features(fit_on)[keep]
        y = y[keep]
        yt = _labels(test.columns[target])
        kt = ~_absent(yt)
        xt, yt = features(test)[kt], yt[kt]
        kind = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
        model = kind(categorical_features=np.array(features.categorical), random_state=seed)
        model.fit(x, y.astype(np.float64) if regression else y)
        pred = model.predict(xt)
        if regression:
            return float(r2_score(yt.astype(np.float64), pred))
        if "positive" in out:
            return float(f1_score(yt, pred, pos_label=out["positive"], zero_division=0))
        return float(f1_score(yt, pred, average="macro", zero_division=0))

    out["real"] = score(train)
    if synth is not None:
        y = _labels(synth.columns[target])
        if not regression and len(np.unique(y[~_absent(y)])) < 2:
            out["synthetic"], out["note"] = float("nan"), "the synthetic target has one class"
        else:
            out["synthetic"] = score(synth)
    return out


def _labels(col: np.ndarray) -> np.ndarray:
    if col.dtype == object:
        return np.array(["" if v is None else str(v) for v in col], dtype=object)
    return col


def _absent(y: np.ndarray) -> np.ndarray:
    return (y == "") if y.dtype == object else np.isnan(y)
