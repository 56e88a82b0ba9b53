"""Build the posterior head and the prior a model's options name."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from vaekit.distributions.flows import FLOWS, FlowGaussianHead
from vaekit.distributions.mixture_priors import MixtureOfGaussians, VampPrior
from vaekit.distributions.posteriors import DiagonalGaussianHead
from vaekit.distributions.priors import Prior, StandardNormal
from vaekit.errors import ConfigError

POSTERIORS = ("gaussian", *FLOWS)
PRIORS = ("normal", "mog", "vamp")


def make_posterior(name: str, in_dim: int, latent_dim: int, flow_steps: int = 4) -> nn.Module:
    """``gaussian`` (diagonal), ``planar`` or ``iaf`` (a flow of ``flow_steps`` steps)."""
    if name == "gaussian":
        return DiagonalGaussianHead(in_dim, latent_dim)
    if name in FLOWS:
        return FlowGaussianHead(in_dim, latent_dim, name, flow_steps)
    raise ConfigError(f"unknown posterior {name!r}; choose one of {', '.join(POSTERIORS)}")


def make_prior(
    name: str,
    latent_dim: int,
    input_shape: Sequence[int],
    components: int | None = None,
    unit_interval: bool = True,
) -> Prior:
    """``normal`` N(0, I), ``mog`` (10 components by default) or ``vamp`` (500)."""
    if name == "normal":
        return StandardNormal(latent_dim)
    if name == "mog":
        return MixtureOfGaussians(latent_dim, components or 10)
    if name == "vamp":
        return VampPrior(latent_dim, input_shape, components or 500, unit_interval)
    raise ConfigError(f"unknown prior {name!r}; choose one of {', '.join(PRIORS)}")
