"""Models: one file per variant, all registered in :mod:`vaekit.models.registry`."""

from vaekit.models import beta_vae, cvae, iwae, vae  # noqa: F401  (registration)
from vaekit.models.beta_vae import BetaVAE
from vaekit.models.cvae import CVAE
from vaekit.models.iwae import IWAE
from vaekit.models.registry import (
    ModelEntry,
    create_model,
    get_model_class,
    list_models,
    register_model,
)
from vaekit.models.vae import VAE

__all__ = [
    "VAE",
    "BetaVAE",
    "CVAE",
    "IWAE",
    "ModelEntry",
    "create_model",
    "get_model_class",
    "list_models",
    "register_model",
]
