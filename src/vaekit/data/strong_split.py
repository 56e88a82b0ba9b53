"""The strong-generalization split of Liang et al. (2018) for recommendation.

Users are split into training, validation and test users; models train on the whole
history of the training users; each validation and test user's items are split into a
fold-in part (80%, given to the model) and a held-out part (20%, to be ranked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaekit.data.interactions import ClickMatrix
from vaekit.errors import DataError


@dataclass
class StrongSplit:
    """Row indices of each role into the click matrix, and the held-out clicks.

    Attributes
    ----------
    clicks
        The users x items matrix restricted to the items of the training users (CSR).
    users, items
        Ids of its rows and columns.
    train_rows, val_rows, test_rows
        Rows of the training, validation and test users (``int64`` arrays).
    val_heldout, test_heldout
        CSR ``(len(val_rows), I)`` and ``(len(test_rows), I)``: the clicks to rank; the rest
        of those users' clicks is their fold-in.
    """

    clicks: object
    users: np.ndarray
    items: np.ndarray
    train_rows: np.ndarray
    val_rows: np.ndarray
    test_rows: np.ndarray
    val_heldout: object
    test_heldout: object

    @property
    def train(self) -> object:
        """The training users' clicks (CSR)."""
        return self.clicks[self.train_rows]  # type: ignore[index]

    def fold_in(self, role: str) -> object:
        """The fold-in clicks of ``val`` or ``test`` users (CSR)."""
        rows, heldout = self._role(role)
        full = self.clicks[rows]  # type: ignore[index]
        return (full - full.multiply(heldout)).tocsr()  # type: ignore[attr-defined]

    def heldout(self, role: str) -> object:
        """The held-out clicks of ``val`` or ``test`` users (CSR)."""
        return self._role(role)[1]

    def _role(self, role: str) -> tuple[np.ndarray, object]:
        if role == "val":
            return self.val_rows, self.val_heldout
        if role == "test":
            return self.test_rows, self.test_heldout
        raise DataError(f"unknown evaluation users {role!r}; choose val or test")


def strong_split(
    data: ClickMatrix,
    heldout_users: int | None = None,
    heldout_fraction: float = 0.2,
    seed: int = 98765,
) -> StrongSplit:
    """Split users as Liang et al.'s notebook does.

    The users (sorted by id) are permuted with ``numpy.random.RandomState(seed)``; the last
    ``2 * heldout_users`` become validation then test users. The items are those the
    training users clicked (held-out users' other clicks are dropped). Each held-out user
    with at least 5 remaining items has ``int(heldout_fraction * n)`` of them, drawn without
    replacement by a ``RandomState(seed)`` restarted for each of the two groups, held out;
    a user with fewer keeps all as fold-in and is left out of the metrics.

    Parameters
    ----------
    heldout_users
        Validation users, and as many test users (default: 10% of the users each).
    """
    from scipy import sparse

    n_users = len(data.users)
    h = max(1, round(0.1 * n_users)) if heldout_users is None else int(heldout_users)
    if h < 1 or n_users - 2 * h < 1:
        raise DataError(f"{n_users} users cannot give {h} validation and {h} test users and "
                        "still leave training users")  # fmt: skip
    if not 0 < heldout_fraction < 1:
        raise DataError(f"heldout_fraction must be in (0, 1), got {heldout_fraction}")
    perm = np.random.RandomState(seed).permutation(n_users)
    train_u = np.sort(perm[: n_users - 2 * h])
    val_u, test_u = np.sort(perm[n_users - 2 * h : n_users - h]), np.sort(perm[n_users - h :])
    m = data.matrix.tocsr()  # type: ignore[attr-defined]
    seen = np.flatnonzero(np.asarray(m[train_u].sum(0)).ravel() > 0)  # items of training users
    clicks = m[:, seen].tocsr()
    clicks.sort_indices()

    def heldout_of(rows: np.ndarray) -> object:
        rng = np.random.RandomState(seed)
        r_idx, c_idx = [], []
        for j, row in enumerate(rows):
            cols = clicks.indices[clicks.indptr[row] : clicks.indptr[row + 1]]
            n = len(cols)
            if n >= 5:
                pick = rng.choice(n, size=int(heldout_fraction * n), replace=False)
                c_idx.append(cols[np.sort(pick)])
                r_idx.append(np.full(len(pick), j))
        r = np.concatenate(r_idx) if r_idx else np.zeros(0, np.int64)
        c = np.concatenate(c_idx) if c_idx else np.zeros(0, np.int64)
        out = sparse.csr_matrix((np.ones(len(r), np.float32), (r, c)),
                                shape=(len(rows), clicks.shape[1]))  # fmt: skip
        out.sort_indices()
        return out

    return StrongSplit(clicks, data.users, data.items[seen], train_u.astype(np.int64),
                       val_u.astype(np.int64), test_u.astype(np.int64), heldout_of(val_u),
                       heldout_of(test_u))  # fmt: skip
