"""Random draws that belong to a row: the same row gets the same draws whatever other rows
it is scored or imputed with, and in whatever order.

Each row gets a 64-bit key from the seed and its content (:func:`row_keys`); its draws are
the SplitMix64 stream of that key (a counter-based generator: the ``c``-th number is a
hash of ``key + c``), so every row's noise is computed at once, without a generator per row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a uint64 array (wrapping arithmetic)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def row_keys(rows: np.ndarray, seed: int) -> np.ndarray:
    """A 64-bit key per row of ``rows`` ``(N, ...)`` from ``seed`` and the row's values:
    ``(N,)`` uint64. NaN (any payload) and -0.0 count as NaN and 0.0."""
    flat = np.ascontiguousarray(rows.reshape(len(rows), -1), dtype=np.float64) + 0.0
    flat[np.isnan(flat)] = np.nan
    bits = flat.view(np.uint64)  # (N, D)
    with np.errstate(over="ignore"):
        h = _mix(np.full(len(rows), np.uint64(seed % 2**64) + _GAMMA, dtype=np.uint64))
        for j in range(bits.shape[1]):
            h = _mix((h ^ bits[:, j]) + _GAMMA)
    return h


def _uniform(keys: np.ndarray, n: int) -> np.ndarray:
    """``(n, N)`` numbers in (0, 1): the first ``n`` of each key's stream."""
    counters = (np.arange(1, n + 1, dtype=np.uint64) * _GAMMA)[:, None]  # (n, 1)
    with np.errstate(over="ignore"):
        bits = _mix(keys[None, :] + counters)  # (n, N)
    return ((bits >> _S11).astype(np.float64) + 0.5) * 2.0**-53


def standard_normal(
    keys: np.ndarray, k: int, dim: int, dtype: torch.dtype, device: torch.device | str
) -> torch.Tensor:
    """``N(0, I)`` noise ``(k, N, dim)``: ``k`` draws of ``dim`` numbers for each key's row
    (Box-Muller on the key's stream)."""
    n = k * dim
    u = _uniform(keys, 2 * ((n + 1) // 2))  # (2m, N)
    half = u.shape[0] // 2
    r = np.sqrt(-2.0 * np.log(u[:half]))
    theta = 2.0 * np.pi * u[half:]
    z = np.concatenate([r * np.cos(theta), r * np.sin(theta)])[:n]  # (k * dim, N)
    z = z.reshape(k, dim, len(keys)).transpose(0, 2, 1)  # (k, N, dim)
    return torch.from_numpy(np.ascontiguousarray(z)).to(device=device, dtype=dtype)


def torch_seed(key: np.uint64 | int) -> int:
    """A row key as a seed for ``torch.manual_seed``."""
    return int(key) % 2**63


@contextlib.contextmanager
def own_rng(device: torch.device) -> Iterator[None]:
    """Draws inside leave torch's global random state (CPU and ``device``) as it was."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        yield
