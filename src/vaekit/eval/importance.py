"""Log-likelihood by importance sampling: the bound L_k over a split, under a memory cap."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from vaekit.data import iterate_batches
from vaekit.data.base import Split
from vaekit.eval.memory import MemoryReleaser, floats_per_sample
from vaekit.eval.mode import eval_mode
from vaekit.models import BaseModel


def plan_chunks(k: int, floats: int, memory_mb: float) -> tuple[int, int]:
    """Examples per batch and samples per chunk so that one chunk stays under ``memory_mb``.

    ``floats`` is what decoding one sample holds (:func:`floats_per_sample`); a chunk of
    ``rows`` decoded samples then needs ``rows * floats * 4`` bytes.
    """
    rows = max(1, int(memory_mb * 2**20 / (floats * 4)))
    samples = min(k, rows)
    return max(1, rows // samples), samples


@torch.no_grad()
def iw_log_likelihood(
    model: BaseModel,
    split: Split,
    k: int = 5000,
    memory_mb: float = 512.0,
    device: torch.device | str | None = None,
    seed: int = 0,
    mean: torch.Tensor | None = None,
    std: torch.Tensor | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """``L_k`` per example of ``split``: ``(N,)`` nats (``-L_k`` estimates the NLL).

    For each batch the encoder runs once; the ``k`` samples are drawn in chunks sized from
    the decoder's measured activations and combined with a running log-sum-exp, and freed
    memory is handed back between batches, so the peak stays within about 1.5x
    ``memory_mb`` above the model and data, for any ``k``.
    Samples come from a generator seeded with ``seed``; the caller's random state is kept.
    ``on_batch(n)`` is called after each batch of ``n`` examples (for progress bars).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    device = torch.device(device) if device is not None else model.device
    per_batch, per_chunk = plan_chunks(k, floats_per_sample(model), memory_mb)
    # every batch holds at least one budget-sized chunk of work, so trimming after each
    # costs little; spacing the trims let fragmentation reach 1.5x the budget (measured)
    release = MemoryReleaser(interval=0.0)
    out = []
    cuda = [device.index or 0] if device.type == "cuda" else []
    with eval_mode(model), torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        for x, y in iterate_batches(split, per_batch, device=device, mean=mean, std=std):
            q = model.encode(x, y)
            lse = torch.full((x.shape[0],), -math.inf, device=device, dtype=torch.float64)
            done = 0
            while done < k:
                n = min(per_chunk, k - done)
                log_w = model.log_weights(x, y, n, q).double()  # (n, B)
                lse = torch.logaddexp(lse, torch.logsumexp(log_w, dim=0))
                done += n
            out.append(lse - math.log(k))
            del q, log_w
            release()
            if on_batch is not None:
                on_batch(x.shape[0])
    release(force=True)
    return torch.cat(out).cpu()
