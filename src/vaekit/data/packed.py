"""Binary images kept as packed bits: 8 pixels per byte, unpacked one batch at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

#: bit weights of one byte, most significant first (``numpy.packbits`` order)
_BITS = torch.tensor([128, 64, 32, 16, 8, 4, 2, 1], dtype=torch.uint8)


class PackedImages:
    """Read-only array of binary images stored as packed bits.

    Behaves like a NumPy array of ``float32`` of shape ``(N, *item_shape)`` for indexing
    (``x[rows]`` returns the unpacked images), so the generic batching code can read it,
    while :meth:`rows` unpacks a batch directly on the device where the bits live: the
    training loop keeps the whole packed array on the training device (dSprites: 377 MB
    instead of 12 GB of floats) and unpacks each batch there.

    Parameters
    ----------
    bits
        ``(N, ceil(prod(item_shape) / 8))`` uint8 array or tensor, rows as written by
        ``numpy.packbits(images.reshape(N, -1), axis=1)``.
    item_shape
        Shape of one image, e.g. ``(1, 64, 64)``.
    """

    #: every value is 0 or 1 (lets data checks skip a scan of the unpacked values)
    value_range = (0.0, 1.0)
    dtype = np.dtype(np.float32)

    def __init__(self, bits: np.ndarray | torch.Tensor, item_shape: Sequence[int]) -> None:
        self.item_shape = tuple(int(s) for s in item_shape)
        self.pixels = math.prod(self.item_shape)
        t = torch.as_tensor(np.asarray(bits)) if not isinstance(bits, torch.Tensor) else bits
        if t.dtype != torch.uint8 or t.dim() != 2 or t.shape[1] != (self.pixels + 7) // 8:
            raise ValueError(
                f"packed bits must be (N, {(self.pixels + 7) // 8}) uint8 for images of shape "
                f"{self.item_shape}; got {tuple(t.shape)} {t.dtype}"
            )
        self.bits = t

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self.bits.shape[0]), *self.item_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self.item_shape)

    def __len__(self) -> int:
        return int(self.bits.shape[0])

    def to(self, device: torch.device | str) -> PackedImages:
        """The same images with their bits on ``device``."""
        return PackedImages(self.bits.to(device), self.item_shape)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """Unpack rows ``index`` (a 1-D int64 tensor on the bits' device) to
        ``(len(index), *item_shape)`` float32 on that device."""
        packed = self.bits.index_select(0, index)  # (B, P / 8)
        unpacked = (packed.unsqueeze(-1) & _BITS.to(packed.device)) != 0  # (B, P / 8, 8)
        flat = unpacked.flatten(1)[:, : self.pixels]
        return flat.to(torch.float32).view(len(index), *self.item_shape)

    def __getitem__(self, key: int | slice | np.ndarray | Sequence[int]) -> np.ndarray:
        n = len(self)
        if isinstance(key, (int, np.integer)):
            return self[np.array([int(key)])][0]
        if isinstance(key, slice):
            idx = np.arange(n)[key]
        else:
            idx = np.asarray(key, dtype=np.int64).reshape(-1)
            if idx.size and (idx.min() < -n or idx.max() >= n):
                raise IndexError(f"row index out of range for {n} images")
            idx = np.where(idx < 0, idx + n, idx)
        rows = torch.from_numpy(idx).to(self.bits.device)
        return self.rows(rows).cpu().numpy()

    def __array__(self, dtype: np.dtype | None = None, copy: bool | None = None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)
