"""Training: the model-agnostic Trainer, checkpoints, and the train/resume entry points."""

from vaekit.train.api import build_model, resume, train, validate_config
from vaekit.train.checkpoint import TrainState, load_checkpoint, save_checkpoint
from vaekit.train.sweep import parse_param, sweep
from vaekit.train.trainer import Trainer, TrainResult, resolve_device

__all__ = [
    "TrainResult",
    "TrainState",
    "Trainer",
    "build_model",
    "load_checkpoint",
    "parse_param",
    "resolve_device",
    "resume",
    "save_checkpoint",
    "sweep",
    "train",
    "validate_config",
]
