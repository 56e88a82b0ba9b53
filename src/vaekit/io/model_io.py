"""Models as ``model.json`` (class + constructor arguments) + ``model.safetensors``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from vaekit._version import __version__
from vaekit.errors import ConfigError, ModelFileError
from vaekit.io.safe import atomic_write_text, load_tensors, save_tensors
from vaekit.models import BaseModel, create_model

MODEL_JSON = "model.json"
MODEL_WEIGHTS = "model.safetensors"


def model_spec(model: BaseModel, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``model.json`` holds: registry name, constructor arguments, version."""
    spec = {"model": model.registry_name, "config": model.config, "vaekit_version": __version__}
    if extra:
        spec.update(extra)
    return spec


def save_model(
    model: BaseModel, directory: str | Path, extra: dict[str, Any] | None = None
) -> None:
    """Write ``model.json`` and ``model.safetensors`` into ``directory`` (atomically)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_tensors(directory / MODEL_WEIGHTS, dict(model.state_dict()))
    atomic_write_text(directory / MODEL_JSON, json.dumps(model_spec(model, extra), indent=2))


def read_spec(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MODEL_JSON
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFileError(
            f"{path}: not found (is {directory} a vaekit run directory?)"
        ) from None
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: invalid JSON ({e})") from None
    if (
        not isinstance(spec, dict)
        or "model" not in spec
        or not isinstance(spec.get("config"), dict)
    ):
        raise ModelFileError(f"{path}: expected keys 'model' and 'config'")
    return spec


def model_from_spec(directory: str | Path) -> BaseModel:
    """The model ``directory/model.json`` describes, freshly initialised.

    Raises
    ------
    ModelFileError
        One line naming ``model.json``: missing, not JSON, missing keys, an unknown model
        or arguments its constructor refuses.
    """
    spec = read_spec(directory)
    try:
        return create_model(spec["model"], **spec["config"])
    except (ConfigError, ValueError, TypeError, KeyError) as e:
        raise ModelFileError(f"{Path(directory) / MODEL_JSON}: {e}") from None


def load(directory: str | Path, device: str | torch.device = "cpu") -> BaseModel:
    """Rebuild a model from a run directory (``model.json`` + ``model.safetensors``).

    Nothing in the files is executed: the class comes from vaekit's registry and the
    weights from safetensors. Returns the model in eval mode.
    """
    directory = Path(directory)
    model = model_from_spec(directory)
    tensors, _ = load_tensors(directory / MODEL_WEIGHTS)
    load_state(model, tensors, directory / MODEL_WEIGHTS)
    return model.to(device).eval()


def load_state(model: torch.nn.Module, tensors: dict[str, torch.Tensor], source: Path) -> None:
    """Load ``tensors`` into ``model``, naming missing/unexpected keys and shape mismatches."""
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    if missing or unexpected:
        raise ModelFileError(
            f"{source}: weights do not match the model (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    for k, v in tensors.items():
        if v.shape != own[k].shape:
            raise ModelFileError(
                f"{source}: {k} has shape {tuple(v.shape)}, model expects {tuple(own[k].shape)}"
            )
    model.load_state_dict(tensors)
