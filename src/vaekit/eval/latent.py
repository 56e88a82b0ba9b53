"""Latent-space diagnostics: posterior means, active units, mutual information I(x; z)."""

from __future__ import annotations

import math

import torch

from vaekit.data import iterate_batches
from vaekit.data.base import Split
from vaekit.eval.mode import eval_mode
from vaekit.models import BaseModel

ACTIVE_THRESHOLD = 0.01
#: total KL (nats) below which the posterior counts as collapsed (training, plots)
COLLAPSE_KL = 0.1
LOG_2PI = math.log(2 * math.pi)


@torch.no_grad()
def posterior_stats(
    model: BaseModel,
    split: Split,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
    limit: int | None = None,
    mean: torch.Tensor | None = None,
    std: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Posterior means and log-variances ``(N, D)`` (and labels) of the first ``limit`` examples."""
    device = torch.device(device) if device is not None else model.device
    means, logvars, labels, n = [], [], [], 0
    with eval_mode(model):
        for x, y in iterate_batches(split, batch_size, device=device, mean=mean, std=std):
            q = model.encode(x, y)
            means.append(q.mean.float().cpu())
            logvars.append(q.logvar.float().cpu())
            if y is not None:
                labels.append(y.cpu())
            n += x.shape[0]
            if limit is not None and n >= limit:
                break
    m, lv = torch.cat(means)[:limit], torch.cat(logvars)[:limit]
    return m, lv, (torch.cat(labels)[:limit] if labels else None)


def active_units(
    means: torch.Tensor, threshold: float = ACTIVE_THRESHOLD
) -> tuple[int, list[float]]:
    """Dimensions whose posterior mean varies across inputs: ``Var_x E_q[z_d] > threshold``.

    Returns the count and the per-dimension variances (Burda et al. 2015).
    """
    var = means.double().var(dim=0, unbiased=False)  # (D,)
    return int((var > threshold).sum()), var.tolist()


def mutual_information(means: torch.Tensor, logvars: torch.Tensor, seed: int = 0) -> float:
    """Monte Carlo estimate of I(x; z) under the aggregate posterior of the given examples.

    ``I = E_x E_q(z|x)[log q(z|x)] - E_q(z)[log q(z)]`` with ``q(z)`` the mixture of the N
    posteriors (Hoffman & Johnson 2016; He et al. 2019). One sample per example; bounded
    above by ``log N``.
    """
    mu, lv = means.double(), logvars.double()
    n, d = mu.shape
    g = torch.Generator().manual_seed(seed)
    z = mu + torch.randn(mu.shape, generator=g, dtype=mu.dtype) * torch.exp(0.5 * lv)  # (N, D)
    neg_entropy = (-0.5 * d * (LOG_2PI + 1) - 0.5 * lv.sum(1)).mean()
    inv_var = torch.exp(-lv)  # (N, D)
    chunk = max(1, (1 << 24) // (n * d))  # keeps the (chunk, N, D) temporary near 128 MB
    log_qz = []
    for i in range(0, n, chunk):
        zi = z[i : i + chunk, None, :]  # (c, 1, D)
        # log q(z_i | x_j) for every j: (c, N)
        lp = -0.5 * (((zi - mu[None]) ** 2) * inv_var[None] + lv[None] + LOG_2PI).sum(-1)
        log_qz.append(torch.logsumexp(lp, dim=1) - math.log(n))
    return float(neg_entropy - torch.cat(log_qz).mean())


@torch.no_grad()
def layer_active_units(
    model: BaseModel,
    split: Split,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
    limit: int | None = None,
    mean: torch.Tensor | None = None,
    std: torch.Tensor | None = None,
    seed: int = 0,
) -> dict[str, int]:
    """Active units of each stochastic layer (``{"z1": a, "z2": b}``; ``{}`` for one layer).

    Uses :meth:`BaseModel.layer_means` on the first ``limit`` examples; draws come from a
    generator seeded with ``seed`` and the caller's random state is kept.
    """
    device = torch.device(device) if device is not None else model.device
    layers: dict[str, list[torch.Tensor]] = {}
    n = 0
    cuda = [device.index or 0] if device.type == "cuda" else []
    with eval_mode(model), torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        for x, y in iterate_batches(split, batch_size, device=device, mean=mean, std=std):
            for name, m in model.layer_means(x, y).items():
                layers.setdefault(name, []).append(m.float().cpu())
            n += x.shape[0]
            if not layers or (limit is not None and n >= limit):
                break
    return {name: active_units(torch.cat(ms)[:limit])[0] for name, ms in layers.items()}
