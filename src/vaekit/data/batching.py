"""Batches for training and evaluation.

Data that fits in memory lives as one tensor on the training device; a batch is an index
slice of a per-epoch permutation (no per-item Python). Memory-mapped data is read one batch
at a time through a :class:`torch.utils.data.DataLoader`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, SequentialSampler

from vaekit.data.base import Split

Batch = tuple[torch.Tensor, torch.Tensor | None]


class _RowBatches(Dataset):
    """Maps a list of row positions to one batch read from a memory-mapped array."""

    def __init__(self, split: Split) -> None:
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, positions: list[int]) -> Batch:
        rows = self.split.indices[np.asarray(positions)]
        order = np.argsort(rows)  # sorted reads are sequential on disk
        x = np.empty((len(rows), *self.split.x.shape[1:]), dtype=np.float32)
        x[order] = self.split.x[rows[order]]
        y = None if self.split.y is None else self.split.y[torch.as_tensor(positions)]
        return torch.from_numpy(x), y


def _collate(batch: Batch) -> Batch:
    return batch


def iterate_batches(
    split: Split,
    batch_size: int,
    *,
    shuffle: bool = False,
    device: torch.device | str = "cpu",
    dynamic_binarize: bool = False,
    mean: torch.Tensor | None = None,
    std: torch.Tensor | None = None,
    num_workers: int = 0,
) -> Iterator[Batch]:
    """Yield ``(x, y)`` batches on ``device``.

    Parameters
    ----------
    shuffle
        Draw a fresh permutation (from torch's global generator, so runs are reproducible).
    dynamic_binarize
        Replace each batch by a Bernoulli draw from its grey levels.
    mean, std
        Standardization applied per batch to memory-mapped data.
    """
    n = len(split)
    device = torch.device(device)
    if split.in_memory:
        x_all = split.x.to(device)
        y_all = None if split.y is None else split.y.to(device)
        perm = torch.randperm(n, device=device) if shuffle else None
        for i in range(0, n, batch_size):
            if perm is None:
                x = x_all[i : i + batch_size]
                y = None if y_all is None else y_all[i : i + batch_size]
            else:
                idx = perm[i : i + batch_size]
                x = x_all.index_select(0, idx)  # (B, *shape)
                y = None if y_all is None else y_all.index_select(0, idx)
            yield (torch.bernoulli(x) if dynamic_binarize else x), y
        return
    positions = torch.randperm(n).tolist() if shuffle else SequentialSampler(range(n))
    loader = DataLoader(
        _RowBatches(split),
        sampler=BatchSampler(positions, batch_size, drop_last=False),
        batch_size=None,
        collate_fn=_collate,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
    )
    for x, y in loader:
        x = x.to(device, non_blocking=True)
        if mean is not None and std is not None:
            x = (x - mean.to(device)) / std.to(device)
        if dynamic_binarize:
            x = torch.bernoulli(x)
        yield x, None if y is None else y.to(device, non_blocking=True)
