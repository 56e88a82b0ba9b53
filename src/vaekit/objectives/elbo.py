"""The (weighted) evidence lower bound and the structured loss every model returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LossOutput:
    """What ``model.loss`` returns; every value is in nats per example.

    Attributes
    ----------
    total
        The objective being minimised (scalar): reconstruction + weighted KL (+ extra terms).
    reconstruction
        ``-E_q[log p(x|z)]``, mean over the batch (scalar).
    kl
        ``KL(q(z|x) || p(z))`` summed over latent dimensions, mean over the batch (scalar).
        This is the true KL, before any weight or free-bits floor.
    kl_per_dim
        KL per latent dimension, mean over the batch, ``(D,)``.
    kl_weight
        The weight applied to the KL in ``total`` (beta times the schedule factor).
    extra
        Terms specific to a variant (logged per epoch as ``train_<name>``).
    aux_losses
        Losses of the model's own extra optimizers, by the names its
        ``auxiliary_optimizers()`` gives (e.g. a discriminator's); each is minimised by its
        optimizer after the main step.
    """

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor
    kl_per_dim: torch.Tensor
    kl_weight: float = 1.0
    extra: dict[str, torch.Tensor] = field(default_factory=dict)
    aux_losses: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def elbo(self) -> torch.Tensor:
        """The evidence lower bound, ``-(reconstruction + kl)`` (scalar)."""
        return -(self.reconstruction + self.kl)


def free_bits_kl(kl_per_dim: torch.Tensor, free_bits: float) -> torch.Tensor:
    """KL term with a free-bits floor (Kingma et al. 2016).

    Parameters
    ----------
    kl_per_dim
        Batch-mean KL per latent dimension, ``(D,)``.
    free_bits
        lambda, in nats per dimension; ``0`` disables the floor.

    Returns
    -------
    torch.Tensor
        ``sum_d max(lambda, kl_d)`` (scalar). Dimensions below the floor get no gradient.
    """
    if free_bits > 0:
        kl_per_dim = kl_per_dim.clamp(min=free_bits)
    return kl_per_dim.sum()


def elbo_loss(
    log_px: torch.Tensor,
    kl_per_example_dim: torch.Tensor,
    kl_weight: float = 1.0,
    free_bits: float = 0.0,
) -> LossOutput:
    """Negative ELBO with a KL weight and an optional free-bits floor.

    Parameters
    ----------
    log_px
        ``log p(x|z)`` per example, ``(B,)``.
    kl_per_example_dim
        KL per example and latent dimension, ``(B, D)``.
    kl_weight
        Weight on the KL term (beta times the schedule factor).
    free_bits
        Free-bits floor in nats per dimension (0 = off).
    """
    reconstruction = -log_px.mean()
    kl_per_dim = kl_per_example_dim.mean(0)  # (D,)
    kl = kl_per_dim.sum()
    total = reconstruction + kl_weight * free_bits_kl(kl_per_dim, free_bits)
    return LossOutput(total, reconstruction, kl, kl_per_dim, kl_weight)
