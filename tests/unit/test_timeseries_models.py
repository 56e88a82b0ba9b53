"""The time-series models' parts: the masked likelihood ignores missing entries exactly, the
GP prior's KL equals the brute-force Gaussian KL, the banded posterior samples its covariance,
and GP-VAE and the recurrent VAE train, sample and impute windows of the right shape."""

from __future__ import annotations

import pytest
import torch

from vaekit.distributions.gp import BandedGaussian, GPPrior, kernel_matrix
from vaekit.distributions.series import MaskedSeriesLikelihood
from vaekit.errors import ConfigError, DataError
from vaekit.models import create_model


def _window(b: int = 6, t: int = 12, c: int = 3, missing: float = 0.3) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(b, t, c, generator=g)
    x[torch.rand(b, t, c, generator=g) < missing] = float("nan")
    return x


@pytest.mark.parametrize("kind", ["gaussian", "student-t"])
def test_the_masked_likelihood_ignores_missing_entries_exactly(kind):
    lik = MaskedSeriesLikelihood(3, kind)
    x = _window()
    params = torch.randn(6, 12, 6, requires_grad=True)
    lik.log_prob(params, x).sum().backward()
    missing = torch.isnan(x)
    grad_loc, grad_scale = params.grad.split(3, dim=-1)
    assert (grad_loc[missing] == 0).all() and (grad_scale[missing] == 0).all()
    assert (grad_loc[~missing] != 0).all()
    # whatever the missing entries would have been, the log-likelihood is the same
    filled = torch.where(missing, torch.full_like(x, 1e6), x)
    observed_only = lik.log_prob_entries(params, filled) * ~missing
    assert torch.equal(lik.log_prob(params, x), observed_only.sum((-2, -1)))


def test_the_gaussian_likelihood_is_the_normal_log_density():
    lik = MaskedSeriesLikelihood(1, "gaussian")
    params = torch.tensor([[[0.5, 0.3]]])  # loc 0.5, raw scale 0.3
    x = torch.tensor([[[1.25]]])
    scale = torch.nn.functional.softplus(torch.tensor(0.3)) + 1e-3
    expected = torch.distributions.Normal(0.5, scale).log_prob(torch.tensor(1.25))
    assert lik.log_prob(params, x).item() == pytest.approx(expected.item(), abs=1e-6)
    lik_t = MaskedSeriesLikelihood(1, "student-t")
    expected_t = torch.distributions.StudentT(lik_t.df()[0], 0.5, scale).log_prob(
        torch.tensor(1.25))  # fmt: skip
    assert lik_t.log_prob(params, x).item() == pytest.approx(expected_t.item(), abs=1e-5)


