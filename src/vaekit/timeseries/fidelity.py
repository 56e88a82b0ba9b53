"""How much generated windows look like real ones, beyond the TimeGAN scores: per-channel
marginals, autocorrelation, and 2-D embeddings of real and synthetic windows together (the
PCA and t-SNE pictures of TimeGAN and TimeVAE)."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.errors import ConfigError, DataError


def _windows(name: str, w: Any) -> np.ndarray:
    arr = np.asarray(w, np.float64)
    if arr.ndim != 3 or arr.shape[1] < 2 or arr.size == 0:
        raise DataError(f"{name}: windows are (N, steps >= 2, channels), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError(f"{name}: the windows hold missing or infinite values; pass complete "
                        "ones")  # fmt: skip
    return arr


def autocorrelation(windows: Any, max_lag: int | None = None) -> np.ndarray:
    """Autocorrelation of each channel at lags ``0..max_lag`` ``(max_lag + 1, C)``, pooled over
    windows: ``sum (x_t - m)(x_{t+k} - m) / sum (x_t - m)^2`` with ``m`` each window's mean
    (a channel constant in every window gets NaN). ``max_lag`` defaults to half the window."""
    x = _windows("windows", windows)
    steps = x.shape[1]
    max_lag = steps // 2 if max_lag is None else int(max_lag)
    if not 0 <= max_lag < steps:
        raise ConfigError(f"max_lag must be in 0..{steps - 1}, got {max_lag}")
    d = x - x.mean(1, keepdims=True)  # (N, T, C)
    var = (d**2).sum((0, 1))  # (C,)
    lagged = np.stack([(d[:, : steps - k] * d[:, k:]).sum((0, 1)) for k in range(max_lag + 1)])
    with np.errstate(invalid="ignore", divide="ignore"):
        return lagged / var


def marginal_distances(real: Any, fake: Any) -> np.ndarray:
    """Two-sample Kolmogorov-Smirnov statistic of each channel ``(C,)``: the largest gap
    between the empirical distribution functions of its real and generated values (0:
    the same; 1: no overlap)."""
    r, f = _windows("real", real), _windows("fake", fake)
    if r.shape[2] != f.shape[2]:
        raise DataError(f"real windows have {r.shape[2]} channels, generated ones {f.shape[2]}")
    out = np.empty(r.shape[2])
    for c in range(r.shape[2]):
        a, b = np.sort(r[..., c].ravel()), np.sort(f[..., c].ravel())
        grid = np.concatenate([a, b])
        cdf_a = np.searchsorted(a, grid, side="right") / len(a)
        cdf_b = np.searchsorted(b, grid, side="right") / len(b)
        out[c] = np.abs(cdf_a - cdf_b).max()
    return out


def embed(real: Any, fake: Any, method: str = "pca", n: int = 1000,
          seed: int = 0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """2-D coordinates of up to ``n`` real and ``n`` generated windows, each window reduced
    to its mean over channels (a ``T``-vector) as TimeGAN's visualisation does.

    ``"pca"``: the first two principal components of the real windows, the generated ones
    projected onto them; ``"tsne"``: one t-SNE of both (perplexity 40). Returns
    ``(real_xy, fake_xy)``, each ``(n_i, 2)``."""
    r, f = _windows("real", real), _windows("fake", fake)
    if r.shape[1:] != f.shape[1:]:
        raise DataError(f"real and generated windows differ in shape: {r.shape[1:]} and "
                        f"{f.shape[1:]}")  # fmt: skip
    rng = np.random.default_rng(seed)
    r = r[rng.permutation(len(r))[:n]].mean(2)  # (n, T)
    f = f[rng.permutation(len(f))[:n]].mean(2)
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2).fit(r)
        return pca.transform(r), pca.transform(f)
    if method == "tsne":
        from sklearn.manifold import TSNE

        both = np.concatenate([r, f])
        perplexity = min(40.0, (len(both) - 1) / 3)
        xy = TSNE(n_components=2, perplexity=perplexity, init="pca",
                  random_state=seed).fit_transform(both)  # fmt: skip
        return xy[: len(r)], xy[len(r) :]
    raise ConfigError(f"unknown embedding {method!r}; choose pca or tsne")


def fidelity_summary(real: Any, fake: Any, channels: list[str] | tuple[str, ...]) -> dict:
    """The numbers the report prints: KS statistic per channel and the mean absolute gap
    between the real and generated autocorrelations (lags 1..half the window; ``None``
    when every channel is constant within windows)."""
    ks = marginal_distances(real, fake)
    gap = np.abs(autocorrelation(real)[1:] - autocorrelation(fake)[1:])  # (lags, C)
    finite = gap[np.isfinite(gap)]  # a channel constant in every window has none
    return {"ks": {c: float(v) for c, v in zip(channels, ks, strict=True)},
            "ks_mean": float(ks.mean()),
            "acf_gap": float(finite.mean()) if finite.size else None}  # fmt: skip
