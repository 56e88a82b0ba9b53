"""Importance-weighted bounds (Burda et al. 2015).

``L_k = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)]`` with ``z_i ~ q(z|x)``; ``L_1`` is the ELBO and
``L_k`` increases to ``log p(x)`` as ``k`` grows.
"""

from __future__ import annotations

import math

import torch


def log_mean_exp(log_w: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """``log(mean(exp(log_w)))`` along ``dim``, computed stably."""
    return torch.logsumexp(log_w, dim=dim) - math.log(log_w.shape[dim])


def iw_bound(log_w: torch.Tensor) -> torch.Tensor:
    """The importance-weighted bound per example from log-weights ``(k, B)``: ``(B,)``."""
    return log_mean_exp(log_w, dim=0)
