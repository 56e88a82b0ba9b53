"""The one estimator base of vaekit's applications and their one fit path onto the Trainer."""

from vaekit.estimators.base import VAEEstimator, fingerprint
from vaekit.estimators.fitting import FitProgress, draw_seed, seeded, train_model

__all__ = [
    "FitProgress", "VAEEstimator", "draw_seed", "fingerprint", "seeded", "train_model",
]
