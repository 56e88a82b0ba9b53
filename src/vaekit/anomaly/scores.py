"""Anomaly scores from a trained VAE: higher means less likely under the model."""

from __future__ import annotations

import math

import numpy as np
import torch

from vaekit.anomaly.complexity import complexity_nats
from vaekit.distributions.posteriors import LOG_2PI, DiagonalNormal
from vaekit.errors import ConfigError
from vaekit.estimators.row_noise import own_rng, shared_normal
from vaekit.models import VAE

SCORES = ("elbo", "iwae", "recon", "elbo-complexity")
"""The anomaly scores a detector can compute (``VAEDetector(scoring=...)``)."""

#: floats of (samples x batch x features) held at once while scoring
_CHUNK_FLOATS = 1 << 24


class _GivenNoise:
    """The posterior ``q`` whose ``k`` draws per row are ``mean + eps * std`` for the given
    noise ``eps`` ``(k, B, D)`` (what :meth:`VAE.log_weights` asks of its ``q``)."""

    def __init__(self, q: DiagonalNormal, eps: torch.Tensor) -> None:
        self.q, self.eps = q, eps

    def rsample_and_log_prob(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        eps, q = self.eps, self.q
        z = q.mean + eps * q.std  # (k, B, D)
        log_q = -0.5 * (eps.pow(2) + q.logvar + LOG_2PI).sum(-1)  # (k, B)
        return z, log_q


@torch.no_grad()
def anomaly_scores(
    model: VAE,
    x: torch.Tensor,
    kind: str = "elbo",
    samples: int = 16,
    seed: int = 0,
) -> np.ndarray:
    """Score each row of ``x`` ``(N, *input_shape)``: ``(N,)`` float64.

    ``recon``: ``-log p(x | z = E[z|x])``, the reconstruction from the posterior mean (no
    sampling). ``elbo``: minus the ELBO averaged over ``samples`` posterior draws. ``iwae``:
    ``-L_k``, the importance-weighted bound with ``k = samples``, a tighter estimate of
    ``-log p(x)``. ``elbo-complexity``: the ``elbo`` score minus the input's length under a
    lossless compressor in nats (:func:`~vaekit.anomaly.complexity.complexity_nats`: PNG
    for images ``(N, C, H, W)``, quantized zlib for table rows ``(N, D)``), Serrà et al.
    2020's correction for inputs that are simply easy to encode.

    Every row uses the same ``samples`` draws, fixed by ``seed``
    (:mod:`vaekit.estimators.row_noise`): a row gets the same score whatever other rows it is
    scored with, in whatever order, and the global RNG is left as it was.
    """
    if kind not in SCORES:
        raise ConfigError(f"unknown score {kind!r}; choose one of {', '.join(SCORES)}")
    if samples < 1:
        raise ConfigError(f"samples must be >= 1, got {samples}")
    model.eval()
    device = next(model.parameters()).device
    if kind == "elbo-complexity":
        elbo = anomaly_scores(model, x, "elbo", samples, seed)
        data = x.detach().cpu().numpy()
        return elbo - complexity_nats(data, "image" if data.ndim > 2 else "tabular")
    k = 1 if kind == "recon" else samples
    batch = max(1, _CHUNK_FLOATS // (k * int(np.prod(x.shape[1:]))))
    out = []
    for start in range(0, x.shape[0], batch):
        xb = x[start : start + batch].to(device)  # (B, *shape)
        if kind == "recon":
            q = model.encode(xb)
            s = -model.likelihood.log_prob(model.decode_params(q.mean), xb)
        else:
            log_w = _log_weights(model, xb, k, seed, device)  # (k, B)
            s = -log_w.mean(0) if kind == "elbo" else -(torch.logsumexp(log_w, 0) - math.log(k))
        out.append(s.double().cpu())
    return torch.cat(out).numpy()


def _log_weights(model: VAE, xb: torch.Tensor, k: int, seed: int,
                 device: torch.device) -> torch.Tensor:  # fmt: skip
    """``(k, B)`` log weights, every row with the same ``k`` draws (fixed by ``seed``)."""
    q = model.encode(xb)
    if isinstance(q, DiagonalNormal):
        eps = shared_normal(seed, k, q.mean.shape[-1], q.mean.dtype, q.mean.device)
        return model.log_weights(xb, k=k, q=_GivenNoise(q, eps.expand(k, *q.mean.shape)))
    rows = []  # another posterior: the global RNG restarted from ``seed`` for each row
    with own_rng(device):
        for i in range(xb.shape[0]):
            torch.manual_seed(seed)
            rows.append(model.log_weights(xb[i : i + 1], k=k))  # (k, 1)
    return torch.cat(rows, 1)
