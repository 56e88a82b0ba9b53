"""Batches for training and evaluation.

Data that fits in memory lives as one tensor on the training device (binary images as
packed bits, unpacked per batch on the device); a batch is an index slice of a per-epoch
permutation (no per-item Python). Memory-mapped data is read one batch
at a time through a :class:`torch.utils.data.DataLoader`. Token sequences are batched by
:mod:`vaekit.data.sequences`; the batch-size and shard arithmetic is
:mod:`vaekit.data.sharding` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from vaekit.data.base import Split
from vaekit.data.packed import PackedImages
from vaekit.data.sequences import TokenSequences, sequence_batches
from vaekit.data.sharding import global_batches, shard_bounds
from vaekit.data.sparse_rows import SparseRows

__all__ = ["Batch", "global_batches", "iterate_batches", "shard_bounds"]

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
    shard: tuple[int, int] | None = None,
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
    shard
        ``(rank, world)`` for data-parallel training: every process draws the same
        permutation (the same seed) and yields rows :func:`shard_bounds` of each global
        batch of ``batch_size``; dynamic binarization draws the whole global batch, so a
        process's rows are exactly those a single process would see.
    """
    if isinstance(split.x, TokenSequences):  # token ids: length-bucketed, padded per batch
        yield from sequence_batches(split.x, batch_size, shuffle=shuffle, device=device,
                                    shard=shard)  # fmt: skip
        return
    n = len(split)
    device = torch.device(device)
    rank, world = shard if shard is not None else (0, 1)
    # packed bits or sparse rows on the device, made dense per batch there
    packed = isinstance(split.x, (PackedImages, SparseRows))
    if split.in_memory or packed:
        if packed:
            images = split.x.to(device)
            rows_of = torch.as_tensor(
                split.indices if split.indices is not None else np.arange(len(split)),
                device=device,
            )

            def take(rows: torch.Tensor) -> torch.Tensor:
                return images.rows(rows_of.index_select(0, rows))
        else:
            x_all = split.x.to(device)

            def take(rows: torch.Tensor) -> torch.Tensor:
                return x_all.index_select(0, rows)

        y_all = None if split.y is None else split.y.to(device)
        perm = torch.randperm(n, device=device) if shuffle else None
        if perm is None and packed:
            perm = torch.arange(n, device=device)
        for i, b in zip(
            range(0, n, batch_size), global_batches(n, batch_size, world), strict=False
        ):
            lo, hi = shard_bounds(b, rank, world)
            if dynamic_binarize and world > 1:
                lo, hi, keep = 0, b, slice(lo, hi)  # binarize the global batch, then slice
            else:
                keep = slice(None)
            if perm is None:
                x = x_all[i + lo : i + hi]  # (B, *shape)
                y = None if y_all is None else y_all[i + lo : i + hi][keep]
            else:
                rows = perm[i + lo : i + hi]
                x = take(rows)
                y = None if y_all is None else y_all.index_select(0, rows)[keep]
            yield (torch.bernoulli(x) if dynamic_binarize else x)[keep], y
        return
    order = torch.randperm(n).tolist() if shuffle else list(range(n))
    positions = []
    for i, b in zip(range(0, n, batch_size), global_batches(n, batch_size, world), strict=False):
        lo, hi = shard_bounds(b, rank, world)
        positions.append(order[i + lo : i + hi])
    loader = DataLoader(
        _RowBatches(split),
        sampler=positions,
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
