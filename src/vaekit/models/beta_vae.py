"""beta-VAE (Higgins et al. 2017): the VAE with a weight beta on the KL term."""

from __future__ import annotations

from typing import Any

from vaekit.models.registry import register_model
from vaekit.models.vae import VAE


@register_model("beta-vae", "beta-VAE (Higgins et al. 2017): KL weighted by beta (default 4)")
class BetaVAE(VAE):
    """A :class:`VAE` whose KL term is weighted by ``beta`` (default 4)."""

    def __init__(self, *args: Any, beta: float = 4.0, **kwargs: Any) -> None:
        super().__init__(*args, beta=beta, **kwargs)
