"""Scores of generated windows by the TimeGAN protocol (Yoon et al. 2019, the released code):
the discriminative score and the predictive score, with post-hoc GRU models.

- **Discriminative score**: a one-layer GRU (hidden size ``int(C / 2)``) with a logistic output
  on its last state learns to tell real windows from synthetic ones: 80% of each for
  training (2,000 steps of 128 + 128 windows, Adam 1e-3), 20% of each for the test; the score
  is ``|accuracy - 0.5|`` (0: indistinguishable; lower is better).
- **Predictive score**: a one-layer GRU with a sigmoid output at every step, trained on the
  *synthetic* windows (5,000 steps of 128, L1 loss) to predict the last channel one step
  ahead from the other channels (steps ``0..T-2`` -> ``1..T-1``), then scored by its mean
  absolute error on all *real* windows. Trained on the real windows instead it gives the
  "real data" reference (TimeGAN reports 0.036 on Google stocks; its generator 0.038).

Both expect windows min-max scaled to [0, 1] per channel, as TimeGAN's are.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from vaekit.errors import DataError


class _GRUHead(nn.Module):
    """A one-layer GRU and a linear output, on the last state or on every step."""

    def __init__(self, channels: int, hidden: int, every_step: bool) -> None:
        super().__init__()
        self.gru = nn.GRU(channels, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)
        self.every_step = every_step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, last = self.gru(x)
        return self.out(h if self.every_step else last[-1])


def _check(real: np.ndarray, fake: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if real.ndim != 3 or fake.ndim != 3 or real.shape[1:] != fake.shape[1:]:
        raise DataError(f"real and synthetic windows must both be (N, steps, channels) of the "
                        f"same shape, got {real.shape} and {fake.shape}")  # fmt: skip
    if np.isnan(real).any() or np.isnan(fake).any():
        raise DataError("the windows to score hold missing values (NaN); score complete ones")
    return torch.from_numpy(real), torch.from_numpy(fake)


def discriminative_score(real: np.ndarray, fake: np.ndarray, seed: int = 0,
                         iterations: int = 2000, batch_size: int = 128) -> float:  # fmt: skip
    """``|accuracy - 0.5|`` of a post-hoc GRU classifier of real vs synthetic windows."""
    x_real, x_fake = _check(real, fake)
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _GRUHead(x_real.shape[2], max(1, x_real.shape[2] // 2), every_step=False)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    parts = []
    for x in (x_real, x_fake):
        order = torch.randperm(len(x), generator=g)
        cut = int(len(x) * 0.8)
        parts.append((x[order[:cut]], x[order[cut:]]))
    (train_r, test_r), (train_f, test_f) = parts
    bce = nn.BCEWithLogitsLoss()
    with torch.enable_grad():
        for _ in range(iterations):
            br = train_r[rng.permutation(len(train_r))[:batch_size]]
            bf = train_f[rng.permutation(len(train_f))[:batch_size]]
            loss = bce(model(br), torch.ones(len(br), 1)) + bce(model(bf), torch.zeros(len(bf), 1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        right = (model(test_r) > 0).sum().item() + (model(test_f) <= 0).sum().item()
    accuracy = right / (len(test_r) + len(test_f))
    return float(abs(accuracy - 0.5))


def predictive_score(train: np.ndarray, test: np.ndarray, seed: int = 0,
                     iterations: int = 5000, batch_size: int = 128) -> float:  # fmt: skip
    """MAE on ``test`` windows of a GRU trained on ``train`` windows to predict the last
    channel one step ahead from the others (train on synthetic, test on real; or real on
    real for the reference)."""
    x_train, x_test = _check(train, test)
    if x_train.shape[2] < 2:
        raise DataError("the predictive score needs at least 2 channels (the others predict "
                        "the last)")  # fmt: skip
    rng = np.random.default_rng(seed)
    c = x_train.shape[2]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _GRUHead(c - 1, max(1, c // 2), every_step=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with torch.enable_grad():
        for _ in range(iterations):
            b = x_train[rng.permutation(len(x_train))[:batch_size]]
            pred = torch.sigmoid(model(b[:, :-1, :-1]))
            loss = (pred - b[:, 1:, -1:]).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = torch.sigmoid(model(x_test[:, :-1, :-1]))
        return float((pred - x_test[:, 1:, -1:]).abs().mean())


def minmax_windows(values: np.ndarray, window: int) -> np.ndarray:
    """TimeGAN's data: each channel min-max scaled over the whole series (with its 1e-7),
    then every window of ``window`` steps (stride 1, the last one left out as TimeGAN does)."""
    values = np.asarray(values, np.float64)
    scaled = (values - values.min(0)) / (values.max(0) - values.min(0) + 1e-7)
    return np.stack([scaled[i : i + window] for i in range(len(scaled) - window)])
