"""Evaluation: a registry of metrics over any split of a run's data."""

from vaekit.eval.elbo import elbo_terms
from vaekit.eval.evaluate import DEFAULT_METRICS, evaluate_run
from vaekit.eval.frechet import frechet_distance
from vaekit.eval.importance import iw_log_likelihood
from vaekit.eval.latent import active_units, mutual_information, posterior_stats
from vaekit.eval.probe import logistic_probe
from vaekit.eval.registry import METRICS, EvalContext, register_metric

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "EvalContext",
    "active_units",
    "elbo_terms",
    "evaluate_run",
    "frechet_distance",
    "iw_log_likelihood",
    "logistic_probe",
    "mutual_information",
    "posterior_stats",
    "register_metric",
]
