"""Learning-rate schedules as pure functions of the epoch (nothing to save for resume)."""

from __future__ import annotations

import math

from vaekit.errors import ConfigError

LR_SCHEDULES = ("none", "cosine", "step", "iwae")
IWAE_STAGES = 8


def lr_at(
    epoch: int,
    base_lr: float,
    schedule: str,
    total_epochs: int,
    step_epochs: int = 10,
    gamma: float = 0.1,
    stage_ratio: float = 3.0,
) -> float:
    """Learning rate for (0-based) ``epoch``.

    ``cosine`` anneals from ``base_lr`` to 0 over ``total_epochs``; ``step`` multiplies by
    ``gamma`` every ``step_epochs``; ``iwae`` is the IWAE paper's 8 stages of 3^i epochs at
    ``base_lr * 10^(-i/7)``, scaled so that they fill ``total_epochs`` (Burda et al. 2015;
    3280 epochs give the paper's schedule). ``stage_ratio`` replaces the 3 in 3^i: a short
    budget is better spent with 1 (equal stages) than mostly at the final learning rate.
    """
    if schedule == "none":
        return base_lr
    if schedule == "cosine":
        return base_lr * 0.5 * (1 + math.cos(math.pi * min(epoch, total_epochs) / total_epochs))
    if schedule == "iwae":  # the stages scaled to total_epochs (3280 gives the paper's)
        ends = [sum(stage_ratio**j for j in range(i + 1)) for i in range(IWAE_STAGES)]
        position = epoch / total_epochs * ends[-1]
        stage = next((i for i, end in enumerate(ends) if position < end), IWAE_STAGES - 1)
        return base_lr * 10 ** (-stage / (IWAE_STAGES - 1))
    if schedule == "step":
        return base_lr * gamma ** (epoch // max(step_epochs, 1))
    raise ConfigError(f"unknown lr schedule {schedule!r}; choose one of {', '.join(LR_SCHEDULES)}")
