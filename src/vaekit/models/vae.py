"""The variational autoencoder, composed of replaceable parts.

encoder -> posterior head q(z|x) -> prior p(z) -> decoder -> likelihood p(x|z).
Variants subclass :class:`VAE` and replace a part or the objective, not the whole model;
the contract every model follows is :class:`~vaekit.models.base.BaseModel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaekit.distributions import DiagonalNormal, StandardNormal, VampPrior
from vaekit.distributions.factory import make_posterior, make_prior
from vaekit.distributions.likelihoods import make_likelihood
from vaekit.errors import ConfigError
from vaekit.models.array import ArrayModel
from vaekit.models.base import ARCHS
from vaekit.models.registry import register_model
from vaekit.nn import (
    BurgessDecoder,
    BurgessEncoder,
    ConvDecoder,
    ConvEncoder,
    MLPDecoder,
    MLPEncoder,
)
from vaekit.objectives import LossOutput, elbo_loss

__all__ = ["ARCHS", "VAE", "latent_kl_per_dim"]


def latent_kl_per_dim(prior: nn.Module, q: Any) -> torch.Tensor:
    """KL(q(z|x) || p(z)) per example and dimension ``(B, D)``: closed form when the
    posterior is Gaussian and the prior N(0, I), else a one-sample estimate."""
    if isinstance(q, DiagonalNormal) and isinstance(prior, StandardNormal):
        return prior.kl_per_dim(q)
    z, log_q = q.rsample_and_log_prob()
    return prior.kl_per_dim(q, z, log_q)


@register_model("vae", "Gaussian-latent VAE (Kingma & Welling 2014): ELBO with a N(0, I) prior")
class VAE(ArrayModel):
    """Variational autoencoder with a diagonal-Gaussian posterior and a N(0, I) prior.

    Parameters
    ----------
    input_shape
        Shape of one example, e.g. ``(1, 28, 28)`` for MNIST or ``(D,)`` for a table.
    latent_dim
        Number of latent dimensions.
    arch
        ``"mlp"``, ``"conv"`` (images only) or ``"burgess"`` (64x64 images: the conv
        architecture of the disentanglement literature, disentanglement_lib's
        ``conv_encoder`` / ``deconv_decoder``; ``hidden``, ``channels``, ``activation``
        and ``batchnorm`` do not apply).
    hidden
        MLP hidden widths (the decoder mirrors them); for ``conv``, the first value is the
        width of the fully connected layer after the convolutions.
    activation
        Hidden-layer activation.
    likelihood
        ``"bernoulli"``, ``"gaussian"``, ``"gaussian-learned"`` or ``"gaussian-learned-dim"``.
    sigma
        Standard deviation of the fixed Gaussian likelihood (initial value when learned).
    channels
        Convolution channels (``conv`` only).
    batchnorm
        BatchNorm after each convolution (``conv`` only).
    beta
        Weight on the KL term (1 gives the ELBO).
    posterior
        ``"gaussian"`` (diagonal), or a flow on top of it: ``"planar"`` (Rezende & Mohamed
        2015) or ``"iaf"`` (Kingma et al. 2016), with ``flow_steps`` steps.
    prior
        ``"normal"`` (N(0, I), closed-form KL), ``"mog"`` (learned mixture of Gaussians) or
        ``"vamp"`` (VampPrior, Tomczak & Welling 2017); the last two with
        ``prior_components`` components (default 10 for mog, 500 for vamp) and a Monte
        Carlo KL.
    """

    registry_name = "vae"

    def __init__(
        self,
        input_shape: Sequence[int] = (1, 28, 28),
        latent_dim: int = 20,
        arch: str = "mlp",
        hidden: Sequence[int] = (512, 256),
        activation: str = "relu",
        likelihood: str = "bernoulli",
        sigma: float = 1.0,
        channels: Sequence[int] = (32, 64),
        batchnorm: bool = False,
        beta: float = 1.0,
        posterior: str = "gaussian",
        flow_steps: int = 4,
        prior: str = "normal",
        prior_components: int | None = None,
    ) -> None:
        super().__init__()
        if latent_dim < 1:
            raise ConfigError(f"latent_dim must be >= 1, got {latent_dim}")
        if beta < 0:
            raise ConfigError(f"beta must be >= 0, got {beta}")
        if arch not in ARCHS:
            raise ConfigError(f"unknown arch {arch!r}; choose one of {', '.join(ARCHS)}")
        if likelihood == "categorical":
            raise ConfigError("the categorical likelihood is for sequence models (seq-vae, "
                              "rnnlm); this data needs bernoulli or gaussian")  # fmt: skip
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(latent_dim)
        self.beta = float(beta)
        self.activation = activation
        if arch == "mlp":
            self.encoder: nn.Module = MLPEncoder(
                self.input_shape, hidden, self.cond_dim, activation
            )
            self.decoder: nn.Module = MLPDecoder(
                self.latent_dim + self.cond_dim,
                list(reversed(hidden)),
                self.input_shape,
                activation,
            )
        elif arch == "burgess":
            self.encoder = BurgessEncoder(self.input_shape, self.cond_dim)
            self.decoder = BurgessDecoder(self.latent_dim + self.cond_dim, self.input_shape)
        else:
            width = hidden[0] if hidden else 256
            self.encoder = ConvEncoder(
                self.input_shape, channels, width, self.cond_dim, activation, batchnorm
            )
            self.decoder = ConvDecoder(
                self.latent_dim + self.cond_dim,
                self.input_shape,
                channels,
                width,
                activation,
                batchnorm,
            )
        self.likelihood = make_likelihood(likelihood, self.input_shape, sigma)
        self.posterior = make_posterior(posterior, self.encoder.out_dim, self.latent_dim,
                                        flow_steps)  # fmt: skip
        self.prior = make_prior(prior, self.latent_dim, self.input_shape, prior_components,
                                unit_interval=likelihood == "bernoulli")  # fmt: skip
        if isinstance(self.prior, VampPrior):
            if self.cond_dim or posterior != "gaussian":
                raise ConfigError("the VampPrior needs an unconditional model with a "
                                  "Gaussian posterior")  # fmt: skip
            self.prior.bind(lambda u: self.posterior(self.encoder(u, None)))

    # ----------------------------------------------------------------- inference / generation
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DiagonalNormal:
        """Posterior q(z|x): a :class:`DiagonalNormal` with ``mean`` and ``logvar`` ``(B, D)``
        (a :class:`~vaekit.distributions.FlowPosterior` with a flow)."""
        self._check_x(x)
        return self.posterior(self.encoder(x, self.condition(y, x.shape[0])))

    def decode_params(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Likelihood parameters (Bernoulli logits, Gaussian means): ``(B, *input_shape)``."""
        c = self.condition(y, z.shape[0])
        return self.decoder(z if c is None else torch.cat([z, c], dim=-1))

    def one_sample_terms(
        self, x: torch.Tensor, y: torch.Tensor | None = None
    ) -> tuple[Any, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One reparameterised draw per example: ``q(z|x)``, ``z`` ``(B, D)``,
        ``log q(z|x)`` ``(B,)`` and ``log p(x|z)`` ``(B,)`` (the pieces every ELBO uses)."""
        q = self.encode(x, y)
        z, log_q = q.rsample_and_log_prob()  # (B, D), (B,)
        log_px = self.likelihood.log_prob(self.decode_params(z, y), x)  # (B,)
        return q, z, log_q, log_px

    def one_sample_elbo(
        self, x: torch.Tensor, y: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``log p(x|z)`` ``(B,)`` with one reparameterised draw per example and the KL per
        example and dimension ``(B, D)``: closed form when there is one (then ``log q`` is
        not computed at all), else the draw's Monte Carlo estimate."""
        q = self.encode(x, y)
        if isinstance(q, DiagonalNormal) and isinstance(self.prior, StandardNormal):
            z = q.rsample()  # (B, D): the same draw as rsample_and_log_prob's
            log_px = self.likelihood.log_prob(self.decode_params(z, y), x)
            return log_px, self.prior.kl_per_dim(q)
        z, log_q = q.rsample_and_log_prob()
        log_px = self.likelihood.log_prob(self.decode_params(z, y), x)
        return log_px, self.prior.kl_per_dim(q, z, log_q)

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        """Negative ELBO with one reparameterised sample per example.

        ``kl_weight`` is the schedule factor; the KL is weighted by ``beta * kl_weight``.
        """
        log_px, kl = self.one_sample_elbo(x, y)  # (B,), (B, D)
        return elbo_loss(log_px, kl, self.beta * kl_weight, free_bits)

    def kl_per_dim(self, q: Any) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example and dimension ``(B, D)``: closed form when the
        posterior is Gaussian and the prior N(0, I), else a one-sample estimate."""
        return latent_kl_per_dim(self.prior, q)

    def log_weights(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        k: int = 1,
        q: DiagonalNormal | None = None,
        kl_weight: float = 1.0,
        return_log_px: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Log importance weights ``log p(x|z) + w (log p(z) - log q(z|x))`` for ``k`` samples.

        Parameters
        ----------
        x, y
            Inputs ``(B, *input_shape)`` and optional labels ``(B,)``.
        k
            Samples per example.
        q
            The posterior of ``x`` when already computed (saves an encoder pass).
        kl_weight
            ``w``; 1 gives the weights of the importance-weighted bound.
        return_log_px
            Also return ``log p(x|z)`` for the same samples.

        Returns
        -------
        torch.Tensor
            ``(k, B)`` (and ``log p(x|z)``, ``(k, B)``, with ``return_log_px``).
        """
        q = self.encode(x, y) if q is None else q
        b = x.shape[0]
        z, log_q = q.rsample_and_log_prob(k)  # (k, B, D), (k, B)
        yk = None if y is None else y.repeat(k)
        params = self.decode_params(z.reshape(k * b, -1), yk)  # (k*B, *input_shape)
        log_px = self.likelihood.log_prob(params.view(k, b, *self.input_shape), x)  # (k, B)
        log_w = log_px + kl_weight * (self.prior.log_prob(z) - log_q)
        return (log_w, log_px) if return_log_px else log_w

    @torch.no_grad()
    def sample(
        self, n: int, labels: int | Sequence[int] | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode ``n`` codes drawn from the prior: ``(n, *input_shape)`` means."""
        if labels is not None:
            raise ConfigError(f"model {self.registry_name!r} is not conditional; drop the label")
        z = self.prior.sample(n, self.device)
        return self.decode(z)
