"""Token sequences in batches: length-bucketed, each padded to its own longest row.

A split of sequences is a :class:`~vaekit.text.encoding.TokenSequences` (made by
:func:`~vaekit.text.encoding.encode_lines`; both are importable from here too): every
sequence's token ids (ending in ``<eos>``) concatenated into one flat tensor, with offsets.
It lives on the training device; a batch gathers its rows there and pads them to the
batch's own longest sequence (``<pad>`` is id 0), never to the data's maximum. Training
batches are length-bucketed: each epoch's permutation is cut into pools of
:data:`POOL_BATCHES` batches, each pool is sorted by length and cut into batches, and the
batches are visited in random order, so the rows of a batch have nearly equal lengths.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from vaekit.data.sharding import global_batches, shard_bounds
from vaekit.text.encoding import TokenSequences, encode_lines

__all__ = ["POOL_BATCHES", "TokenSequences", "encode_lines", "sequence_batches"]

#: batches per length-sorting pool (larger: less padding, less randomness in batch makeup)
POOL_BATCHES = 50


def sequence_batches(
    seqs: TokenSequences,
    batch_size: int,
    *,
    shuffle: bool = False,
    device: torch.device | str = "cpu",
    shard: tuple[int, int] | None = None,
) -> Iterator[tuple[torch.Tensor, None]]:
    """Yield ``((B, T) ids, None)`` batches on ``device``.

    With ``shuffle`` the batches are length-bucketed (see the module) and drawn with
    torch's global generator (reproducible runs, exact resume); the batch sizes are those
    of :func:`~vaekit.data.sharding.global_batches`, the short batch last. Without it the
    rows come in their stored order. ``shard=(rank, world)`` yields this process's rows of
    each global batch, as for arrays.
    """
    device = torch.device(device)
    seqs = seqs.to(device)
    n = len(seqs)
    rank, world = shard if shard is not None else (0, 1)
    sizes = global_batches(n, batch_size, world)
    n_full = n // batch_size
    if shuffle:
        perm = torch.randperm(n, device=device)
        lengths = seqs.lengths.index_select(0, perm)
        pool = POOL_BATCHES * batch_size
        order = torch.cat([
            perm[i : i + pool][torch.argsort(lengths[i : i + pool], stable=True)]
            for i in range(0, n, pool)
        ])  # fmt: skip
        batch_order = torch.randperm(n_full).tolist()
    else:
        order = torch.arange(n, device=device)
        batch_order = list(range(n_full))
    starts = [b * batch_size for b in batch_order] + (
        [n_full * batch_size] if n % batch_size else []
    )
    for start, size in zip(starts, sizes, strict=False):
        if world == 1:
            yield seqs.batch(order[start : start + size]), None
            continue
        # every process pads its rows to the global batch's longest, so that the batch's
        # noise (word dropout) is drawn for the same shape everywhere
        rows = order[start : start + size]
        width = int(seqs.lengths.index_select(0, rows).max())
        lo, hi = shard_bounds(size, rank, world)
        yield seqs.batch(rows[lo:hi], width), None
