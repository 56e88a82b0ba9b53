"""The metric registry: each metric maps an :class:`EvalContext` to a flat dict of results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from rich.console import Console

from vaekit.data import DataBundle
from vaekit.errors import ConfigError
from vaekit.models import BaseModel


@dataclass
class EvalContext:
    """Everything a metric may need; posterior statistics are computed once and shared."""

    model: BaseModel
    data: DataBundle
    split: str = "test"
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    batch_size: int = 1000
    seed: int = 0
    iw_samples: int = 5000
    memory_mb: float = 512.0
    n_samples: int = 10000
    data_dir: str | None = None
    disentanglement_points: int = 10000
    quiet: bool = True
    console: Console = field(default_factory=lambda: Console(stderr=True))
    _posterior: tuple | None = None

    def posterior(self, limit: int | None = None) -> tuple:
        """Posterior means, log-variances and labels of the split (cached)."""
        from vaekit.eval.latent import posterior_stats

        if self._posterior is None:
            self._posterior = posterior_stats(
                self.model,
                self.data.split(self.split),
                self.batch_size,
                self.device,
                mean=self.data.mean,
                std=self.data.std,
            )
        m, lv, y = self._posterior
        return (m[:limit], lv[:limit], None if y is None else y[:limit])


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[EvalContext], dict[str, Any]]
    description: str


METRICS: dict[str, Metric] = {}
"""Every registered metric by name (``vaekit evaluate --metrics``)."""


def register_metric(name: str, description: str) -> Callable:
    """Decorator registering ``fn(ctx) -> dict`` as the metric ``name``."""

    def deco(fn: Callable[[EvalContext], dict[str, Any]]) -> Callable:
        METRICS[name] = Metric(name, fn, description)
        return fn

    return deco


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise ConfigError(f"unknown metric {name!r}; choose from {', '.join(METRICS)}") from None
