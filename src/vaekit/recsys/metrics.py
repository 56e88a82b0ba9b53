"""Ranking metrics of Liang et al. (2018): NDCG@k and Recall@k for binary relevance.

Both take the scores of every item for every user and the held-out items, and return
one value per user. Items to exclude from the ranking (a user's fold-in items) must carry
``-inf`` scores; :func:`mask_seen` does that. Ties are broken by the item index (lower
first), so results are deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vaekit.errors import DataError

#: rows ranked at a time (bounds the temporaries of the selection to ROW_CHUNK x I)
ROW_CHUNK = 2048


def _as_scores(scores: Any) -> np.ndarray:
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().float().cpu().numpy()
    s = np.asarray(scores)
    if s.ndim != 2:
        raise DataError(f"scores must be a (users, items) array, got shape {s.shape}")
    if not np.issubdtype(s.dtype, np.floating):
        s = s.astype(np.float64)
    if np.isnan(s).any():
        raise DataError("scores hold NaN; mask excluded items with -inf, not NaN")
    return s


def _as_heldout(heldout: Any, shape: tuple[int, int]) -> Any:
    from scipy import sparse

    if isinstance(heldout, torch.Tensor):
        heldout = heldout.detach().cpu().numpy()
    h = sparse.csr_matrix(heldout) if not sparse.issparse(heldout) else heldout.tocsr()
    if h.shape != shape:
        raise DataError(f"heldout has shape {h.shape}, scores {shape}: one row per user and "
                        "one column per item in both")  # fmt: skip
    h = h.copy()
    h.eliminate_zeros()
    if h.nnz and ((h.data != 1).any()):
        if (h.data < 0).any() or not np.isfinite(h.data).all():
            raise DataError("heldout must be binary (0/1 or True/False)")
        h.data = np.ones_like(h.data)  # any positive value means relevant
    return h


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores per row, best first, ties by lower index.

    A partial selection finds each row's k-th largest score; every item above it is in the
    top k, and of the items equal to it, those with the lowest indices fill the rest. Only
    the ``k`` chosen items are then sorted: ``O(U I + U k log k)``.
    """
    out = np.empty((scores.shape[0], k), dtype=np.int64)
    for lo in range(0, scores.shape[0], ROW_CHUNK):
        block = scores[lo : lo + ROW_CHUNK]  # (b, I)
        if k == block.shape[1]:
            chosen = np.broadcast_to(np.arange(k), (block.shape[0], k))
        else:
            part = np.argpartition(-block, k - 1, axis=1)[:, :k]
            kth = np.take_along_axis(block, part, axis=1).min(1, keepdims=True)  # (b, 1)
            above = block > kth
            ties = block == kth
            room = k - above.sum(1, keepdims=True)  # tied items that fit, per row
            keep = above | (ties & (np.cumsum(ties, axis=1) <= room))  # exactly k per row
            chosen = np.nonzero(keep)[1].reshape(block.shape[0], k)  # in index order
        vals = np.take_along_axis(block, chosen, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")  # ties keep index order
        out[lo : lo + ROW_CHUNK] = np.take_along_axis(chosen, order, axis=1)
    return out


def _check_k(k: int, n_items: int) -> int:
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise DataError(f"k must be a positive integer, got {k!r}")
    return min(int(k), n_items)


def _hits(scores: Any, heldout: Any, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    s = _as_scores(scores)
    k = _check_k(k, s.shape[1])
    h = _as_heldout(heldout, s.shape)
    top = _top_k(s, k)  # (U, k)
    rel = np.asarray(h[np.arange(s.shape[0])[:, None], top].todense()) > 0  # (U, k)
    # an item scored -inf (excluded) is never a hit, even when ranked for lack of others
    rel &= np.take_along_axis(s, top, axis=1) > -np.inf
    n_rel = np.diff(h.indptr)  # (U,)
    return rel, n_rel, k


def ndcg_at_k(scores: Any, heldout: Any, k: int = 100) -> np.ndarray:
    """Normalized discounted cumulative gain at ``k`` per user.

    ``DCG = sum_{r<=k} rel_r / log2(r + 1)`` over the top ``k`` items;
    ``IDCG = sum_{r <= min(k, |held-out|)} 1 / log2(r + 1)`` (Liang et al.'s
    ``NDCG_binary_at_k_batch``).

    Parameters
    ----------
    scores
        ``(U, I)`` float array (NumPy or torch); excluded items at ``-inf``.
    heldout
        ``(U, I)`` binary array or ``scipy.sparse`` matrix of relevant items.
    k
        Cut-off (an int >= 1; ``k > I`` counts as ``I``).

    Returns
    -------
    numpy.ndarray
        ``(U,)`` float64; NaN for a user with no held-out item.
    """
    rel, n_rel, k = _hits(scores, heldout, k)
    discount = 1.0 / np.log2(np.arange(2, k + 2))  # (k,)
    dcg = (rel * discount).sum(1)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_rel, k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, dcg / np.where(ideal > 0, ideal, 1), np.nan)


def recall_at_k(scores: Any, heldout: Any, k: int = 20) -> np.ndarray:
    """Recall at ``k`` per user: held-out items in the top ``k``, divided by
    ``min(k, |held-out|)`` (Liang et al.'s ``Recall_at_k_batch``), so that 1 is reachable.

    Parameters and return value as :func:`ndcg_at_k`.
    """
    rel, n_rel, k = _hits(scores, heldout, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, rel.sum(1) / np.maximum(np.minimum(n_rel, k), 1), np.nan)


def mask_seen(scores: np.ndarray, seen: Any) -> np.ndarray:
    """``scores`` ``(U, I)`` with every item of ``seen`` (``(U, I)`` sparse or dense,
    nonzero = seen) set to ``-inf``, in place; returns it."""
    from scipy import sparse

    m = sparse.csr_matrix(seen) if not sparse.issparse(seen) else seen.tocsr()
    if m.shape != scores.shape:
        raise DataError(f"seen has shape {m.shape}, scores {scores.shape}")
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    scores[rows, m.indices] = -np.inf
    return scores
