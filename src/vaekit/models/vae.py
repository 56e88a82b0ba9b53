"""The variational autoencoder, composed of replaceable parts.

encoder -> posterior head q(z|x) -> prior p(z) -> decoder -> likelihood p(x|z).
Variants subclass :class:`VAE` and replace a part or the objective, not the whole model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaekit.distributions import DiagonalNormal, StandardNormal, VampPrior
from vaekit.distributions.factory import make_posterior, make_prior
from vaekit.distributions.likelihoods import make_likelihood
from vaekit.errors import ConfigError, DataError
from vaekit.models.paths import lerp, slerp
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

ARCHS = ("mlp", "conv", "burgess")


@register_model("vae", "Gaussian-latent VAE (Kingma & Welling 2014): ELBO with a N(0, I) prior")
class VAE(nn.Module):
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
    #: the kind of data: "array" (fixed-shape tensors), "sequence" (token ids) or "table"
    #: (a transformed mixed-type table: ``vaekit synth``)
    modality = "array"
    #: the architectures the model can be built with
    archs: tuple[str, ...] = ARCHS
    #: whether the model has a latent code at all (a language model has none)
    has_latent = True
    #: whether the code has a posterior and a KL (a denoising autoencoder's has neither)
    variational = True
    #: whether the posterior is a Gaussian whose means can be counted as active units and
    #: checked for collapse (a VQ-VAE's point-mass code cannot)
    gaussian_latent = True
    #: whether the model takes class labels (then it has ``num_classes``)
    conditional = False
    cond_dim = 0
    #: model-config options (beyond the VAE's) that this variant takes as constructor arguments
    extra_options: tuple[str, ...] = ()
    #: printed when the model is trained with a constant KL weight, for models that need a
    #: KL warm-up to keep their latent layers in use (None: no advice)
    kl_warmup_advice: str | None = None

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
        self._config: dict[str, Any] = {
            "input_shape": list(self.input_shape),
            "latent_dim": self.latent_dim,
            "arch": arch,
            "hidden": [int(h) for h in hidden],
            "activation": activation,
            "likelihood": likelihood,
            "sigma": float(sigma),
            "channels": [int(c) for c in channels],
            "batchnorm": bool(batchnorm),
            "beta": self.beta,
            "posterior": posterior,
            "flow_steps": int(flow_steps),
            "prior": prior,
            "prior_components": prior_components,
        }
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

    # ----------------------------------------------------------------- training hooks
    @classmethod
    def data_options(cls, n_train: int) -> dict[str, Any]:
        """Constructor arguments a variant takes from the training data (e.g. its size)."""
        return {}

    def auxiliary_optimizers(self) -> dict[str, tuple[list[nn.Parameter], dict[str, Any]]]:
        """Extra optimizers the model needs: ``name -> (parameters, Adam options)``.

        The trainer gives every other parameter to the main optimizer and, after each main
        step, minimises ``loss(...).aux_losses[name]`` with optimizer ``name``.
        """
        return {}

    def layer_means(
        self, x: torch.Tensor, y: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Posterior means of each stochastic layer, ``{name: (B, D_layer)}``.

        Models with more than one stochastic layer override this so that diagnostics
        (active units, KL) can be reported per layer; a one-layer model returns ``{}``
        (its means are ``encode(x).mean``).
        """
        return {}

    def parameters_outside_loss(self) -> list[nn.Parameter]:
        """Parameters that ``loss`` never reaches (trained by a later stage, if at all);
        data-parallel training leaves them out of its gradient averaging."""
        return []

    def data_dims(self, x: torch.Tensor) -> torch.Tensor:
        """Data dimensions of each example ``(B,)`` (tokens for sequences): the unit of
        per-dimension figures (bits per dimension, per-token NLL)."""
        return torch.full((x.shape[0],), math.prod(self.input_shape), device=x.device)

    # ----------------------------------------------------------------- configuration
    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable); ``type(self)(**config)`` rebuilds it."""
        return dict(self._config)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # ----------------------------------------------------------------- conditioning
    def condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The condition vector appended to encoder and decoder inputs (none for a VAE)."""
        return None

    def _check_x(self, x: torch.Tensor) -> None:
        if tuple(x.shape[1:]) != self.input_shape:
            raise DataError(
                f"expected inputs of shape (B, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(x.shape)}"
            )

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

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """E[x|z]: ``(B, *input_shape)`` (pixel probabilities for Bernoulli)."""
        return self.likelihood.mean(self.decode_params(z, y))

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
        if isinstance(q, DiagonalNormal) and isinstance(self.prior, StandardNormal):
            return self.prior.kl_per_dim(q)
        z, log_q = q.rsample_and_log_prob()
        return self.prior.kl_per_dim(q, z, log_q)

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

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decode the posterior means of ``x``: ``(B, *input_shape)``."""
        return self.decode(self.encode(x, y).mean, y)

    @torch.no_grad()
    def interpolate(
        self,
        x_a: torch.Tensor,
        x_b: torch.Tensor,
        steps: int = 10,
        y_a: torch.Tensor | int | None = None,
        y_b: torch.Tensor | int | None = None,
        spherical: bool = False,
    ) -> torch.Tensor:
        """Decode ``steps`` points on the path between the posterior means of two inputs.

        ``x_a`` and ``x_b`` are single examples (``input_shape`` or ``(1, *input_shape)``).
        The path is linear, or spherical (:func:`~vaekit.models.paths.slerp`) with
        ``spherical=True``; a conditional model's label vector moves linearly along it.
        Returns ``(steps, *input_shape)``; the first and last rows are the reconstructions
        of ``x_a`` and ``x_b``.
        """
        x_a = x_a.reshape(1, *self.input_shape).to(self.device)
        x_b = x_b.reshape(1, *self.input_shape).to(self.device)
        ya = None if y_a is None else torch.as_tensor(y_a, device=self.device).reshape(1)
        yb = None if y_b is None else torch.as_tensor(y_b, device=self.device).reshape(1)
        za, zb = self.encode(x_a, ya).mean[0], self.encode(x_b, yb).mean[0]  # (D,)
        z = (slerp if spherical else lerp)(za, zb, steps)  # (steps, D)
        c = self.condition(ya, 1)
        if c is not None:
            c = lerp(c[0], self.condition(yb, 1)[0], steps)  # (steps, C)
            return self.likelihood.mean(self.decoder(torch.cat([z, c], dim=-1)))
        return self.decode(z)

    # ----------------------------------------------------------------- data-dependent init
    @torch.no_grad()
    def init_output_bias(self, data_mean: torch.Tensor) -> None:
        """Set the decoder's output bias so that a zero code decodes to the data mean.

        ``data_mean`` has shape ``input_shape`` (Burda et al. 2015 initialise the Bernoulli
        bias to the logit of the training-set mean pixel).
        """
        layer = self.decoder.output_layer
        bias = self.likelihood.init_bias(data_mean.to(layer.bias.device, layer.bias.dtype))
        if layer.bias.numel() == math.prod(self.input_shape):
            layer.bias.copy_(bias.reshape(-1))
        else:  # conv decoder: one bias per output channel
            layer.bias.copy_(bias.reshape(bias.shape[0], -1).mean(1))
