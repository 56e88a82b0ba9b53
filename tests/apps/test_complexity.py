"""Input complexity (Serrà et al. 2020) and the complexity-corrected anomaly score."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import roc_auc_score

from vaekit.anomaly import VAEDetector
from vaekit.anomaly.complexity import complexity_nats


def test_png_length_in_nats_is_the_png_file():
    rng = np.random.default_rng(0)
    img = rng.random((1, 12, 12))
    buf = io.BytesIO()
    Image.fromarray(np.rint(img[0] * 255).astype(np.uint8), mode="L").save(
        buf, format="PNG", compress_level=9
    )
    (got,) = complexity_nats(img[None], "image")
    assert got == pytest.approx(len(buf.getvalue()) * 8 * math.log(2))


def test_simple_inputs_are_short_and_lengths_are_deterministic():
    rng = np.random.default_rng(0)
    blank, bar, noise = np.zeros((1, 28, 28)), np.zeros((1, 28, 28)), rng.random((1, 28, 28))
    bar[0, 4:24, 13:15] = 1.0
    lengths = complexity_nats(np.stack([blank, bar, noise]), "image")
    assert lengths[0] < lengths[1] < lengths[2]
    assert np.array_equal(lengths, complexity_nats(np.stack([blank, bar, noise]), "image"))
    assert complexity_nats(np.stack([blank[0], bar[0]]), "image").shape == (2,)  # (N, H, W)
    rgb = complexity_nats(rng.random((2, 3, 8, 8)), "image")
    assert rgb.shape == (2,) and np.all(rgb > 0)
    rows = np.stack([np.zeros(40), np.tile([1.0, -1.0], 20), rng.normal(size=40)])
    t = complexity_nats(rows, "tabular")
    assert t[0] < t[1] < t[2]
    with pytest.raises(ValueError, match="unknown kind"):
        complexity_nats(rows, "audio")


def test_complexity_score_is_elbo_minus_length_and_rescues_simple_outliers():
    """Inliers hold three random bars on black; outliers are nearly blank, which a Bernoulli
    model finds *likely* (the digit-1 failure): -ELBO ranks them as normal, the corrected
    score does not."""
    rng = np.random.default_rng(0)
    inl = np.zeros((300, 1, 16, 16))
    for img in inl:
        for r in rng.choice(16, 3, replace=False):
            img[0, r, :] = 1.0
    out = np.zeros((10, 1, 16, 16))
    out[:, 0, 7, 6:10] = 1.0  # one short stroke
    inl = np.clip(inl + 0.05 * rng.random(inl.shape), 0, 1)
    x = np.concatenate([inl, out])
    y = np.r_[np.zeros(300), np.ones(10)]
    det = VAEDetector(epochs=20, latent_dim=2, hidden=[32], random_state=0).fit(inl)
    elbo = det.decision_function(x)
    det.scoring = "elbo-complexity"
    corrected = det.decision_function(x)
    assert np.allclose(corrected, elbo - complexity_nats(x, "image"))
    assert roc_auc_score(y, elbo) < 0.5 < 0.9 < roc_auc_score(y, corrected)
