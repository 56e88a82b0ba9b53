"""Second stage of a VQ-VAE: fit the autoregressive prior over the code grids of the data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from vaekit._tempfiles import atomic_write_text
from vaekit.config import TrainConfig
from vaekit.data import DataBundle, build_data, iterate_batches
from vaekit.data.base import Split
from vaekit.errors import ConfigError, TrainingInterrupted
from vaekit.eval.mode import eval_mode
from vaekit.io.model_io import MODEL_WEIGHTS
from vaekit.io.run import Run
from vaekit.io.run_dir import METRICS_FILE
from vaekit.io.safe import load_tensors, save_tensors
from vaekit.models.code_grid_prior import CodeGridPrior
from vaekit.train.records import read_records
from vaekit.train.trainer import Trainer, resolve_device

PRIOR_METRICS_FILE = "prior_metrics.jsonl"
#: the prior fit's own folder in the run: its checkpoint and metrics.jsonl
PRIOR_DIR = "prior"
#: the prior fit's settings (epochs, batch size, learning rate, seed), for resuming it
PRIOR_SETTINGS = "settings.json"


@torch.no_grad()
def data_codes(model: Any, split: Split, device: torch.device, bundle: Any) -> torch.Tensor:
    """Code grids ``(N, h, w)`` of a split (the model in eval mode, no codebook updates)."""
    out = []
    with eval_mode(model):
        for x, _ in iterate_batches(split, 1000, device=device, mean=bundle.mean, std=bundle.std):
            out.append(model.codes(x))
    return torch.cat(out)


def prior_trained(run_dir: str | Path) -> bool:
    """Whether the run holds a fitted code prior: its prior fit (``prior/``) finished, or,
    for a run from before prior fits kept their own folder, the saved weights count
    prior steps."""
    run_dir = Path(run_dir)
    if (run_dir / PRIOR_DIR).is_dir():
        return (run_dir / PRIOR_DIR / MODEL_WEIGHTS).is_file()
    path = run_dir / MODEL_WEIGHTS
    if not path.is_file():
        return False
    tensors, _ = load_tensors(path)
    return bool(tensors.get("prior_steps", torch.zeros(())).item() > 0)


def prior_fit_started(run_dir: str | Path) -> bool:
    """Whether a prior fit of the run stopped before it finished (so it resumes)."""
    folder = Path(run_dir) / PRIOR_DIR
    return (folder / PRIOR_SETTINGS).is_file() and not (folder / MODEL_WEIGHTS).is_file()


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
    resume: bool = False,
    threads: int = 0,
) -> list[dict[str, float]]:
    """Fit the code prior of the run's VQ-VAE with the shared Trainer and write its weights
    back into the run.

    The autoencoder is frozen; its code grids of the training (and validation) split are
    computed once. The fit keeps its own checkpoints and ``metrics.jsonl`` in ``RUN/prior/``
    (so ``vaekit resume RUN`` continues it) and starts from the run's current prior; at the
    end ``RUN/model.safetensors`` is rewritten atomically and ``prior_metrics.jsonl`` lists
    ``prior_train_nll`` / ``prior_val_nll`` (nats per grid) per epoch. ``data``: the run's
    prepared data when at hand (else it is read again); ``resume``: continue the prior fit
    that stopped (see :func:`prior_fit_started`) instead of starting one; ``threads``: a
    fixed CPU thread count (0: follow the machine's load, as training does).
    """
    run = Run.open(run_dir, "train")
    run_dir, dev = run.path, resolve_device(device)
    model = run.model(dev)
    if not hasattr(model, "code_prior"):
        raise ConfigError(f"model {model.registry_name!r} has no code prior to train (vqvae has)")
    folder = run_dir / PRIOR_DIR
    if resume:  # the settings the stopped fit was started with
        settings = json.loads((folder / PRIOR_SETTINGS).read_text())
        epochs, batch_size, lr, seed = (settings[k] for k in ("epochs", "batch_size", "lr",
                                                              "seed"))  # fmt: skip
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, device=str(dev), seed=seed,
                      threads=threads)  # fmt: skip
    data = data if data is not None else build_data(run.config())
    if not resume:  # a new prior fit
        if folder.exists():
            shutil.rmtree(folder)
        settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed}
        atomic_write_text(folder / PRIOR_SETTINGS, json.dumps(settings))
    codes = DataBundle(
        "code grids", Split(data_codes(model, data.train, dev, data)),
        None if data.val is None else Split(data_codes(model, data.val, dev, data)), None,
        tuple(model.grid),
    )  # fmt: skip
    spec = model.config
    prior = CodeGridPrior(model.num_codes, model.grid, spec.get("prior_width", 64),
                          spec.get("prior_layers", 6))  # fmt: skip
    prior.prior.load_state_dict(model.code_prior.state_dict())  # from the run's current prior
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        trainer = Trainer(prior, codes, cfg, folder, quiet=quiet, console=console,
                          collapse_advice="")  # fmt: skip
        if resume:
            trainer.resume()
        try:
            result = trainer.fit()
        except TrainingInterrupted as stop:  # the run resumes, not its prior folder
            raise TrainingInterrupted(stop.epoch, stop.saved_epoch, stop.epochs, run_dir) from None
    model.code_prior.load_state_dict(prior.prior.state_dict())
    model.prior_steps += result.steps  # (a prior saved with 0 steps has not been trained)
    save_tensors(run_dir / MODEL_WEIGHTS, dict(model.state_dict()))
    history = [{"prior_epoch": r["epoch"], "prior_train_nll": r["train_loss"],
                "seconds": r["seconds"],
                **({"prior_val_nll": r["val_loss"]} if "val_loss" in r else {})}
               for r in read_records(folder / METRICS_FILE)]
    atomic_write_text(run_dir / PRIOR_METRICS_FILE,
                      "".join(json.dumps(r) + "\n" for r in history))  # fmt: skip
    return history
