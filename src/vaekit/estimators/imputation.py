"""Importance-sampled imputation with common random numbers: every row uses the same draws,
fixed by the seed, so a row's completion does not depend on the rows it comes with.

For a model with missing-value support (``encode`` of a NaN row, ``decoder``,
``observed_log_prob``, ``prior``, ``likelihood.mean`` / ``likelihood.sample``; e.g.
:class:`~vaekit.models.miwae.MIWAE`). The networks run on whole chunks of rows; only the
final draw from the likelihood runs row by row.
"""

from __future__ import annotations

from typing import Any

import torch

from vaekit.distributions.posteriors import LOG_2PI
from vaekit.estimators.row_noise import own_rng, shared_normal

CHUNK = 256  # rows per pass through the networks


def _log_weights(model: Any, xb: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor,
                                                                            torch.Tensor]:
    """Log importance weights ``(S, B)`` and decoder outputs ``(S, B, *out)`` of the rows
    ``xb`` ``(B, D)`` for the shared noise ``eps`` ``(S, 1, L)``."""
    q = model.encode(xb)
    z = q.mean + eps * q.std  # (S, B, L)
    log_q = -0.5 * (eps.pow(2) + q.logvar + LOG_2PI).sum(-1)  # (S, B)
    s, b = eps.shape[0], xb.shape[0]
    params = model.decoder(z.reshape(s * b, -1)).view(s, b, *model.decoder.output_shape)
    return model.observed_log_prob(params, xb) + model.prior.log_prob(z) - log_q, params


@torch.no_grad()
def conditional_mean(model: Any, x: torch.Tensor, n_samples: int, seed: int) -> torch.Tensor:
    """``x`` ``(N, D)`` with each missing entry replaced by ``sum_s w_s E[x | z_s]``
    (self-normalized importance weights over ``n_samples`` posterior draws)."""
    out = x.clone()
    rows = torch.isnan(x).any(1).nonzero().flatten()
    latent = model.latent_dim
    eps = shared_normal(seed, n_samples, latent, x.dtype, x.device)  # (S, 1, L)
    for s in range(0, len(rows), CHUNK):
        idx = rows[s : s + CHUNK]
        xb = x[idx]  # (B, D)
        log_w, params = _log_weights(model, xb, eps)
        w = torch.softmax(log_w, 0).unsqueeze(-1)  # (S, B, 1)
        est = (w * model.likelihood.mean(params)).sum(0)  # (B, D)
        out[idx] = torch.where(torch.isnan(xb), est, xb)
    return out


@torch.no_grad()
def imputation_draws(model: Any, x: torch.Tensor, n_draws: int, n_samples: int,
                     seed: int) -> torch.Tensor:  # fmt: skip
    """``(n_draws, N, D)`` completed copies of ``x``: for each draw a posterior sample picked
    by its importance weight (sampling importance resampling), then ``x_miss ~ p(x_miss|z)``.
    """
    out = x.unsqueeze(0).repeat(n_draws, 1, 1)
    rows = torch.isnan(x).any(1).nonzero().flatten()
    eps = shared_normal(seed, n_samples, model.latent_dim, x.dtype, x.device)  # (S, 1, L)
    gen = torch.Generator().manual_seed(int(seed))
    u = torch.rand(n_draws, generator=gen, dtype=torch.float64).to(x.device)  # (M,)
    for s in range(0, len(rows), CHUNK):
        idx = rows[s : s + CHUNK]
        xb = x[idx]
        log_w, params = _log_weights(model, xb, eps)
        cdf = torch.softmax(log_w.double(), 0).cumsum(0).T.contiguous()  # (B, S)
        pick = torch.searchsorted(cdf, u.expand(len(idx), -1).contiguous())  # (B, M)
        pick = pick.clamp(max=n_samples - 1).T  # (M, B)
        shape = (n_draws, len(idx), *params.shape[2:])
        chosen = params.gather(0, pick.view(*pick.shape, *([1] * (params.dim() - 2)))
                               .expand(shape))  # (M, B, *out)  # fmt: skip
        with own_rng(x.device):
            for j in range(len(idx)):
                torch.manual_seed(int(seed))
                draw = model.likelihood.sample(chosen[:, j : j + 1])  # (M, 1, D)
                out[:, idx[j]] = torch.where(torch.isnan(xb[j]), draw[:, 0], xb[j])
    return out
