"""FactorVAE (Kim & Mnih 2018): a discriminator estimates the total correlation of the codes,
which the VAE is penalised by (weight gamma)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from vaekit.errors import ConfigError
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE
from vaekit.nn import MLP
from vaekit.objectives import LossOutput, elbo_loss, permute_dims


@register_model(
    "factorvae", "FactorVAE (Kim & Mnih 2018): ELBO + gamma * discriminator total correlation"
)
class FactorVAE(VAE):
    """A :class:`VAE` with the penalty ``gamma * TC(z)``, TC estimated by a discriminator.

    The discriminator tells codes ``z ~ q(z)`` (label 0) from codes with every dimension
    shuffled across the batch (label 1, a sample of ``prod_d q(z_d)``); its logit difference
    estimates ``log q(z) / prod_d q(z_d)``. It has its own Adam optimizer (lr 1e-4, betas
    (0.5, 0.9) as in the paper), which the trainer steps after the VAE's.

    Parameters
    ----------
    gamma
        Weight of the total-correlation penalty (default 10).
    discriminator_hidden
        Hidden widths of the discriminator (LeakyReLU 0.2).
    discriminator_lr
        Learning rate of the discriminator's optimizer.
    """

    extra_options = ("gamma",)

    def __init__(
        self,
        *args: Any,
        gamma: float = 10.0,
        discriminator_hidden: Sequence[int] = (512, 512),
        discriminator_lr: float = 1e-4,
        **kwargs: Any,
    ) -> None:
        if gamma < 0:
            raise ConfigError(f"gamma must be >= 0, got {gamma}")
        super().__init__(*args, **kwargs)
        self.gamma = float(gamma)
        self.discriminator_lr = float(discriminator_lr)
        self.discriminator = MLP(self.latent_dim, discriminator_hidden, 2, "leaky_relu")
        for m in self.discriminator.modules():
            if isinstance(m, nn.LeakyReLU):
                m.negative_slope = 0.2

    def auxiliary_optimizers(self) -> dict[str, tuple[list[nn.Parameter], dict[str, Any]]]:
        params = list(self.discriminator.parameters())
        return {"discriminator": (params, {"lr": self.discriminator_lr, "betas": (0.5, 0.9)})}

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        q, z, log_q, log_px = self.one_sample_terms(x, y)
        out = elbo_loss(log_px, self.prior.kl_per_dim(q, z, log_q), self.beta * kl_weight,
                        free_bits)  # fmt: skip
        logits = self.discriminator(z)  # (B, 2)
        tc = (logits[:, 0] - logits[:, 1]).mean()
        out.total = out.total + self.gamma * tc
        # the discriminator's own loss, on codes cut from the VAE's graph
        zd = z.detach()
        d_true, d_perm = self.discriminator(zd), self.discriminator(permute_dims(zd))
        zeros = torch.zeros(zd.shape[0], dtype=torch.long, device=zd.device)
        d_loss = 0.5 * (F.cross_entropy(d_true, zeros) + F.cross_entropy(d_perm, zeros + 1))
        hits = torch.cat([d_true.argmax(1) == 0, d_perm.argmax(1) == 1])
        acc = hits.float().mean()
        out.aux_losses = {"discriminator": d_loss}
        out.extra = {"tc": tc.detach(), "disc_loss": d_loss.detach(), "disc_accuracy": acc}
        return out
