"""Marginals, autocorrelation and 2-D embeddings of real against generated windows:
known answers on small cases and one-line refusals."""

from __future__ import annotations

import numpy as np
import pytest

from vaekit.errors import ConfigError, DataError
from vaekit.timeseries.fidelity import (
    autocorrelation,
    embed,
    fidelity_summary,
    marginal_distances,
)


def _ar1(n: int, steps: int, phi: float, seed: int = 0) -> np.ndarray:
    """``n`` windows of an AR(1) with coefficient ``phi`` started from its stationary law."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, steps))
    x[:, 0] = rng.normal(size=n) / np.sqrt(1 - phi**2)
    for t in range(1, steps):
        x[:, t] = phi * x[:, t - 1] + rng.normal(size=n)
    return x


def test_autocorrelation_of_an_ar1_is_phi_to_the_lag():
    w = np.stack([_ar1(200, 200, 0.8), _ar1(200, 200, 0.0, seed=1)], -1)  # (200, 200, 2)
    acf = autocorrelation(w, max_lag=3)
    assert acf.shape == (4, 2)
    assert acf[0] == pytest.approx([1, 1])
    assert acf[1:, 0] == pytest.approx([0.8, 0.64, 0.512], abs=0.03)
    assert np.abs(acf[1:, 1]).max() < 0.02
    assert autocorrelation(w[:, :24]).shape == (13, 2)  # half the window by default
    with pytest.raises(ConfigError, match="max_lag"):
        autocorrelation(w, max_lag=200)


def test_ks_statistic_known_cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 10, 2))
    assert marginal_distances(a, a) == pytest.approx([0, 0])
    assert marginal_distances(a, a + 100) == pytest.approx([1, 1])
    shifted = marginal_distances(a, rng.normal(size=(300, 10, 2)) + 1.0)
    assert shifted == pytest.approx([0.383, 0.383], abs=0.03)  # 2 Phi(0.5) - 1
    with pytest.raises(DataError, match="channels"):
        marginal_distances(a, a[..., :1])


def test_embeddings_put_real_and_generated_windows_in_one_plane():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(80, 12, 3))
    fake = rng.normal(size=(60, 12, 3)) + 5
    xr, xf = embed(real, fake, "pca", n=50)
    assert xr.shape == (50, 2) and xf.shape == (50, 2)
    # the generated windows sit apart along the first component (their mean is shifted)
    assert abs(xf[:, 0].mean() - xr[:, 0].mean()) > 5 * xr[:, 0].std()
    xr, xf = embed(real, fake, "tsne", n=40)
    assert xr.shape == (40, 2) and xf.shape == (40, 2)
    with pytest.raises(ConfigError, match="unknown embedding"):
        embed(real, fake, "umap")
    with pytest.raises(DataError, match="missing or infinite"):
        embed(np.full((4, 12, 3), np.nan), fake)


def test_fidelity_summary_names_the_channels():
    rng = np.random.default_rng(0)
    real = np.stack([_ar1(100, 24, 0.9), _ar1(100, 24, 0.5, 1)], -1)
    same = fidelity_summary(real, real, ["a", "b"])
    assert same["ks"] == {"a": 0.0, "b": 0.0} and same["acf_gap"] == 0.0
    noise = fidelity_summary(real, rng.normal(size=real.shape) * real.std(), ["a", "b"])
    # white noise has (almost) no autocorrelation: the gap is the real one's size
    expected = np.abs(autocorrelation(real)[1:]).mean()
    assert expected > 0.1 and noise["acf_gap"] == pytest.approx(expected, abs=0.03)
