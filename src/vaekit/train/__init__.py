"""Training: the model-agnostic Trainer, checkpoints, and the fit/resume entry points.

The package is callable for one more release: ``vaekit.train(cfg)`` is now
:func:`vaekit.fit` and warns when called.
"""

import sys
import types
import warnings
from typing import Any

from vaekit.train.api import (
    TrainedRun,
    build_model,
    fit,
    resume,
    resume_run,
    train,
    train_run,
    validate_config,
)
from vaekit.train.checkpoint import TrainState, load_checkpoint, save_checkpoint
from vaekit.train.sweep import parse_param, sweep
from vaekit.train.trainer import Trainer, TrainResult, resolve_device
from vaekit.train.validation import validate_train_config

__all__ = [
    "TrainResult",
    "TrainState",
    "TrainedRun",
    "Trainer",
    "build_model",
    "fit",
    "load_checkpoint",
    "parse_param",
    "resolve_device",
    "resume",
    "resume_run",
    "save_checkpoint",
    "sweep",
    "train",
    "train_run",
    "validate_config",
    "validate_train_config",
]


class _CallablePackage(types.ModuleType):
    """``vaekit.train(...)``, the function this package's name once meant, forwarded to
    :func:`vaekit.fit` with a :class:`DeprecationWarning`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        warnings.warn("vaekit.train(...) is now vaekit.fit(...)", DeprecationWarning, stacklevel=2)
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
