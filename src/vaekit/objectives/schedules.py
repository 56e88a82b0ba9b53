"""KL-weight schedules: the factor in [0, 1] that multiplies beta at training time ``t``.

Time is measured in epochs (fractional within an epoch), so a schedule does not depend on
the batch size.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass

from vaekit.errors import ConfigError


class KLSchedule(abc.ABC):
    """Maps training time ``t`` (epochs, float) to a KL weight factor in [0, 1]."""

    @abc.abstractmethod
    def __call__(self, t: float) -> float: ...


@dataclass(frozen=True)
class ConstantSchedule(KLSchedule):
    """Always 1."""

    def __call__(self, t: float) -> float:
        return 1.0


@dataclass(frozen=True)
class LinearWarmup(KLSchedule):
    """``min(1, t / warmup_epochs)``."""

    warmup_epochs: float

    def __post_init__(self) -> None:
        if self.warmup_epochs < 0:
            raise ConfigError(f"warmup_epochs must be >= 0, got {self.warmup_epochs}")

    def __call__(self, t: float) -> float:
        if self.warmup_epochs == 0:
            return 1.0
        return min(1.0, t / self.warmup_epochs)


@dataclass(frozen=True)
class CyclicalSchedule(KLSchedule):
    """Cyclical annealing (Fu et al. 2019).

    Training (``total_epochs``) is split into ``cycles`` equal cycles; within each the factor
    rises linearly from 0 to 1 over the first fraction ``ratio`` of the cycle, then stays at 1.
    """

    total_epochs: float
    cycles: int = 4
    ratio: float = 0.5

    def __post_init__(self) -> None:
        if self.cycles < 1:
            raise ConfigError(f"kl_cycles must be >= 1, got {self.cycles}")
        if not 0 < self.ratio <= 1:
            raise ConfigError(f"kl_ratio must be in (0, 1], got {self.ratio}")
        if self.total_epochs <= 0:
            raise ConfigError(f"total epochs must be > 0, got {self.total_epochs}")

    def __call__(self, t: float) -> float:
        period = self.total_epochs / self.cycles
        tau = (t % period) / period if t < self.total_epochs else 1.0
        return min(1.0, tau / self.ratio)


@dataclass(frozen=True)
class LogisticSchedule(KLSchedule):
    """Bowman et al. (2016)'s logistic annealing: ``1 / (1 + exp(-k (t - t0)))``.

    Centred at ``t0 = warmup_epochs / 2`` with ``k = 10 / warmup_epochs``, so the factor
    rises from 0.007 to 0.993 over ``warmup_epochs`` (Bowman's re-implementations use
    ``k = 0.0025``, ``t0 = 2500`` in steps: ``warmup_epochs`` = 4000 steps' worth).
    """

    warmup_epochs: float

    def __post_init__(self) -> None:
        if self.warmup_epochs < 0:
            raise ConfigError(f"warmup_epochs must be >= 0, got {self.warmup_epochs}")

    def __call__(self, t: float) -> float:
        if self.warmup_epochs == 0:
            return 1.0
        x = -10.0 * (t - self.warmup_epochs / 2) / self.warmup_epochs
        return 1.0 / (1.0 + math.exp(x)) if x < 700 else 0.0


KL_SCHEDULES = {
    "constant": "KL weight fixed at beta",
    "linear": "linear warm-up from 0 to beta over --warmup-epochs",
    "cyclical": "cyclical annealing: --kl-cycles cycles, rising over the first --kl-ratio of each",
    "logistic": "logistic rise (Bowman et al. 2016), centred at half of --warmup-epochs",
}


def make_kl_schedule(
    name: str,
    total_epochs: float,
    warmup_epochs: float = 10.0,
    cycles: int = 4,
    ratio: float = 0.5,
) -> KLSchedule:
    """Build the schedule called ``name`` (see :data:`KL_SCHEDULES`)."""
    factories = {
        "constant": lambda: ConstantSchedule(),
        "linear": lambda: LinearWarmup(warmup_epochs),
        "cyclical": lambda: CyclicalSchedule(total_epochs, cycles, ratio),
        "logistic": lambda: LogisticSchedule(warmup_epochs),
    }
    if name not in factories:
        raise ConfigError(f"unknown KL schedule {name!r}; choose one of {', '.join(KL_SCHEDULES)}")
    return factories[name]()
