"""Learning-rate schedules as pure functions of the epoch (nothing to save for resume)."""

from __future__ import annotations

import math

from vaekit.errors import ConfigError

LR_SCHEDULES = ("none", "cosine", "step")


def lr_at(
    epoch: int, base_lr: float, schedule: str, total_epochs: int, step_epochs: int, gamma: float
) -> float:
    """Learning rate for (0-based) ``epoch``.

    ``cosine`` anneals from ``base_lr`` to 0 over ``total_epochs``; ``step`` multiplies by
    ``gamma`` every ``step_epochs``.
    """
    if schedule == "none":
        return base_lr
    if schedule == "cosine":
        return base_lr * 0.5 * (1 + math.cos(math.pi * min(epoch, total_epochs) / total_epochs))
    if schedule == "step":
        return base_lr * gamma ** (epoch // max(step_epochs, 1))
    raise ConfigError(f"unknown lr schedule {schedule!r}; choose one of {', '.join(LR_SCHEDULES)}")
