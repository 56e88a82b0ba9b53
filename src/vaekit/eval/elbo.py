"""ELBO and its terms over a whole split."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from vaekit.data import DataBundle, iterate_batches
from vaekit.data.base import Split
from vaekit.eval.mode import eval_mode
from vaekit.models import BaseModel


@torch.no_grad()
def elbo_terms(
    model: BaseModel,
    split: Split,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
    seed: int = 0,
    bundle: DataBundle | None = None,
    on_batch: Callable[[int], object] | None = None,
) -> dict[str, float | list[float] | int]:
    """Negative ELBO, reconstruction and KL over ``split`` (nats per example).

    One posterior sample per example, drawn from a generator seeded with ``seed`` so that
    the result is reproducible; the caller's random state is left untouched.
    ``on_batch(b)`` is called after each batch of ``b`` examples (e.g. to advance a
    progress bar).

    Returns
    -------
    dict
        ``loss`` (negative ELBO), ``elbo``, ``reconstruction``, ``kl``, ``kl_per_dim`` and
        ``n`` (number of examples) and ``bits_per_dim`` (the loss in bits per data dimension);
        for models with several stochastic layers, the KL of each (``kl_z1``, ``kl_z2``).
    """
    device = torch.device(device) if device is not None else model.device
    cuda = [device.index or 0] if device.type == "cuda" else []
    mean = std = None
    if bundle is not None:
        mean, std = bundle.mean, bundle.std
    sums = torch.zeros(2, dtype=torch.float64, device=device)
    kl_dims = torch.zeros(model.latent_dim, dtype=torch.float64, device=device)
    layer_kl: dict[str, torch.Tensor] = {}  # hvae: kl_z1, kl_z2
    n, dims = 0, 0
    with eval_mode(model), torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        for x, y in iterate_batches(split, batch_size, device=device, mean=mean, std=std):
            out = model.loss(x, y)
            b = x.shape[0]
            sums += torch.stack([out.reconstruction, out.kl]).double() * b
            kl_dims += out.kl_per_dim.double() * b
            for key, value in out.extra.items():
                if key.startswith("kl_"):
                    layer_kl[key] = layer_kl.get(key, 0.0) + value.double() * b
            n += b
            dims += int(model.data_dims(x).sum())
            if on_batch is not None:
                on_batch(b)
    recon, kl = (sums / max(n, 1)).tolist()
    result: dict[str, float | list[float] | int] = {
        "loss": recon + kl,
        "elbo": -(recon + kl),
        "reconstruction": recon,
        "kl": kl,
        "kl_per_dim": (kl_dims / max(n, 1)).tolist(),
        "n": n,
    }
    result.update({key: float(v) / max(n, 1) for key, v in layer_kl.items()})
    # bits per data dimension (per token for sequences)
    result["bits_per_dim"] = (recon + kl) * n / (max(dims, 1) * math.log(2))
    return result
