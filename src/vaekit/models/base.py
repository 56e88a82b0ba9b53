"""The contract every model follows: what the trainer, the evaluators and the plots call.

A model subclasses :class:`BaseModel` (or a concrete model such as
:class:`~vaekit.models.VAE`), implements :meth:`~BaseModel.loss`, :meth:`~BaseModel.encode`
and :meth:`~BaseModel.decode`, and says what it can do through the class attributes below.
Its constructor arguments are recorded as they are passed (:mod:`vaekit.models.init_record`):
``model.config`` rebuilds it, with no hand-kept dictionary to go stale.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaekit.models.init_record import record_init, recorded_config
from vaekit.objectives import LossOutput

#: the encoder/decoder architectures of the fixed-shape models
ARCHS = ("mlp", "conv", "burgess")

Labels = int | Sequence[int] | torch.Tensor | None


class BaseModel(nn.Module, abc.ABC):
    """Abstract base of every registered model.

    Subclasses call ``super().__init__(...)`` (never ``nn.Module.__init__`` directly): the
    base constructor is what makes a model a model (:attr:`constructed` is set there).
    """

    #: the name the model is registered under (set by :func:`~vaekit.models.register_model`)
    registry_name = "model"
    #: the kind of data: "array" (fixed-shape tensors), "sequence" (token ids), "table"
    #: (a transformed mixed-type table: ``vaekit synth``), "interactions" (click rows) or
    #: "series" (windows of a multivariate time series: ``vaekit timeseries``)
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
    #: width of the condition vector appended to encoder and decoder inputs
    cond_dim = 0
    #: model-config options (beyond the VAE's) that this variant takes as constructor arguments
    extra_options: tuple[str, ...] = ()
    #: printed when the model is trained with a constant KL weight, for models that need a
    #: KL warm-up to keep their latent layers in use (None: no advice)
    kl_warmup_advice: str | None = None
    #: constructor arguments that this class sets itself (a parent's that it passes on with
    #: its own value, or its own that it accepts only for a uniform signature): they are
    #: not part of :attr:`config`
    fixed_arguments: tuple[str, ...] = ()

    #: shape of one example (``()`` for token sequences)
    input_shape: tuple[int, ...]
    #: size of the code ``z`` (flattened)
    latent_dim: int
    #: weight on the KL term
    beta: float

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record_init(cls)

    def __init__(self) -> None:
        super().__init__()
        #: True once the base constructor has run (every model's constructor chain ends here)
        self.constructed = True

    # ----------------------------------------------------------------- configuration
    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable); ``type(self)(**config)`` rebuilds it."""
        config = recorded_config(self)
        if config is None:
            raise AttributeError(f"{type(self).__name__} is still being constructed")
        return _copy(config)

    @property
    def device(self) -> torch.device:
        """The device of the model's parameters."""
        return next(self.parameters()).device

    # ----------------------------------------------------------------- the contract
    @abc.abstractmethod
    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        """The training objective on a batch ``x`` (labels ``y``), as a :class:`LossOutput`.

        ``kl_weight`` is the schedule factor on the KL term; ``free_bits`` the floor on each
        latent dimension's KL (nats), where the objective has one.
        """

    @abc.abstractmethod
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> Any:
        """The posterior ``q(z|x)``: a distribution with ``mean`` ``(B, latent_dim)``."""

    @abc.abstractmethod
    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Data decoded from codes ``z`` ``(B, latent_dim)``."""

    def sample(self, n: int, labels: Labels = None) -> torch.Tensor:
        """``n`` examples generated from the model's prior."""
        raise NotImplementedError(f"model {self.registry_name!r} cannot generate samples")

    def log_weights(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        k: int = 1,
        q: Any = None,
        kl_weight: float = 1.0,
        return_log_px: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Log importance weights ``(k, B)`` (and ``log p(x|z)`` with ``return_log_px``)."""
        raise NotImplementedError(
            f"model {self.registry_name!r} has no importance-sampled likelihood"
        )

    def kl_per_dim(self, q: Any) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example and latent dimension ``(B, latent_dim)``."""
        raise NotImplementedError(f"model {self.registry_name!r} has no KL per dimension")

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decode the posterior means of ``x``."""
        return self.decode(self.encode(x, y).mean, y)

    def interpolate(
        self,
        x_a: torch.Tensor,
        x_b: torch.Tensor,
        steps: int = 10,
        y_a: torch.Tensor | int | None = None,
        y_b: torch.Tensor | int | None = None,
        spherical: bool = False,
    ) -> torch.Tensor:
        """Decodes of ``steps`` codes on the path between the posterior means of two inputs."""
        raise NotImplementedError(f"model {self.registry_name!r} cannot interpolate")

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

    def condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The condition vector ``(n, cond_dim)`` appended to encoder and decoder inputs
        (``None`` for an unconditional model)."""
        return None

    @torch.no_grad()
    def init_output_bias(self, data_stat: torch.Tensor) -> None:
        """Data-dependent initialisation of the output layer (a model without one ignores
        it); ``data_stat`` is the data mean (arrays) or the token counts (sequences)."""


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
