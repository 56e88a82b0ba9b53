"""Likelihoods p(x|z): the decoder outputs their parameters.

Each likelihood takes the decoder output ``params`` of shape ``(B, *event_shape)`` and
returns log-probabilities summed over the event dimensions, ``(B,)``.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from vaekit.errors import ConfigError

LOG_2PI = math.log(2 * math.pi)
LOG_SIGMA_MIN, LOG_SIGMA_MAX = -7.0, 5.0


class Likelihood(nn.Module, abc.ABC):
    """p(x|z) given the decoder output."""

    #: whether data must lie in [0, 1] (checked by the data layer)
    needs_unit_interval: bool = False

    @abc.abstractmethod
    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) summed over the event dimensions: ``(B,)`` (or ``(..., B)``)."""

    @abc.abstractmethod
    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """E[x|z], same shape as ``params``."""

    def sample(self, params: torch.Tensor) -> torch.Tensor:
        """Draw x ~ p(x|z)."""
        return self.mean(params)

    def init_bias(self, data_mean: torch.Tensor) -> torch.Tensor:
        """Output-layer bias that makes ``mean`` equal ``data_mean`` when the rest is zero."""
        return data_mean


def _event_sum(t: torch.Tensor, event_dims: int) -> torch.Tensor:
    return t.flatten(-event_dims).sum(-1) if event_dims else t


class Bernoulli(Likelihood):
    """Bernoulli pixels from logits (``binary_cross_entropy_with_logits``).

    Accepts binary data and, as the everyday protocol does, grey levels in [0, 1].
    """

    needs_unit_interval = True

    def __init__(self, event_shape: Sequence[int]) -> None:
        super().__init__()
        self.event_dims = len(event_shape)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # log p = x * l - softplus(l): the negated binary cross-entropy with logits, in two
        # passes over the logits instead of BCE's several
        logits = params.flatten(-self.event_dims)  # (..., B, P)
        xf = x.flatten(-self.event_dims)  # (B, P), broadcast over leading sample dims
        return (logits * xf).sum(-1) - F.softplus(logits).sum(-1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(params)

    def sample(self, params: torch.Tensor) -> torch.Tensor:
        return torch.bernoulli(torch.sigmoid(params))

    def init_bias(self, data_mean: torch.Tensor) -> torch.Tensor:
        p = data_mean.clamp(1e-3, 1 - 1e-3)
        return torch.log(p) - torch.log1p(-p)


class _GaussianBase(Likelihood):
    def __init__(self, event_shape: Sequence[int]) -> None:
        super().__init__()
        self.event_shape = tuple(event_shape)
        self.event_dims = len(event_shape)

    @abc.abstractmethod
    def log_sigma(self) -> torch.Tensor:
        """Log standard deviation, broadcastable to the event shape."""

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        log_sigma = self.log_sigma()
        z = (x - params) * torch.exp(-log_sigma)
        lp = -0.5 * (z**2 + LOG_2PI) - log_sigma
        return _event_sum(lp.expand_as(params), self.event_dims)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return params

    def sample(self, params: torch.Tensor) -> torch.Tensor:
        return params + torch.randn_like(params) * torch.exp(self.log_sigma())


class FixedGaussian(_GaussianBase):
    """Gaussian with fixed standard deviation ``sigma`` (sigma=1 gives MSE/2 plus a constant)."""

    def __init__(self, event_shape: Sequence[int], sigma: float = 1.0) -> None:
        super().__init__(event_shape)
        if not sigma > 0:
            raise ConfigError(f"sigma must be positive, got {sigma}")
        self.register_buffer("_log_sigma", torch.tensor(math.log(sigma)))

    def log_sigma(self) -> torch.Tensor:
        return self._log_sigma


class LearnedGaussian(_GaussianBase):
    """Gaussian with a learned standard deviation, one global value or one per dimension.

    The log standard deviation is clamped to ``[LOG_SIGMA_MIN, LOG_SIGMA_MAX]`` so that a
    perfectly fitted dimension cannot drive the likelihood to infinity.
    """

    def __init__(
        self, event_shape: Sequence[int], per_dim: bool = False, sigma: float = 1.0
    ) -> None:
        super().__init__(event_shape)
        shape = self.event_shape if per_dim else ()
        self.raw_log_sigma = nn.Parameter(torch.full(shape, math.log(sigma)))

    def log_sigma(self) -> torch.Tensor:
        return self.raw_log_sigma.clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX)


class Categorical(Likelihood):
    """One token out of a vocabulary, from logits ``(..., V)``: the likelihood of sequence
    models, applied per position (the model sums over the positions that are not padding)."""

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``log softmax(params)[x]``: ``params`` ``(..., V)``, ``x`` ``(...)`` ids -> ``(...)``."""
        return -F.cross_entropy(params.reshape(-1, params.shape[-1]).float(), x.reshape(-1),
                                reduction="none").view(x.shape)  # fmt: skip

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """Token probabilities ``(..., V)``."""
        return torch.softmax(params.float(), dim=-1)

    def sample(self, params: torch.Tensor) -> torch.Tensor:
        return torch.multinomial(self.mean(params).reshape(-1, params.shape[-1]), 1).view(
            params.shape[:-1]
        )


class Multinomial(Likelihood):
    """Counts over ``I`` items from logits ``(B, I)``: ``sum_i x_i log softmax(logits)_i``.

    The likelihood of Mult-VAE (Liang et al. 2018). As in the paper's code, the
    multinomial coefficient (constant in the parameters) is left out, so ``log_prob`` is
    the log-probability of the clicks in one fixed order.
    """

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``(..., I)`` logits and counts -> ``(...)``."""
        return (torch.log_softmax(params.float(), dim=-1) * x).sum(-1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """Item probabilities ``pi(z)`` ``(..., I)`` (the expected share of each item)."""
        return torch.softmax(params.float(), dim=-1)

    def init_bias(self, data_mean: torch.Tensor) -> torch.Tensor:
        """Logits of the items' shares of all clicks (``data_mean``: mean counts ``(I,)``)."""
        share = data_mean.clamp_min(0) + 1e-8
        return (share / share.sum()).log()


_Factory = Callable[[Sequence[int], float], Likelihood]

#: name -> (factory(event_shape, sigma), one-line description)
LIKELIHOODS: dict[str, tuple[_Factory, str]] = {
    "bernoulli": (lambda shape, sigma: Bernoulli(shape), "Bernoulli from logits; data in [0, 1]"),
    "gaussian": (FixedGaussian, "Gaussian with fixed sigma (model.sigma, default 1)"),
    "gaussian-learned": (
        lambda shape, sigma: LearnedGaussian(shape, per_dim=False, sigma=sigma),
        "Gaussian with one learned sigma",
    ),
    "gaussian-learned-dim": (
        lambda shape, sigma: LearnedGaussian(shape, per_dim=True, sigma=sigma),
        "Gaussian with a learned sigma per data dimension",
    ),
    "categorical": (
        lambda shape, sigma: Categorical(),
        "categorical over a vocabulary, per token (sequence models)",
    ),
}


def make_likelihood(name: str, event_shape: Sequence[int], sigma: float = 1.0) -> Likelihood:
    """Build the likelihood called ``name`` (see :data:`LIKELIHOODS`)."""
    try:
        factory, _ = LIKELIHOODS[name]
    except KeyError:
        raise ConfigError(
            f"unknown likelihood {name!r}; choose one of {', '.join(LIKELIHOODS)}"
        ) from None
    return factory(event_shape, sigma)
