import math

import pytest
import torch
from torch.distributions import Bernoulli as TorchBernoulli
from torch.distributions import Normal, kl_divergence

from vaekit.distributions import (
    Bernoulli,
    DiagonalGaussianHead,
    DiagonalNormal,
    FixedGaussian,
    LearnedGaussian,
    StandardNormal,
    make_likelihood,
)
from vaekit.errors import ConfigError


def test_gaussian_kl_closed_form_matches_monte_carlo():
    torch.manual_seed(1)
    q = DiagonalNormal(torch.randn(3, 4), torch.randn(3, 4) * 0.5)
    prior = StandardNormal(4)
    closed = prior.kl_per_dim(q).sum(-1)  # (3,)
    z = q.rsample(200_000)  # (S, 3, 4)
    mc = (q.log_prob(z) - prior.log_prob(z)).mean(0)
    assert torch.allclose(closed, mc, atol=0.02), (closed, mc)
    # and against torch.distributions
    ref = kl_divergence(Normal(q.mean, q.std), Normal(0.0, 1.0)).sum(-1)
    assert torch.allclose(closed, ref, atol=1e-5)
    assert (prior.kl_per_dim(q) >= 0).all()


def test_diagonal_normal_log_prob_matches_torch():
    q = DiagonalNormal(torch.randn(5, 3), torch.randn(5, 3))
    z = torch.randn(5, 3)
    ref = Normal(q.mean, q.std).log_prob(z).sum(-1)
    assert torch.allclose(q.log_prob(z), ref, atol=1e-5)


def test_bernoulli_log_likelihood_matches_torch_distributions():
    logits = torch.randn(6, 1, 4, 4) * 3
    x = torch.bernoulli(torch.full((6, 1, 4, 4), 0.4))
    ours = Bernoulli((1, 4, 4)).log_prob(logits, x)
    ref = TorchBernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    assert ours.shape == (6,)
    assert torch.allclose(ours, ref, atol=1e-4)


def test_bernoulli_is_stable_for_extreme_logits():
    logits = torch.tensor([[200.0, -200.0]])
    lp = Bernoulli((2,)).log_prob(logits, torch.tensor([[0.0, 1.0]]))
    assert torch.isfinite(lp).all() and lp.item() == pytest.approx(-400.0)


def test_gaussian_likelihoods_match_normal():
    mu, x = torch.randn(4, 3), torch.randn(4, 3)
    fixed = FixedGaussian((3,), sigma=0.5).log_prob(mu, x)
    assert torch.allclose(fixed, Normal(mu, 0.5).log_prob(x).sum(-1), atol=1e-5)
    per_dim = LearnedGaussian((3,), per_dim=True)
    with torch.no_grad():
        per_dim.raw_log_sigma.copy_(torch.tensor([-1.0, 0.0, 1.0]))
    sig = torch.tensor([-1.0, 0.0, 1.0]).exp()
    assert torch.allclose(per_dim.log_prob(mu, x), Normal(mu, sig).log_prob(x).sum(-1), atol=1e-5)
    glob = LearnedGaussian((3,))
    assert glob.raw_log_sigma.shape == ()
    # gradient reaches the learned sigma
    glob.log_prob(mu, x).sum().backward()
    assert glob.raw_log_sigma.grad is not None


def test_logvar_is_clamped_so_exp_stays_finite():
    head = DiagonalGaussianHead(2, 3)
    with torch.no_grad():
        head.linear.weight.fill_(1e4)
    q = head(torch.ones(1, 2))
    assert torch.isfinite(q.std).all() and torch.isfinite(StandardNormal(3).kl_per_dim(q)).all()


def test_unknown_likelihood_is_refused():
    with pytest.raises(ConfigError, match="unknown likelihood 'poisson'"):
        make_likelihood("poisson", (3,))


def test_standard_normal_log_prob():
    z = torch.zeros(1, 2)
    assert StandardNormal(2).log_prob(z).item() == pytest.approx(-math.log(2 * math.pi))
