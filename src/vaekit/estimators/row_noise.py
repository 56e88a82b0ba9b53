"""Random draws that a row's result does not share with the other rows it comes with.

An estimator's scores and imputations are Monte Carlo estimates. Drawn per call, a row's
result would change with the rows it is passed with and their order. Here every row uses
the same draws, fixed by the seed alone (common random numbers): a row gets the same result
in any company, results change smoothly with the input (a row read as float32 or float64
scores alike), and differences between rows carry less Monte Carlo noise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def shared_normal(
    seed: int, k: int, dim: int, dtype: torch.dtype, device: torch.device | str
) -> torch.Tensor:
    """``N(0, I)`` noise ``(k, 1, dim)`` from ``seed`` alone, to broadcast over a batch's rows
    (drawn on the CPU: the same numbers on every device)."""
    gen = torch.Generator().manual_seed(int(seed))
    eps = torch.randn((k, 1, dim), generator=gen, dtype=torch.float32)
    return eps.to(device=device, dtype=dtype)


@contextlib.contextmanager
def own_rng(device: torch.device) -> Iterator[None]:
    """Draws inside leave torch's global random state (CPU and ``device``) as it was."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        yield
