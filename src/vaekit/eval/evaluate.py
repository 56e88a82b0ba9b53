"""``evaluate_run``: metrics of a run directory, written to ``evaluation.json``."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from vaekit.data import DataBundle, build_data
from vaekit.eval import disentanglement_run as _dis  # noqa: F401  (registers its metric)
from vaekit.eval import metrics as _metrics  # noqa: F401  (registers the metrics)
from vaekit.eval import sequences as _sequences  # noqa: F401  (registers its metric)
from vaekit.eval.registry import EvalContext, get_metric
from vaekit.io.run import Run
from vaekit.io.run_dir import EVALUATION_FILE
from vaekit.io.safe import atomic_write_text

DEFAULT_METRICS = ("elbo", "recon", "latent", "probe")
"""The metrics ``evaluate_run`` computes by default (``probe`` only with labels)."""
#: the defaults of sequence models (no fixed-shape reconstruction, no labels)
SEQUENCE_METRICS = ("elbo", "latent", "sequence")


def evaluate_run(
    run_dir: str | Path,
    split: str | None = None,
    metrics: Sequence[str] | None = None,
    iw_samples: int | None = None,
    batch_size: int = 1000,
    device: str | torch.device = "cpu",
    seed: int = 0,
    memory_mb: float = 512.0,
    quiet: bool = True,
    disentanglement_points: int = 10000,
    data: DataBundle | None = None,
    max_examples: int = 0,
    console: Console | None = None,
) -> dict[str, Any]:
    """Evaluate the run's model on ``split`` and merge the results into ``evaluation.json``.

    Parameters
    ----------
    split
        ``train``, ``val`` or ``test``; by default ``test``, or ``val`` for data without a
        test split (dSprites, a single array file).
    metrics
        Names from :data:`vaekit.eval.METRICS`; by default ``elbo``, ``recon``, ``latent``,
        ``probe`` (when the data has labels), plus ``iw`` when ``iw_samples`` is given;
        for sequence models ``elbo``, ``latent`` and ``sequence`` (greedy reconstruction
        accuracy), with ``iw`` adding the per-token NLL and the perplexity.
    iw_samples
        ``k`` of the importance-sampled log-likelihood (default 5000 when ``iw`` is asked for).
    memory_mb
        Memory cap for the importance-sampling chunks.
    disentanglement_points
        Training points of the ``disentanglement`` metrics (the study's 10,000; test and
        evaluation points are half as many).
    data
        The run's data, already read and prepared as its configuration says (e.g. the
        bundle training just used); by default it is read again.
    max_examples
        Evaluate a seeded random subset of this many examples of the split (``seed``); 0,
        or a split no larger, evaluates it whole. The result's ``of`` is then the split's size.
    console
        Where progress bars draw (stderr by default); ``quiet`` turns them off.

    Returns
    -------
    dict
        One flat dict of results (also stored under the split's name in ``evaluation.json``).
    """
    run = Run.open(run_dir, "train")
    run_dir, cfg = run.path, run.config()
    explicit = metrics is not None
    device = torch.device(device)
    model = run.model(device)
    if metrics is None:
        base = SEQUENCE_METRICS if model.modality == "sequence" else DEFAULT_METRICS
        if not model.has_latent:  # a language model: no code to measure
            base = tuple(m for m in base if m not in ("latent", "sequence"))
        metrics = list(base) + (["iw"] if iw_samples else [])
    metric_objs = [get_metric(m) for m in metrics]
    if data is None:
        data = build_data(cfg, getattr(model, "tokenizer", None))
    if not explicit and data.train.y is None:  # the default set skips what needs labels
        metric_objs = [m for m in metric_objs if m.name != "probe"]
    if split is None:
        split = "test" if data.test is not None else "val"
    ctx = EvalContext(
        model, data, split, device, batch_size, seed,
        iw_samples or 5000, memory_mb, data_dir=cfg.data.data_dir,
        disentanglement_points=disentanglement_points, quiet=quiet,
    )  # fmt: skip
    if console is not None:
        ctx.console = console
    whole = len(data.split(split))  # a clear error for a split the dataset lacks
    if 0 < max_examples < whole:
        data = copy.copy(data)  # the caller's bundle keeps its splits
        setattr(data, split, data.split(split).sample(max_examples, seed))
        ctx.data = data
    result: dict[str, Any] = {"split": split, "n": len(data.split(split))}
    if result["n"] < whole:
        result["of"] = whole
    for metric in metric_objs:
        result.update(metric.fn(ctx))
    path = run_dir / EVALUATION_FILE
    existing = json.loads(path.read_text()) if path.exists() else {}
    before = {k: v for k, v in existing.get(split, {}).items() if k != "of"}
    existing[split] = {**before, **result}
    atomic_write_text(path, json.dumps(existing, indent=2))
    return result
