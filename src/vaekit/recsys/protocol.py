"""Scores for users from their fold-in clicks, and the paper's metrics over a split."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from vaekit.data.sparse_rows import SparseRows
from vaekit.data.strong_split import StrongSplit
from vaekit.errors import ConfigError
from vaekit.recsys.metrics import mask_seen, ndcg_at_k, recall_at_k

#: the paper's metrics: name -> (function, k)
METRICS = {"ndcg@100": (ndcg_at_k, 100), "recall@20": (recall_at_k, 20),
           "recall@50": (recall_at_k, 50)}  # fmt: skip
ScoreFn = Callable[[Any], np.ndarray]


@torch.no_grad()
def model_scores(model: Any, clicks: Any, batch_size: int = 2000) -> np.ndarray:
    """``model.scores`` of every row of ``clicks`` (a scipy CSR ``(U, I)``), densified one
    batch at a time on the model's device: ``(U, I)`` float32."""
    rows = SparseRows.from_scipy(clicks).to(model.device)
    out = np.empty(clicks.shape, dtype=np.float32)
    for lo in range(0, clicks.shape[0], batch_size):
        idx = torch.arange(lo, min(lo + batch_size, clicks.shape[0]), device=model.device)
        out[lo : lo + len(idx)] = model.scores(rows.rows(idx)).cpu().numpy()
    return out


def evaluate_users(
    score: ScoreFn,
    split: StrongSplit,
    role: str = "test",
    batch: int = 2000,
    metrics: Sequence[str] = tuple(METRICS),
) -> dict[str, Any]:
    """The paper's metrics on the ``val`` or ``test`` users of ``split``.

    ``score(fold_in)`` gives ``(U, I)`` scores; fold-in items are set to ``-inf`` before
    ranking. Users without held-out items (fewer than 5 clicks) are left out. Scores exist
    for ``batch`` users at a time only.

    Returns
    -------
    dict
        For each metric its mean and standard error over users (``ndcg@100``,
        ``ndcg@100_se``, ...), and ``users``, the number of users counted.
    """
    fold_in, heldout = split.fold_in(role), split.heldout(role)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ConfigError(f"unknown metric(s) {', '.join(unknown)}; choose from "
                          f"{', '.join(METRICS)}")  # fmt: skip
    per_user: dict[str, list[np.ndarray]] = {name: [] for name in metrics}
    for lo in range(0, fold_in.shape[0], batch):  # type: ignore[attr-defined]
        x = fold_in[lo : lo + batch]  # type: ignore[index]
        h = heldout[lo : lo + batch]  # type: ignore[index]
        s = mask_seen(np.array(score(x), dtype=np.float32, copy=True), x)
        for name in metrics:
            fn, k = METRICS[name]
            per_user[name].append(fn(s, h, k))
    result: dict[str, Any] = {}
    for name, parts in per_user.items():
        v = np.concatenate(parts)
        v = v[~np.isnan(v)]
        result[name] = float(v.mean()) if len(v) else float("nan")
        result[f"{name}_se"] = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0
        result["users"] = int(len(v))
    return result
