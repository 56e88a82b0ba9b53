"""The baselines a VAE recommender must clear: item popularity and EASE (Steck 2019)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vaekit.errors import ConfigError, DataError

#: the EASE penalties tried on the validation users by default
EASE_LAMBDAS = (10.0, 30.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 3000.0)


def _csr(x: Any, n_items: int | None = None) -> Any:
    from scipy import sparse

    m = x.tocsr() if sparse.issparse(x) else sparse.csr_matrix(np.asarray(x, np.float32))
    if n_items is not None and m.shape[1] != n_items:
        raise DataError(f"expected {n_items} item columns, got {m.shape[1]}")
    return m


class Popularity:
    """Scores every item by the number of training users who clicked it (the same list
    for every user; the evaluation removes each user's fold-in items)."""

    name = "popularity"

    def fit(self, train: Any) -> Popularity:
        """``train``: ``(U, I)`` clicks (sparse or dense)."""
        m = _csr(train)
        self.counts_ = np.asarray((m > 0).sum(0), dtype=np.float32).ravel()  # (I,)
        return self

    def scores(self, fold_in: Any) -> np.ndarray:
        """``(U, I)`` scores for the users whose clicks are ``fold_in`` ``(U, I)``."""
        m = _csr(fold_in, len(self.counts_))
        return np.broadcast_to(self.counts_, m.shape).copy()

    def state(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts_}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.counts_ = np.asarray(state["counts"], np.float32)


class EASE:
    """Embarrassingly Shallow Autoencoder (Steck 2019): the closed-form item-item model.

    ``P = (X^T X + lambda I)^-1``, ``B = I - P diagMat(1 / diag(P))`` (so ``diag(B) = 0``);
    a user's scores are ``x_u B``. ``B`` is ``I x I`` dense: fine up to some 30,000 items.

    Parameters
    ----------
    lam
        The L2 penalty ``lambda``; :meth:`fit_select` picks it on validation users.
    """

    name = "ease"

    def __init__(self, lam: float = 300.0) -> None:
        if not lam > 0:
            raise ConfigError(f"EASE lambda must be > 0, got {lam}")
        self.lam = float(lam)

    def _gram(self, train: Any) -> np.ndarray:
        m = _csr(train)
        m = (m > 0).astype(np.float64)
        return np.asarray((m.T @ m).todense())  # (I, I)

    def fit(self, train: Any) -> EASE:
        """Fit on ``train`` ``(U, I)`` clicks with the current ``lam``."""
        self.weights_ = _ease_weights(self._gram(train), self.lam)
        return self

    def fit_select(
        self,
        train: Any,
        fold_in: Any,
        heldout: Any,
        lambdas: Sequence[float] = EASE_LAMBDAS,
        k: int = 100,
    ) -> dict[float, float]:
        """Fit for each ``lambda`` and keep the one with the best mean NDCG@``k`` on the
        validation users (``fold_in``, ``heldout``). Returns ``{lambda: NDCG}``."""
        from vaekit.recsys.metrics import mask_seen, ndcg_at_k

        if not lambdas:
            raise ConfigError("give at least one EASE lambda")
        gram = self._gram(train)
        x = _csr(fold_in, gram.shape[0])
        found: dict[float, float] = {}
        best = None
        for lam in lambdas:
            b = _ease_weights(gram, float(lam))
            s = mask_seen(np.asarray(x @ b), x)
            found[float(lam)] = float(np.nanmean(ndcg_at_k(s, heldout, k)))
            if best is None or found[float(lam)] > found[best[0]]:
                best = (float(lam), b)
        assert best is not None
        self.lam, self.weights_ = best
        return found

    def scores(self, fold_in: Any) -> np.ndarray:
        """``(U, I)`` scores ``x_u B`` for the users whose clicks are ``fold_in``."""
        m = _csr(fold_in, self.weights_.shape[0])
        return np.asarray(m @ self.weights_, dtype=np.float32)

    def state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights_.astype(np.float32), "lam": np.array([self.lam])}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.weights_ = np.asarray(state["weights"], np.float32)
        self.lam = float(np.asarray(state["lam"]).ravel()[0])


def _ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    """``B`` from the Gram matrix ``X^T X`` ``(I, I)`` and ``lambda``."""
    g = gram.copy()
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))  # column j divided by -P_jj
    b[np.diag_indices_from(b)] = 0.0
    return b.astype(np.float32)
