"""Objectives (ELBO and its weighted forms) and KL-weight schedules."""

from vaekit.objectives.elbo import LossOutput, elbo_loss, free_bits_kl
from vaekit.objectives.schedules import (
    KL_SCHEDULES,
    ConstantSchedule,
    CyclicalSchedule,
    KLSchedule,
    LinearWarmup,
    make_kl_schedule,
)

__all__ = [
    "KL_SCHEDULES",
    "ConstantSchedule",
    "CyclicalSchedule",
    "KLSchedule",
    "LinearWarmup",
    "LossOutput",
    "elbo_loss",
    "free_bits_kl",
    "make_kl_schedule",
]
