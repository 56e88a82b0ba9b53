"""Models: one file per variant, all registered in :mod:`vaekit.models.registry`."""

from vaekit.models import beta_vae, btcvae, cvae, factorvae, hvae, iwae  # noqa: F401, I001
from vaekit.models import miwae, mult_vae, seq_vae, tvae, vae, vqvae  # noqa: F401, I001
from vaekit.models import gpvae, rnn_vae  # noqa: F401, I001
from vaekit.models.array import ArrayModel
from vaekit.models.base import BaseModel
from vaekit.models.beta_vae import BetaVAE
from vaekit.models.btcvae import BetaTCVAE
from vaekit.models.cvae import CVAE
from vaekit.models.factorvae import FactorVAE
from vaekit.models.gpvae import GPVAE
from vaekit.models.hvae import HVAE
from vaekit.models.iwae import IWAE
from vaekit.models.registry import (
    ModelEntry,
    create_model,
    get_model_class,
    list_models,
    register_model,
)
from vaekit.models.miwae import MIWAE
from vaekit.models.mult_vae import MultDAE, MultVAE
from vaekit.models.rnn_vae import RNNVAE
from vaekit.models.seq_vae import RNNLM, SeqVAE
from vaekit.models.tvae import TVAE
from vaekit.models.vae import VAE
from vaekit.models.vqvae import VQVAE

__all__ = [
    "ArrayModel",
    "BaseModel",
    "RNNLM",
    "RNNVAE",
    "SeqVAE",
    "TVAE",
    "VAE",
    "VQVAE",
    "BetaTCVAE",
    "BetaVAE",
    "CVAE",
    "FactorVAE",
    "GPVAE",
    "HVAE",
    "IWAE",
    "MIWAE",
    "MultDAE",
    "MultVAE",
    "ModelEntry",
    "create_model",
    "get_model_class",
    "list_models",
    "register_model",
]
