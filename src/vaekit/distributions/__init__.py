"""Posteriors q(z|x), priors p(z) and likelihoods p(x|z)."""

from vaekit.distributions.flows import FlowGaussianHead, FlowPosterior
from vaekit.distributions.likelihoods import (
    LIKELIHOODS,
    Bernoulli,
    FixedGaussian,
    LearnedGaussian,
    Likelihood,
    make_likelihood,
)
from vaekit.distributions.mixture_priors import MixtureOfGaussians, VampPrior
from vaekit.distributions.posteriors import DiagonalGaussianHead, DiagonalNormal
from vaekit.distributions.priors import Prior, StandardNormal

__all__ = [
    "LIKELIHOODS",
    "Bernoulli",
    "DiagonalGaussianHead",
    "DiagonalNormal",
    "FixedGaussian",
    "FlowGaussianHead",
    "FlowPosterior",
    "LearnedGaussian",
    "Likelihood",
    "MixtureOfGaussians",
    "Prior",
    "StandardNormal",
    "VampPrior",
    "make_likelihood",
]
