"""IWAE (Burda et al. 2015): the VAE trained on the importance-weighted bound L_k."""

from __future__ import annotations

from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE
from vaekit.objectives import LossOutput
from vaekit.objectives.iwae import iw_bound


@register_model(
    "iwae", "IWAE (Burda et al. 2015): trained on the k-sample importance-weighted bound"
)
class IWAE(VAE):
    """A :class:`VAE` whose objective is ``-L_k`` with ``k = iw_samples``.

    ``iw_samples=1`` gives the single-sample ELBO with a Monte Carlo KL (the VAE's objective
    in expectation). The KL weight multiplies ``log p(z) - log q(z|x)`` inside each weight;
    free bits do not apply to the bound.
    """

    extra_options = ("iw_samples",)

    def __init__(self, *args: Any, iw_samples: int = 5, **kwargs: Any) -> None:
        if iw_samples < 1:
            raise ConfigError(f"iw_samples must be >= 1, got {iw_samples}")
        super().__init__(*args, **kwargs)
        self.iw_samples = int(iw_samples)

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        q = self.encode(x, y)
        w = self.beta * kl_weight
        log_w, log_px = self.log_weights(x, y, self.iw_samples, q, w, return_log_px=True)
        with torch.no_grad():  # for logging only
            kl_per_dim = self.kl_per_dim(q).mean(0)  # (D,)
        bound = iw_bound(log_w)  # (B,)
        return LossOutput(
            total=-bound.mean(),
            reconstruction=-log_px.mean(),
            kl=kl_per_dim.sum(),
            kl_per_dim=kl_per_dim,
            kl_weight=w,
            extra={"iw_bound": bound.mean().detach()},
        )
