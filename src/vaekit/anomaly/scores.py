"""Anomaly scores from a trained VAE: higher means less likely under the model."""

from __future__ import annotations

import math

import numpy as np
import torch

from vaekit.anomaly.complexity import complexity_nats
from vaekit.errors import ConfigError
from vaekit.models import VAE

SCORES = ("elbo", "iwae", "recon", "elbo-complexity")
#: floats of (samples x batch x features) held at once while scoring
_CHUNK_FLOATS = 1 << 24


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
    2020's correction for inputs that are simply easy to encode. Draws come from a generator
    seeded with ``seed`` (the global RNG is left as it was), so the same input always gets
    the same scores.
    """
    if kind not in SCORES:
        raise ConfigError(f"unknown score {kind!r}; choose one of {', '.join(SCORES)}")
    if samples < 1:
        raise ConfigError(f"samples must be >= 1, got {samples}")
    model.eval()
    device = next(model.parameters()).device
    per_row = int(np.prod(x.shape[1:]))
    if kind == "elbo-complexity":
        elbo = anomaly_scores(model, x, "elbo", samples, seed)
        data = x.detach().cpu().numpy()
        return elbo - complexity_nats(data, "image" if data.ndim > 2 else "tabular")
    k = 1 if kind == "recon" else samples
    batch = max(1, _CHUNK_FLOATS // (k * per_row))
    out = []
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        for start in range(0, x.shape[0], batch):
            xb = x[start : start + batch].to(device)  # (B, *shape)
            if kind == "recon":
                q = model.encode(xb)
                s = -model.likelihood.log_prob(model.decode_params(q.mean), xb)
            else:
                log_w = model.log_weights(xb, k=k)  # (k, B)
                if kind == "elbo":
                    s = -log_w.mean(0)
                else:
                    s = -(torch.logsumexp(log_w, 0) - math.log(k))
            out.append(s.double().cpu())
    return torch.cat(out).numpy()
