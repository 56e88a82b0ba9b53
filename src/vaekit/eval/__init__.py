"""Evaluation of trained models."""

from vaekit.eval.elbo import elbo_terms
from vaekit.eval.evaluate import evaluate_run

__all__ = ["elbo_terms", "evaluate_run"]
