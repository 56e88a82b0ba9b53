"""Windows over a series, per-channel scaling, and held-out masks for imputation scores.

The held-out protocol is the one BRITS (Cao et al. 2018) and SAITS (Du et al. 2023) use:
a seeded share of the *observed* entries is hidden from the model, the model fills them,
and only those entries are scored (MAE, RMSE, MRE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaekit.errors import ConfigError, DataError

#: per-channel scalings: ``standard`` (observed mean and standard deviation) or ``minmax``
#: (observed minimum to 0, maximum to 1, as TimeGAN scales its data)
SCALINGS = ("standard", "minmax")


def window_starts(length: int, window: int, stride: int) -> np.ndarray:
    """Start steps of the windows: every ``stride`` steps, the last window ending at the
    series' end so that every step is covered."""
    if window < 2 or stride < 1:
        raise ConfigError(f"--window must be >= 2 and --stride >= 1, got {window} and {stride}")
    if length < window:
        raise DataError(f"the series has {length} steps, fewer than one window of {window}; "
                        "give a smaller --window")  # fmt: skip
    starts = np.arange(0, length - window + 1, stride)
    if starts[-1] != length - window:
        starts = np.append(starts, length - window)
    return starts


def make_windows(values: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Windows ``(N, window, C)`` of ``values (T, C)`` (see :func:`window_starts`)."""
    starts = window_starts(len(values), window, stride)
    index = starts[:, None] + np.arange(window)[None, :]
    return values[index]


def stitch(windows: np.ndarray, length: int, stride: int) -> np.ndarray:
    """The inverse of :func:`make_windows`: ``(T, C)`` with overlapping windows averaged."""
    n, window, channels = windows.shape
    starts = window_starts(length, window, stride)
    if len(starts) != n:
        raise ValueError(f"{n} windows do not tile {length} steps with stride {stride}")
    total = np.zeros((length, channels))
    count = np.zeros((length, 1))
    for s, w in zip(starts, windows, strict=True):
        total[s : s + window] += w
        count[s : s + window] += 1
    return total / count


def tile(windows: np.ndarray, length: int) -> np.ndarray:
    """``(T, C)`` from windows taken every ``window`` steps (:func:`make_windows` with
    ``stride = window``), each step from exactly one window: the last window, which overlaps
    the one before it, gives only the steps that one does not cover. For draws, whose
    spread an average would shrink."""
    n, window, channels = windows.shape
    starts = window_starts(length, window, window)
    if len(starts) != n:
        raise ValueError(f"{n} windows do not tile {length} steps")
    out = np.empty((length, channels))
    covered = 0
    for s, w in zip(starts, windows, strict=True):
        out[covered : s + window] = w[covered - s :]
        covered = s + window
    return out


@dataclass
class ChannelScaler:
    """Per-channel affine scaling fitted on the observed values (NaN ignored)."""

    kind: str
    shift: np.ndarray  # (C,)
    scale: np.ndarray  # (C,)

    @classmethod
    def fit(cls, values: np.ndarray, kind: str = "standard",
            channels: tuple[str, ...] | None = None) -> ChannelScaler:  # fmt: skip
        if kind not in SCALINGS:
            raise ConfigError(f"unknown scaling {kind!r}; choose one of {', '.join(SCALINGS)}")
        observed = ~np.isnan(values)
        empty = np.flatnonzero(~observed.any(0))
        if len(empty):
            name = channels[empty[0]] if channels else f"channel {empty[0]}"
            raise DataError(f"channel {name!r} has no observed value; leave it out with "
                            "--columns")  # fmt: skip
        if kind == "standard":
            shift = np.nanmean(values, 0)
            scale = np.nanstd(values, 0)
        else:
            shift = np.nanmin(values, 0)
            scale = np.nanmax(values, 0) - shift
        scale = np.where(scale > 0, scale, 1.0)  # a constant channel: shifted only
        return cls(kind, shift, scale)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.shift) / self.scale

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale + self.shift

    def state(self) -> dict[str, object]:
        return {"kind": self.kind, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> ChannelScaler:
        return cls(state["kind"], np.asarray(state["shift"], float),
                   np.asarray(state["scale"], float))  # fmt: skip


def hold_out(values: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hide a seeded share ``rate`` of the observed entries (completely at random).

    Returns the values with those entries set to NaN and the boolean mask of the hidden
    entries (the ones to score).
    """
    if not 0 < rate < 1:
        raise ConfigError(f"the held-out rate must be in (0, 1), got {rate}")
    observed = np.flatnonzero(~np.isnan(values))
    rng = np.random.default_rng(seed)
    hidden = rng.choice(observed, size=int(round(rate * len(observed))), replace=False)
    mask = np.zeros(values.size, dtype=bool)
    mask[hidden] = True
    mask = mask.reshape(values.shape)
    out = values.copy()
    out[mask] = np.nan
    return out, mask


def imputation_errors(truth: np.ndarray, imputed: np.ndarray, mask: np.ndarray) -> dict:
    """MAE, RMSE and MRE over the entries of ``mask`` (PyPOTS's definitions: MRE is the
    summed absolute error over the summed absolute truth)."""
    if not mask.any():
        raise DataError("no held-out entry to score")
    err = (imputed - truth)[mask]
    if np.isnan(err).any():
        raise DataError("the imputation left a held-out entry missing")
    return {
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "mre": float(np.abs(err).sum() / np.abs(truth[mask]).sum()),
    }
