"""beta-TC-VAE (Chen et al. 2018): the KL split into index-code MI, total correlation and
dimension-wise KL, with the total correlation weighted by beta."""

from __future__ import annotations

from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE
from vaekit.objectives import LossOutput, mws_decomposition


@register_model(
    "btcvae", "beta-TC-VAE (Chen et al. 2018): total correlation weighted by beta (default 6)"
)
class BetaTCVAE(VAE):
    """A :class:`VAE` minimising ``recon + alpha MI + beta TC + gamma DWKL``.

    The terms are estimated with minibatch-weighted sampling, which needs the size of the
    training set (``dataset_size``, filled in from the data by :func:`vaekit.train`).

    Parameters
    ----------
    beta
        Weight of the total correlation (default 6).
    alpha, gamma
        Weights of the index-code mutual information and the dimension-wise KL (default 1).
    dataset_size
        Number of training examples ``N``.
    """

    extra_options = ("alpha", "gamma")

    def __init__(
        self,
        *args: Any,
        beta: float = 6.0,
        alpha: float = 1.0,
        gamma: float = 1.0,
        dataset_size: int = 60000,
        **kwargs: Any,
    ) -> None:
        if dataset_size < 1:
            raise ConfigError(f"dataset_size must be >= 1, got {dataset_size}")
        if kwargs.get("posterior", "gaussian") != "gaussian":
            raise ConfigError("btcvae needs the Gaussian posterior (its estimator is Gaussian)")
        super().__init__(*args, beta=beta, **kwargs)
        self.alpha, self.gamma, self.dataset_size = float(alpha), float(gamma), int(dataset_size)

    @classmethod
    def data_options(cls, n_train: int) -> dict[str, Any]:
        return {"dataset_size": n_train}

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        q, z, log_q, log_px = self.one_sample_terms(x, y)
        parts = mws_decomposition(
            z, log_q, q.mean, q.logvar, self.prior.log_prob(z), self.dataset_size
        )
        mi, tc, dwkl = parts.mi.mean(), parts.tc.mean(), parts.dwkl.mean()
        kl_per_dim = self.kl_per_dim(q).mean(0)  # (D,), the true KL for logging
        reconstruction = -log_px.mean()
        total = reconstruction + kl_weight * (self.alpha * mi + self.beta * tc + self.gamma * dwkl)
        return LossOutput(
            total, reconstruction, kl_per_dim.sum(), kl_per_dim, self.beta * kl_weight,
            extra={"mi": mi.detach(), "tc": tc.detach(), "dwkl": dwkl.detach()},
        )  # fmt: skip
