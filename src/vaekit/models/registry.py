"""The model registry: ``create_model(name, **kwargs)`` and ``list_models()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vaekit.errors import ConfigError

if TYPE_CHECKING:
    from vaekit.models.base import BaseModel


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its class and a one-line description."""

    name: str
    cls: type[BaseModel]
    description: str


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(name: str, description: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Class decorator that registers a model under ``name``."""

    def deco(cls: type[BaseModel]) -> type[BaseModel]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        cls.registry_name = name
        _REGISTRY[name] = ModelEntry(name, cls, description)
        return cls

    return deco


def list_models() -> list[ModelEntry]:
    """All registered models, in registration order."""
    return list(_REGISTRY.values())


def get_model_class(name: str) -> type[BaseModel]:
    """The class registered under ``name``; a :class:`ConfigError` names the choices."""
    try:
        return _REGISTRY[name].cls
    except KeyError:
        raise ConfigError(
            f"unknown model {name!r}; choose one of {', '.join(_REGISTRY)} (see 'vaekit models')"
        ) from None


def create_model(name: str, **kwargs: Any) -> BaseModel:
    """Build the model registered under ``name`` with constructor arguments ``kwargs``."""
    cls = get_model_class(name)
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"bad arguments for model {name!r}: {e}") from None
