"""Standard-normal noise that stays the same when a batch is split across processes.

Under data-parallel training each process sees a slice ``[start, stop)`` of the global
batch. Inside :func:`batch_shard`, :func:`standard_normal` draws the noise for the whole
global batch and returns the process's rows, so every example gets exactly the noise it
would get in a single process with the same seed: DDP training then matches
single-process training step for step. Drawing the extra rows costs little next to the
network; outside the context the noise is an ordinary ``torch.randn``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import torch

_SHARD: ContextVar[tuple[int, int, int] | None] = ContextVar("vaekit_batch_shard", default=None)


@contextmanager
def batch_shard(start: int, stop: int, total: int) -> Iterator[None]:
    """Within the block, batches hold rows ``[start, stop)`` of a global batch of ``total``."""
    if not 0 <= start <= stop <= total:
        raise ValueError(f"bad shard [{start}, {stop}) of {total}")
    token = _SHARD.set((start, stop, total))
    try:
        yield
    finally:
        _SHARD.reset(token)


def _sharded(
    draw: Callable[..., torch.Tensor], shape: Sequence[int], dtype: torch.dtype,
    device: torch.device | str,
) -> torch.Tensor:  # fmt: skip
    shard = _SHARD.get()
    shape = tuple(shape)
    if shard is None or len(shape) < 2 or shape[-2] != shard[1] - shard[0]:
        return draw(shape, dtype=dtype, device=device)
    start, stop, total = shard
    if stop - start == total:
        return draw(shape, dtype=dtype, device=device)
    full = draw((*shape[:-2], total, shape[-1]), dtype=dtype, device=device)
    return full.narrow(-2, start, stop - start)


def uniform(shape: Sequence[int], dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """``U[0, 1)`` noise of ``shape`` ``(..., B, T)``, sharded as :func:`standard_normal`
    (word dropout: every example gets the draws it would get in one process)."""
    return _sharded(torch.rand, shape, dtype, device)


def standard_normal(
    shape: Sequence[int], dtype: torch.dtype, device: torch.device | str
) -> torch.Tensor:
    """``N(0, I)`` noise of ``shape`` ``(..., B, D)``, the batch on the second-last axis.

    Inside :func:`batch_shard` with ``B`` equal to the shard's size, the noise is rows
    ``[start, stop)`` of the global batch's noise.
    """
    return _sharded(torch.randn, shape, dtype, device)
