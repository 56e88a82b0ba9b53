"""Objectives (ELBO and its weighted forms) and KL-weight schedules."""

from vaekit.objectives.elbo import LossOutput, elbo_loss, free_bits_kl
from vaekit.objectives.iwae import iw_bound, log_mean_exp
from vaekit.objectives.schedules import (
    KL_SCHEDULES,
    ConstantSchedule,
    CyclicalSchedule,
    KLSchedule,
    LinearWarmup,
    make_kl_schedule,
)
from vaekit.objectives.total_correlation import KLDecomposition, mws_decomposition, permute_dims

__all__ = [
    "KL_SCHEDULES",
    "ConstantSchedule",
    "CyclicalSchedule",
    "KLDecomposition",
    "KLSchedule",
    "LinearWarmup",
    "LossOutput",
    "elbo_loss",
    "free_bits_kl",
    "iw_bound",
    "log_mean_exp",
    "make_kl_schedule",
    "mws_decomposition",
    "permute_dims",
]