@pytest.mark.parametrize("kernel", ["cauchy", "rbf", "matern"])
def test_gp_kl_equals_the_brute_force_gaussian_kl(kernel):
    torch.manual_seed(0)
    b, d, t = 3, 4, 6
    prior = GPPrior(d, t, kernel, length_scale=2.0, sigma=1.3, kernel_scales=2)
    prior = prior.double()
    q = BandedGaussian(torch.randn(b, d, t, dtype=torch.float64),
                       torch.rand(b, d, t, dtype=torch.float64) + 0.5,
                       torch.randn(b, d, t - 1, dtype=torch.float64))  # fmt: skip
    got = prior.kl(q)  # (B, D)
    cov_q = q.covariance()
    for i in range(b):
        for j in range(d):
            scale = 2.0 / 2 ** (j * 2 // d)  # the second half of the dimensions: half the scale
            cov_p = kernel_matrix(kernel, t, scale, 1.3)
            brute = torch.distributions.kl_divergence(
                torch.distributions.MultivariateNormal(q.mean[i, j], cov_q[i, j]),
                torch.distributions.MultivariateNormal(torch.zeros(t, dtype=torch.float64),
                                                       cov_p),
            )  # fmt: skip
            assert got[i, j].item() == pytest.approx(brute.item(), rel=1e-6, abs=1e-8)


def test_banded_posterior_samples_its_covariance():
    torch.manual_seed(0)
    q = BandedGaussian(torch.zeros(1, 1, 4), torch.tensor([[[1.0, 2.0, 0.5, 1.5]]]),
                       torch.tensor([[[0.8, -1.0, 0.3]]]))  # fmt: skip
    z = q.rsample(200_000)[:, 0, 0]  # (n, T)
    empirical = torch.cov(z.T)
    assert torch.allclose(empirical, q.covariance()[0, 0], atol=0.03)
    precision = q.precision_factor()[0, 0].T @ q.precision_factor()[0, 0]
    assert torch.allclose(torch.linalg.inv(q.covariance()[0, 0]), precision, atol=1e-4)


@pytest.mark.parametrize("name", ["gp-vae", "rnn-vae"])
def test_models_train_sample_and_impute_windows(name):
    torch.manual_seed(0)
    model = create_model(name, input_shape=(12, 3), latent_dim=4)
    x = _window()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        out = model.loss(x)
        opt.zero_grad()
        out.total.backward()
        opt.step()
        first = first if first is not None else out.total.item()
    assert out.total.item() < first  # it learns
    assert out.kl_per_dim.shape == (4,) and torch.isfinite(out.total)
    assert model.sample(5).shape == (5, 12, 3)
    assert model.impute_mean(x).shape == (6, 12, 3)
    assert model.impute_mean(x, n_samples=4).shape == (6, 12, 3)
    assert model.draw_windows(x, 2).shape == (2, 6, 12, 3)


@pytest.mark.parametrize("name", ["gp-vae", "rnn-vae"])
def test_models_refuse_windows_of_another_shape(name):
    model = create_model(name, input_shape=(12, 3), latent_dim=4)
    with pytest.raises(DataError, match=r"windows of shape \(N, 12, 3\).*got \(6, 12, 2\)"):
        model.loss(torch.zeros(6, 12, 2))
    with pytest.raises(ConfigError, match="input_shape"):
        create_model(name, input_shape=(12,))


def test_gp_prior_options_are_checked():
    with pytest.raises(ConfigError, match="unknown GP kernel 'periodic'"):
        kernel_matrix("periodic", 4, 1.0)
    with pytest.raises(ConfigError, match="kernel_scales"):
        GPPrior(2, 4, kernel_scales=3)
    with pytest.raises(ConfigError, match="window_size"):
        create_model("gp-vae", input_shape=(12, 3), window_size=2)


def test_input_dropout_hides_observed_entries_from_the_encoder_in_training_only():
    from vaekit.models.gpvae import hide_inputs

    torch.manual_seed(0)
    x = _window(b=200, missing=0.3)
    hidden = hide_inputs(x, 0.4)
    was_missing = torch.isnan(x)
    assert torch.isnan(hidden[was_missing]).all()  # missing stays missing
    share = torch.isnan(hidden[~was_missing]).float().mean().item()
    assert 0.37 < share < 0.43
    model = create_model("gp-vae", input_shape=(12, 3), latent_dim=2, input_dropout=0.4)
    model.eval()
    plain = create_model("gp-vae", input_shape=(12, 3), latent_dim=2).eval()
    plain.load_state_dict(model.state_dict())
    torch.manual_seed(1)
    a = model.loss(x).total
    torch.manual_seed(1)
    assert torch.equal(a, plain.loss(x).total)  # evaluation: the encoder sees every entry
    with pytest.raises(ConfigError, match="input_dropout"):
        create_model("rnn-vae", input_shape=(12, 3), input_dropout=1.0)


def test_long_trajectories_keep_the_prior_covariance_across_blocks():
    """Stitched block by block, the trajectories have the kernel's covariance everywhere,
    across the joins too (independent blocks would give ~0 there)."""
    prior = GPPrior(2, 8, "cauchy", length_scale=2.0)
    torch.manual_seed(0)
    z = prior.sample_long(6000, 40, context=8, block=8).double()  # (6000, 2, 40); joins 16, 24
    k = kernel_matrix("cauchy", 40, 2.0)  # (40, 40)
    for s, t in [(0, 0), (15, 16), (23, 24), (20, 26), (30, 39), (5, 35)]:
        emp = (z[:, :, s] * z[:, :, t]).mean().item()
        assert emp == pytest.approx(k[s, t].item(), abs=0.05), (s, t)
    assert z.mean().abs().item() < 0.03
    short = prior.sample_long(3, 5)
    assert short.shape == (3, 2, 5)
    with pytest.raises(ConfigError, match=">= 1"):
        prior.sample_long(3, 0)


def test_gp_vae_generates_series_longer_than_its_window():
    model = create_model("gp-vae", input_shape=(12, 3), latent_dim=2, hidden=[16])
    torch.manual_seed(0)
    long = model.sample_long(4, 100)
    assert long.shape == (4, 100, 3) and torch.isfinite(long).all()
    drawn = model.sample_long(4, 100, noise=True)
    assert drawn.shape == (4, 100, 3) and not torch.equal(drawn, long)
