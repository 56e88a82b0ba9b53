"""Second stage of a VQ-VAE: fit the autoregressive prior over the code grids of the data."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from torch.nn import functional as F

from vaekit.data import DataBundle, build_data, iterate_batches
from vaekit.data.base import Split
from vaekit.errors import ConfigError
from vaekit.eval.mode import eval_mode
from vaekit.io.model_io import MODEL_WEIGHTS
from vaekit.io.run import Run
from vaekit.io.safe import load_tensors, save_tensors
from vaekit.train.progress import training_progress
from vaekit.train.trainer import resolve_device

PRIOR_METRICS_FILE = "prior_metrics.jsonl"


@torch.no_grad()
def data_codes(model: Any, split: Split, device: torch.device, bundle: Any) -> torch.Tensor:
    """Code grids ``(N, h, w)`` of a split (the model in eval mode, no codebook updates)."""
    out = []
    with eval_mode(model):
        for x, _ in iterate_batches(split, 1000, device=device, mean=bundle.mean, std=bundle.std):
            out.append(model.codes(x))
    return torch.cat(out)


def prior_trained(run_dir: str | Path) -> bool:
    """Whether the run's saved weights hold a trained code prior (``prior_steps`` > 0)."""
    path = Path(run_dir) / MODEL_WEIGHTS
    if not path.is_file():
        return False
    tensors, _ = load_tensors(path)
    return bool(tensors.get("prior_steps", torch.zeros(())).item() > 0)


def train_prior(
    run_dir: str | Path,
    epochs: int = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: str = "auto",
    seed: int = 0,
    quiet: bool = False,
    console: Console | None = None,
    data: DataBundle | None = None,
) -> list[dict[str, float]]:
    """Train the code prior of the run's VQ-VAE and write its weights back into the run.

    ``data``: the run's prepared data when at hand (the bundle training just used);
    otherwise it is read again.

    The autoencoder is frozen; its code grids of the training (and validation) split are
    computed once. Each epoch appends ``prior_train_nll`` / ``prior_val_nll`` (nats per grid)
    to ``prior_metrics.jsonl``; ``model.safetensors`` is rewritten atomically at the end.
    """
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise ConfigError("epochs and batch_size must be >= 1 and lr > 0")
    run = Run.open(run_dir, "train")
    run_dir, dev = run.path, resolve_device(device)
    model = run.model(dev)
    if not hasattr(model, "code_prior"):
        raise ConfigError(f"model {model.registry_name!r} has no code prior to train (vqvae has)")
    data = data if data is not None else build_data(run.config())
    console = console or Console(stderr=True)
    train_codes = data_codes(model, data.train, dev, data)
    val_codes = None if data.val is None else data_codes(model, data.val, dev, data)
    prior = model.code_prior.train()
    opt = torch.optim.Adam(prior.parameters(), lr=lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    steps = math.ceil(len(train_codes) / batch_size)
    history = []
    with training_progress(console, disable=quiet) as progress:
        for epoch in range(1, epochs + 1):
            t0, total = time.perf_counter(), torch.zeros((), device=dev)
            task = progress.add_task(f"prior epoch {epoch}/{epochs}", total=steps, metrics="")
            order = torch.randperm(len(train_codes), generator=gen).to(dev)
            for i in range(steps):
                c = train_codes[order[i * batch_size : (i + 1) * batch_size]]
                loss = F.cross_entropy(prior(c), c, reduction="none").flatten(1).sum(1).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.detach() * c.shape[0]
                progress.update(task, advance=1)
            record = {"prior_epoch": epoch, "prior_train_nll": float(total) / len(train_codes),
                      "seconds": time.perf_counter() - t0}  # fmt: skip
            if val_codes is not None:
                with torch.no_grad(), eval_mode(prior):
                    nll = torch.cat([prior.nll(val_codes[j : j + 1000])
                                     for j in range(0, len(val_codes), 1000)])  # fmt: skip
                record["prior_val_nll"] = float(nll.mean())
            history.append(record)
            with (run_dir / PRIOR_METRICS_FILE).open("a") as f:
                f.write(json.dumps(record) + "\n")
            progress.update(task, metrics=f"nll {record['prior_train_nll']:.2f} nats/grid")
    model.prior_steps += epochs * steps  # (a prior saved with 0 steps has not been trained)
    save_tensors(run_dir / MODEL_WEIGHTS, dict(model.state_dict()))
    return history
