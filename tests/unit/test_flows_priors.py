"""Flow posteriors and learned priors: log-determinants, masks, Monte Carlo KL."""

from __future__ import annotations

import pytest
import torch
from torch.autograd.functional import jacobian

from vaekit.distributions import (
    DiagonalNormal,
    FlowGaussianHead,
    MixtureOfGaussians,
    StandardNormal,
    VampPrior,
)
from vaekit.distributions.flows import IAFStep, PlanarFlow, made_masks
from vaekit.errors import ConfigError
from vaekit.models import create_model


def _check_logdet(step: torch.nn.Module, d: int) -> None:
    g = torch.Generator().manual_seed(1)
    h = torch.randn(1, 5, generator=g)
    for _ in range(3):
        z = torch.randn(1, d, generator=g)
        _, logdet = step(z, h)
        jac = jacobian(lambda v: step(v.unsqueeze(0), h)[0][0], z[0])  # (D, D)
        expected = torch.linalg.slogdet(jac.double()).logabsdet
        assert logdet.item() == pytest.approx(expected.item(), abs=1e-4)


def test_planar_log_det_matches_the_autograd_jacobian():
    torch.manual_seed(0)
    step = PlanarFlow(5, 4)
    torch.nn.init.normal_(step.params.weight, std=1.0)  # far from the identity
    torch.nn.init.normal_(step.params.bias, std=1.0)
    _check_logdet(step, 4)


@pytest.mark.parametrize("reverse", [False, True])
def test_iaf_log_det_matches_the_autograd_jacobian(reverse):
    torch.manual_seed(0)
    step = IAFStep(5, 4, 16, reverse)
    for p in step.parameters():
        torch.nn.init.normal_(p, std=0.5)
    _check_logdet(step, 4)


@pytest.mark.parametrize("reverse", [False, True])
def test_iaf_is_autoregressive(reverse):
    torch.manual_seed(0)
    d = 6
    step = IAFStep(3, d, 24, reverse)
    for p in step.parameters():
        torch.nn.init.normal_(p, std=0.5)
    h = torch.randn(1, 3)
    jac = jacobian(lambda v: step(v.unsqueeze(0), h)[0][0], torch.randn(d))
    if reverse:  # the order is flipped: output i depends on inputs j >= i
        jac = jac.flip(0).flip(1)
    upper = torch.triu(jac, diagonal=1)
    assert torch.all(upper == 0), "an output depends on a later input"
    assert torch.all(torch.tril(jac, diagonal=-1).abs().sum() > 0)
    # MADE masks: output i sees exactly the inputs before it
    m1, m2 = made_masks(d, 24)
    reach = (m2 @ m1) > 0  # (d, d): output i reaches input j
    assert torch.equal(reach, torch.tril(torch.ones(d, d, dtype=torch.bool), diagonal=-1))


def test_flow_posterior_log_q_is_the_base_density_minus_the_log_dets():
    torch.manual_seed(0)
    head = FlowGaussianHead(5, 3, "planar", 2)
    h = torch.randn(4, 5)
    q = head(h)
    torch.manual_seed(7)
    z, log_q = q.rsample_and_log_prob()
    torch.manual_seed(7)
    z0, log_q0 = q.base.rsample_and_log_prob()
    total = torch.zeros(4)
    zk = z0
    for step in head.steps:
        zk, ld = step(zk, h)
        total = total + ld
    torch.testing.assert_close(z, zk)
    torch.testing.assert_close(log_q, log_q0 - total)
    with pytest.raises(ConfigError, match="own samples"):
        q.log_prob(z)
    with pytest.raises(ConfigError, match="unknown flow"):
        FlowGaussianHead(5, 3, "radial", 2)


def test_mixture_with_one_standard_component_has_the_closed_form_kl():
    torch.manual_seed(0)
    prior = MixtureOfGaussians(3, components=1)
    with torch.no_grad():
        prior.means.zero_()
        prior.logvars.zero_()
    q = DiagonalNormal(torch.tensor([[0.5, -1.0, 2.0]]), torch.tensor([[-0.5, 0.3, -1.0]]))
    closed = StandardNormal(3).kl_per_dim(q).sum()
    z, log_q = q.rsample_and_log_prob(200_000)  # (n, 1, D), (n, 1)
    mc = (log_q - prior.log_prob(z)).mean()
    assert mc.item() == pytest.approx(closed.item(), abs=0.02)
    # and its log density is that of N(0, I)
    torch.testing.assert_close(prior.log_prob(z[:10]), StandardNormal(3).log_prob(z[:10]))


def test_mixture_samples_follow_its_components():
    torch.manual_seed(0)
    prior = MixtureOfGaussians(2, components=2)
    with torch.no_grad():
        prior.means.copy_(torch.tensor([[-5.0, 0.0], [5.0, 0.0]]))
        prior.logvars.fill_(-4.0)
        prior.logits.copy_(torch.tensor([0.0, torch.log(torch.tensor(3.0))]))
    z = prior.sample(20000)
    assert (z[:, 0] > 0).float().mean().item() == pytest.approx(0.75, abs=0.02)
    assert z[z[:, 0] > 0, 0].mean().item() == pytest.approx(5.0, abs=0.01)


def test_vamp_prior_is_the_mixture_of_pseudo_input_posteriors():
    torch.manual_seed(0)
    model = create_model("vae", input_shape=(6,), latent_dim=2, hidden=[8], prior="vamp",
                         prior_components=3, likelihood="bernoulli")  # fmt: skip
    prior = model.prior
    assert isinstance(prior, VampPrior) and prior.pseudo_inputs.shape == (3, 6)
    u = prior.pseudo_inputs.clamp(0, 1)
    q = model.encode(u)
    z = torch.randn(5, 2)
    comps = torch.stack([DiagonalNormal(q.mean[k], q.logvar[k]).log_prob(z) for k in range(3)])
    expected = torch.logsumexp(comps, 0) - torch.log(torch.tensor(3.0))
    torch.testing.assert_close(prior.log_prob(z), expected)
    # gradients reach the pseudo-inputs and the encoder through the prior
    model.loss(torch.rand(4, 6).round()).total.backward()
    assert prior.pseudo_inputs.grad is not None and prior.pseudo_inputs.grad.abs().sum() > 0
    assert model.prior.sample(7).shape == (7, 2)
    # the encoder's weights are stored once
    assert not any(k.startswith("prior.") and "encoder" in k for k in model.state_dict())
    with pytest.raises(ConfigError, match="VampPrior needs"):
        create_model("vae", input_shape=(6,), latent_dim=2, hidden=[8], prior="vamp",
                     posterior="iaf")  # fmt: skip
