"""Batch sizes and shards: the arithmetic every batch iterator shares.

The bottom of :mod:`vaekit.data`: it imports nothing else from the package, so array,
packed, sparse and token batching can all build on it.
"""

from __future__ import annotations


def shard_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of a batch of ``n`` that process ``rank`` of ``world`` takes.

    Contiguous slices whose sizes differ by at most one (as ``torch.tensor_split``).
    """
    base, extra = divmod(n, world)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def global_batches(n: int, batch_size: int, world: int = 1) -> list[int]:
    """Sizes of an epoch's global batches; with ``world`` processes a last batch smaller
    than ``world`` is dropped (some process would get no rows)."""
    sizes = [min(batch_size, n - i) for i in range(0, n, batch_size)]
    return [b for b in sizes if b >= world] if world > 1 else sizes
