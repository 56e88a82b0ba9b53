"""Rows of a sparse matrix (users x items interactions), densified one batch at a time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from vaekit.errors import DataError


class SparseRows:
    """Read-only CSR matrix whose rows become dense ``float32`` only per batch.

    The training loop keeps the three CSR arrays on the training device and
    :meth:`rows` builds a dense ``(B, n_cols)`` batch there with a handful of tensor ops, so
    a users x items matrix is never dense beyond one batch. Indexing (``x[rows]``) returns
    dense NumPy rows, like :class:`~vaekit.data.packed.PackedImages`, so the generic
    batching code can read it.

    Parameters
    ----------
    indptr, indices, values
        The CSR arrays (``scipy.sparse.csr_matrix``'s ``indptr``, ``indices``, ``data``);
        ``values=None`` means every stored entry is 1.
    n_cols
        Number of columns (items).
    """

    def __init__(
        self,
        indptr: np.ndarray | torch.Tensor,
        indices: np.ndarray | torch.Tensor,
        values: np.ndarray | torch.Tensor | None,
        n_cols: int,
    ) -> None:
        self.indptr = torch.as_tensor(np.asarray(indptr) if not isinstance(indptr, torch.Tensor)
                                      else indptr).long()  # fmt: skip
        self.indices = torch.as_tensor(np.asarray(indices) if not isinstance(
            indices, torch.Tensor) else indices).long()  # fmt: skip
        self.values = None if values is None else torch.as_tensor(
            np.asarray(values, dtype=np.float32) if not isinstance(values, torch.Tensor)
            else values).float()  # fmt: skip
        self.n_cols = int(n_cols)
        n_nz = int(self.indptr[-1]) if len(self.indptr) else 0
        if self.indptr.dim() != 1 or len(self.indptr) < 1 or len(self.indices) != n_nz:
            raise DataError("bad CSR arrays: indptr must have n_rows + 1 entries ending at "
                            "len(indices)")  # fmt: skip
        if n_nz and (int(self.indices.min()) < 0 or int(self.indices.max()) >= self.n_cols):
            raise DataError(f"CSR column indices must be in [0, {self.n_cols})")

    @classmethod
    def from_scipy(cls, matrix: object) -> SparseRows:
        """From a ``scipy.sparse`` matrix (any format; binary matrices store no values)."""
        m = matrix.tocsr()  # type: ignore[attr-defined]
        m.sort_indices()
        data = np.asarray(m.data, dtype=np.float32)
        values = None if data.size == 0 or bool(np.all(data == 1)) else data
        return cls(m.indptr.astype(np.int64), m.indices.astype(np.int64), values, m.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.indptr) - 1, self.n_cols)

    @property
    def ndim(self) -> int:
        return 2

    dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @property
    def device(self) -> torch.device:
        return self.indptr.device

    def to(self, device: torch.device | str) -> SparseRows:
        """The same matrix with its arrays on ``device``."""
        values = None if self.values is None else self.values.to(device)
        return SparseRows(self.indptr.to(device), self.indices.to(device), values, self.n_cols)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """Rows ``index`` (1-D int64 on the arrays' device) as dense ``(B, n_cols)`` float32."""
        starts = self.indptr.index_select(0, index)  # (B,)
        counts = self.indptr.index_select(0, index + 1) - starts  # (B,)
        out = torch.zeros(len(index), self.n_cols, device=self.indptr.device)
        total = int(counts.sum())
        if total == 0:
            return out
        row_of = torch.repeat_interleave(torch.arange(len(index), device=out.device), counts,
                                         output_size=total)  # (nnz_batch,)  # fmt: skip
        first = torch.cumsum(counts, 0) - counts  # (B,) offset of each row in the batch
        pos = torch.arange(total, device=out.device) - first.index_select(0, row_of)
        pos = pos + starts.index_select(0, row_of)  # (nnz_batch,) positions in indices
        cols = self.indices.index_select(0, pos)
        vals = 1.0 if self.values is None else self.values.index_select(0, pos)
        out[row_of, cols] = vals
        return out

    def __getitem__(self, key: int | slice | np.ndarray | Sequence[int]) -> np.ndarray:
        n = len(self)
        if isinstance(key, (int, np.integer)):
            return self[np.array([int(key)])][0]
        idx = np.arange(n)[key] if isinstance(key, slice) else np.asarray(key, np.int64).ravel()
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"row index out of range for {n} rows")
        idx = np.where(idx < 0, idx + n, idx)
        return self.rows(torch.from_numpy(idx).to(self.device)).cpu().numpy()

    def to_scipy(self) -> object:
        """The matrix as ``scipy.sparse.csr_matrix`` (float32)."""
        from scipy import sparse

        nnz = len(self.indices)
        data = np.ones(nnz, np.float32) if self.values is None else self.values.cpu().numpy()
        return sparse.csr_matrix((data, self.indices.cpu().numpy(), self.indptr.cpu().numpy()),
                                 shape=self.shape)  # fmt: skip
