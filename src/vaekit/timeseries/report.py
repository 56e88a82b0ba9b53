"""What a fitted time-series model is worth on its own data: held-out imputation errors beside
simple baselines, a figure of one channel, and generation scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vaekit.render.figure import pyplot, save_figure
from vaekit.timeseries.series import TimeSeries
from vaekit.timeseries.windows import hold_out, imputation_errors


def linear_interpolation(values: np.ndarray) -> np.ndarray:
    """Each channel's missing steps on the straight line between its observed neighbours
    (the first and last observed value carried outwards)."""
    out = values.copy()
    steps = np.arange(len(values))
    for j in range(values.shape[1]):
        seen = ~np.isnan(values[:, j])
        if seen.any():
            out[~seen, j] = np.interp(steps[~seen], steps[seen], values[seen, j])
    return out


def last_observation(values: np.ndarray) -> np.ndarray:
    """Each missing step filled with the channel's last observed value (the first observed
    one before any)."""
    out = values.copy()
    for j in range(values.shape[1]):
        col = out[:, j]
        seen = np.flatnonzero(~np.isnan(col))
        if not len(seen):
            continue
        idx = np.maximum.accumulate(np.where(~np.isnan(col), np.arange(len(col)), -1))
        col[:] = np.where(idx >= 0, col[np.maximum(idx, 0)], col[seen[0]])
    return out


def channel_means(values: np.ndarray) -> np.ndarray:
    """Each missing step filled with the channel's observed mean."""
    return np.where(np.isnan(values), np.nanmean(values, 0), values)


#: baselines every held-out check shows beside the model
BASELINES = {"mean": channel_means, "last observation": last_observation,
             "linear interpolation": linear_interpolation}  # fmt: skip


def held_out_check(imputer: Any, series: TimeSeries, rate: float = 0.1, seed: int = 0,
                   n_draws: int = 20) -> dict[str, Any]:  # fmt: skip
    """Hide ``rate`` of the observed entries (seeded), fill them with the model and with
    each baseline, and score them. Returns the errors by method, the interval coverage of
    the model's draws (5%-95%) and what the figure needs."""
    hidden, mask = hold_out(series.values, rate, seed)
    part = TimeSeries(hidden, series.times, series.channels, series.freq)
    filled = imputer.transform(part).values
    draws = np.stack([d.values for d in imputer.sample_imputations(part, n_draws)])
    lo, hi = np.quantile(draws, 0.05, axis=0), np.quantile(draws, 0.95, axis=0)
    truth = series.values
    errors = {"model": imputation_errors(truth, filled, mask)}
    for name, fill in BASELINES.items():
        errors[name] = imputation_errors(truth, fill(hidden), mask)
    inside = (truth[mask] >= lo[mask]) & (truth[mask] <= hi[mask])
    return {"errors": errors, "coverage_90": float(inside.mean()), "n_hidden": int(mask.sum()),
            "rate": rate, "hidden": hidden, "mask": mask, "filled": filled, "lo": lo,
            "hi": hi}  # fmt: skip


def draw_imputation(series: TimeSeries, check: dict[str, Any], channel: int, path: str | Path,
                    steps: int = 200) -> Path:  # fmt: skip
    """One channel over ``steps`` steps: observed points, held-out truth, the imputed mean
    and the 5%-95% band of the draws (where the model filled a step)."""
    plt = pyplot()
    mask, hidden = check["mask"][:, channel], check["hidden"][:, channel]
    start = int(np.argmax(mask)) if mask.any() else 0
    start = max(0, min(start, len(mask) - steps))
    sl = slice(start, start + steps)
    t = np.arange(len(mask))[sl]
    missing = np.isnan(hidden[sl])
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.fill_between(t, np.where(missing, check["lo"][sl, channel], np.nan),
                    np.where(missing, check["hi"][sl, channel], np.nan), color="C0", alpha=0.25,
                    label="5%-95% of the draws")  # fmt: skip
    ax.plot(t, check["filled"][sl, channel], color="C0", lw=1, label="imputed mean")
    ax.plot(t, hidden[sl], "k.", ms=3, label="observed")
    ax.plot(t[mask[sl]], series.values[sl, channel][mask[sl]], "rx", ms=5,
            label="held out (truth)")  # fmt: skip
    ax.set_xlabel("step")
    ax.set_ylabel(series.channels[channel])
    ax.legend(loc="upper right", fontsize=8, ncols=4)
    fig.tight_layout()
    return save_figure(fig, path)


def draw_generation(real: np.ndarray, fake: np.ndarray, channels: list[str] | tuple[str, ...],
                    path: str | Path, tsne: bool = True, seed: int = 0) -> Path:  # fmt: skip
    """Real against generated windows ``(N, T, C)``: the marginals of up to four channels,
    the autocorrelation of each channel, and the PCA (and t-SNE) pictures of the windows."""
    from vaekit.timeseries.fidelity import autocorrelation, embed

    plt = pyplot()
    shown = list(range(min(4, real.shape[2])))
    cols = max(3 if tsne else 2, len(shown))
    fig, axes = plt.subplots(2, cols, figsize=(3.2 * cols, 6.2), squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    for ax, c in zip(axes[0], shown, strict=False):
        ax.set_visible(True)
        both = np.concatenate([real[..., c].ravel(), fake[..., c].ravel()])
        bins = np.linspace(both.min(), both.max(), 41)
        ax.hist(real[..., c].ravel(), bins, density=True, alpha=0.5, label="real")
        ax.hist(fake[..., c].ravel(), bins, density=True, alpha=0.5, label="generated")
        ax.set_title(str(channels[c]), fontsize=9)
    axes[0][0].legend(fontsize=8)
    ax = axes[1][0]
    ax.set_visible(True)
    acf_r, acf_f = autocorrelation(real), autocorrelation(fake)
    lags = np.arange(len(acf_r))
    ax.plot(lags, acf_r, color="C0", lw=1, alpha=0.7)
    ax.plot(lags, acf_f, color="C1", lw=1, ls="--", alpha=0.7)
    ax.set_title("autocorrelation (solid real, dashed generated)", fontsize=8)
    ax.set_xlabel("lag")
    for ax, method in zip(axes[1][1:], ["pca", "tsne"] if tsne else ["pca"], strict=False):
        ax.set_visible(True)
        xy_r, xy_f = embed(real, fake, method, seed=seed)
        ax.scatter(*xy_r.T, s=3, alpha=0.4, label="real")
        ax.scatter(*xy_f.T, s=3, alpha=0.4, label="generated")
        ax.set_title("PCA" if method == "pca" else "t-SNE", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return save_figure(fig, path)
