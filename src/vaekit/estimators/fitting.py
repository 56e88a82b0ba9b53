"""The one path from an estimator's prepared data to a trained model: the shared Trainer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from vaekit._tempfiles import atomic_write_text
from vaekit.config import TrainConfig
from vaekit.data.base import DataBundle, Split
from vaekit.errors import TrainingInterrupted
from vaekit.io.model_io import MODEL_JSON, model_spec
from vaekit.train.trainer import Trainer, TrainResult


@dataclass
class FitProgress:
    """Where a fit's warnings go and what it calls after each epoch (one bar over several
    models: see :func:`vaekit.train.progress.epoch_bar`)."""

    console: Console
    on_epoch: Callable[[dict[str, Any]], None] | None = None


def train_model(
    model: Any,
    x: Any,
    config: TrainConfig,
    progress: FitProgress,
    *,
    collapse_advice: str,
    run_dir: str | Path | None = None,
    resume: bool = False,
    run: str | Path | None = None,
    selection: Any = None,
    name: str = "data",
) -> TrainResult:
    """Train ``model`` on the rows ``x`` with the shared :class:`~vaekit.train.Trainer`.

    Parameters
    ----------
    model
        A freshly built model (its initial weights are replaced by the checkpoint when
        resuming).
    x
        The training rows: a tensor ``(N, ...)`` or a row container the batching knows
        (e.g. :class:`~vaekit.data.sparse_rows.SparseRows`).
    config
        Optimisation settings (``config.seed`` is not applied here: the caller seeds the
        initialisation, and the Trainer's RNG state is part of every checkpoint).
    progress
        The console for warnings and the per-epoch callback.
    collapse_advice
        The posterior-collapse hint in the caller's terms.
    run_dir
        Keep ``model.json``, checkpoints and ``metrics.jsonl`` there (``None``: nothing).
    resume
        Continue from the checkpoint in ``run_dir`` (the same data and settings).
    run
        The estimator's run directory, when ``run_dir`` is a part of it (an ensemble
        member's folder): an interruption names it, since it is what resumes.
    selection
        A :class:`~vaekit.train.selection.Selection` choosing the best epoch.
    name
        The data's name in the Trainer's messages.
    """
    shape = tuple(int(s) for s in getattr(x, "shape", (len(x), 0))[1:])
    bundle = DataBundle(name, Split(x), None, None, shape)
    if run_dir is not None:
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / MODEL_JSON, json.dumps(model_spec(model), indent=2))
    trainer = Trainer(model, bundle, config, run_dir, quiet=True, console=progress.console,
                      selection=selection, on_epoch=progress.on_epoch,
                      collapse_advice=collapse_advice)  # fmt: skip
    if resume and run_dir is not None:
        trainer.resume()
    try:
        result = trainer.fit()
    except TrainingInterrupted as stop:
        if run is None or stop.run_dir is None:
            raise
        raise TrainingInterrupted(stop.epoch, stop.saved_epoch, stop.epochs, Path(run)) from None
    model.eval()
    return result


def seeded(seed: int, device: torch.device) -> Any:
    """A context in which torch's global RNG starts from ``seed`` and is restored after."""
    import contextlib

    @contextlib.contextmanager
    def ctx() -> Any:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            yield

    return ctx()


def draw_seed(random_state: Any) -> int:
    """An integer seed from scikit-learn's ``random_state`` (an int is used as it is;
    ``None`` or a ``RandomState`` draws one)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(2**31 - 1))
