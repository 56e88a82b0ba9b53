"""The one-dimensional Dirichlet-process Gaussian mixture of the table transformer."""

from __future__ import annotations

import numpy as np
import pytest

from vaekit.data.mixture1d import fit_mixture_1d


def three_modes(n: int = 6000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [rng.normal(-5, 0.5, n // 2), rng.normal(0, 1.0, n // 3), rng.normal(6, 0.25, n // 6)]
    return np.concatenate(parts)


TRUE = ([1 / 2, 1 / 3, 1 / 6], [-5.0, 0.0, 6.0], [0.5, 1.0, 0.25])


def mean_log_density(x: np.ndarray, w, mu, sd) -> float:
    w, mu, sd = (np.asarray(a, dtype=float) for a in (w, mu, sd))
    dens = (w / (sd * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((x[:, None] - mu) / sd) ** 2)).sum(1)
    return float(np.log(dens).mean())


def test_recovers_a_known_mixture():
    mix = fit_mixture_1d(three_modes(), n_components=10, seed=0)
    assert mix.weights.sum() == pytest.approx(1.0) and (mix.weights >= 0).all()
    # the fitted density is the true one: held-out log-likelihood within 0.03 nats (a fit
    # that merged two modes loses more than 0.5)
    test = three_modes(6000, seed=9)
    fitted = mean_log_density(test, mix.weights, mix.means, mix.stds)
    assert fitted == pytest.approx(mean_log_density(test, *TRUE), abs=0.03)
    # each true mode gets its weight from the components that sit on it (a DP mixture may
    # split a mode between components, never blur two modes into one)
    for w, mu, sd in zip(*TRUE, strict=True):
        near = np.abs(mix.means - mu) < 2 * sd
        assert mix.weights[near].sum() == pytest.approx(w, abs=0.01)
        assert (mix.stds[near & (mix.weights > 0.005)] < 1.5 * sd).all()
    # a far smaller concentration is a prior for fewer modes: spare components get ~no weight
    assert np.sort(mix.weights)[:2].sum() < 0.01


def test_fits_as_well_as_scikit_learns_estimator():
    from sklearn.mixture import BayesianGaussianMixture

    x, test = three_modes(3000, seed=1), three_modes(6000, seed=2)
    ref = BayesianGaussianMixture(
        n_components=10, weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3, max_iter=100, random_state=0,
    ).fit(x[:, None])  # fmt: skip
    mix = fit_mixture_1d(x, 10, 1e-3, max_iter=100)
    ours = mean_log_density(test, mix.weights, mix.means, mix.stds)
    assert ours == pytest.approx(float(ref.score_samples(test[:, None]).mean()), abs=0.01)


def test_units_do_not_matter_and_repeats_count():
    x = np.round(three_modes(2000, seed=2), 1)  # many repeated values
    a = fit_mixture_1d(x, 5, seed=3)
    b = fit_mixture_1d(1000 * x - 7, 5, seed=3)
    # (equal up to float rounding over 100 iterations: 1e-5 of the range of ~11,000)
    np.testing.assert_allclose(b.weights, a.weights, atol=1e-5)
    np.testing.assert_allclose(b.means, 1000 * a.means - 7, atol=0.1)
    np.testing.assert_allclose(b.stds, 1000 * a.stds, rtol=1e-4)
    # the data's order is irrelevant (distinct values are fitted with their counts)
    c = fit_mixture_1d(np.random.default_rng(0).permutation(x), 5, seed=3)
    np.testing.assert_allclose(c.means, a.means)


def test_spikes_and_few_distinct_values():
    x = np.r_[np.zeros(900), np.full(100, 40.0)]  # two values only: two components
    mix = fit_mixture_1d(x, 10)
    assert len(mix.weights) == 2
    order = np.argsort(mix.means)
    np.testing.assert_allclose(mix.means[order], [0, 40], atol=0.5)  # shrunk to the mean a bit
    np.testing.assert_allclose(mix.weights[order], [0.9, 0.1], atol=0.01)
    with pytest.raises(ValueError, match="two finite"):
        fit_mixture_1d(np.array([1.0]))
    with pytest.raises(ValueError, match="two finite"):
        fit_mixture_1d(np.array([1.0, np.nan, 2.0]))
