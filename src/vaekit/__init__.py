"""vaekit: variational autoencoders on PyTorch.

>>> import vaekit
>>> run = vaekit.train(vaekit.Config())        # doctest: +SKIP
>>> model = vaekit.load(run)                   # doctest: +SKIP
>>> images = model.sample(64)                  # doctest: +SKIP
"""

import vaekit._omp  # noqa: F401, I001 (before torch loads: see the module)
from vaekit._version import __version__
from vaekit.config import Config, DataConfig, ModelConfig, TrainConfig
from vaekit.errors import ConfigError, DataError, ModelFileError, TrainingError, VaekitError
from vaekit.eval import evaluate_run
from vaekit.explore import explore
from vaekit.io import load, save_model
from vaekit.models import CVAE, VAE, BetaVAE, create_model, list_models, register_model
from vaekit.plots import make_plot, make_report
from vaekit.train import Trainer, resume, sweep, train

__all__ = [
    "CVAE",
    "VAE",
    "BetaVAE",
    "Config",
    "ConfigError",
    "DataConfig",
    "DataError",
    "ModelConfig",
    "ModelFileError",
    "TrainConfig",
    "Trainer",
    "TrainingError",
    "VaekitError",
    "__version__",
    "create_model",
    "evaluate_run",
    "explore",
    "list_models",
    "load",
    "make_plot",
    "make_report",
    "register_model",
    "resume",
    "save_model",
    "sweep",
    "train",
]
