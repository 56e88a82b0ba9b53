"""Training checkpoints: one safetensors file written atomically.

Tensors: model weights (``model.*``), optimizer tensors (``optim.<param>.<key>``), best
weights for early stopping (``best.*``) and RNG states (``rng.*``). Everything else
(epoch, step, optimizer hyper-parameters, early-stopping counters) is JSON in the
safetensors metadata. Nothing is pickled.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from vaekit.errors import ModelFileError
from vaekit.io.model_io import MODEL_WEIGHTS, load_state
from vaekit.io.safe import load_tensors, save_tensors

CHECKPOINT_FILE = "state.safetensors"


@dataclass
class TrainState:
    """Progress counters saved with a checkpoint."""

    epoch: int = 0  # completed epochs
    step: int = 0  # optimizer steps taken
    best_val: float | None = None
    best_epoch: int = 0
    bad_epochs: int = 0
    collapse_epochs: int = 0  # consecutive epochs that looked collapsed
    collapse_warned: bool = False


def _optimizer_to_flat(
    opt: torch.optim.Optimizer, prefix: str = "optim"
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for key, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"{prefix}.{pid}.{key}"] = v
            else:
                plain.setdefault(str(pid), {})[key] = v
    groups = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
        for g in sd["param_groups"]
    ]
    return tensors, {"param_groups": groups, "state": plain}


def _optimizer_from_flat(
    opt: torch.optim.Optimizer,
    tensors: dict[str, torch.Tensor],
    meta: dict[str, Any],
    prefix: str = "optim",
) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, v in tensors.items():
        if name.startswith(prefix + "."):
            _, pid, key = name.split(".", 2)
            state.setdefault(int(pid), {})[key] = v
    for pid, st in meta["state"].items():
        state.setdefault(int(pid), {}).update(st)
    groups = [
        {k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in meta["param_groups"]
    ]
    opt.load_state_dict({"state": state, "param_groups": groups})


def checkpoint_tensors(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainState,
    best_weights: dict[str, torch.Tensor] | None = None,
    aux_optimizers: dict[str, torch.optim.Optimizer] | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A snapshot of the training state: CPU copies of every tensor, and the metadata.

    The copies do not change when training goes on, so a snapshot taken at the end of an
    epoch can be written later (by :func:`write_checkpoint`).
    """
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    opt_tensors, opt_meta = _optimizer_to_flat(optimizer)
    tensors.update(opt_tensors)
    aux_meta = {}
    for name, opt in (aux_optimizers or {}).items():
        t, aux_meta[name] = _optimizer_to_flat(opt, f"optim_{name}")
        tensors.update(t)
    if best_weights is not None:
        tensors.update({f"best.{k}": v for k, v in best_weights.items()})
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}
    meta = {
        "train_state": json.dumps(asdict(state)),
        "optimizer": json.dumps(opt_meta),
        "aux_optimizers": json.dumps(aux_meta),
    }
    return tensors, meta


def write_checkpoint(
    directory: str | Path, snapshot: tuple[dict[str, torch.Tensor], dict[str, str]]
) -> Path:
    """Write a :func:`checkpoint_tensors` snapshot to ``directory/state.safetensors``
    atomically (a temporary file renamed into place: a kill leaves the previous one)."""
    path = Path(directory) / CHECKPOINT_FILE
    tensors, meta = snapshot
    save_tensors(path, tensors, metadata=meta)
    return path


class Snapshots:
    """The training state after each epoch, written to ``directory`` every ``every`` epochs,
    after the last of ``epochs`` and on demand (an interruption); ``None`` keeps nothing."""

    def __init__(self, directory: Path | None, every: int, epochs: int) -> None:
        self.directory, self.every, self.epochs = directory, every, epochs
        self._unsaved: tuple[dict[str, torch.Tensor], dict[str, str]] | None = None

    def take(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        state: TrainState,
        best_weights: dict[str, torch.Tensor] | None,
        aux: dict[str, torch.optim.Optimizer],
    ) -> None:
        """Snapshot the state after ``state.epoch``; write it when one is due."""
        if self.directory is None:
            return
        self._unsaved = checkpoint_tensors(model, optimizer, state, best_weights, aux)
        if state.epoch % self.every == 0 or state.epoch >= self.epochs:
            self.flush()

    def flush(self) -> None:
        """Write the last snapshot if it is not on disk yet."""
        if self.directory is not None and self._unsaved is not None:
            write_checkpoint(self.directory, self._unsaved)
            self._unsaved = None


def remove_leftovers(*directories: Path) -> None:
    """Delete the temporary files of atomic writes that a kill cut short."""
    for d in directories:
        for leftover in d.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)


def has_checkpoint(directory: str | Path) -> bool:
    """Whether ``directory`` holds a checkpoint file."""
    return (Path(directory) / CHECKPOINT_FILE).is_file()


def save_checkpoint(
    directory: str | Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainState,
    best_weights: dict[str, torch.Tensor] | None = None,
    aux_optimizers: dict[str, torch.optim.Optimizer] | None = None,
) -> Path:
    """Write ``directory/state.safetensors`` atomically.

    ``aux_optimizers`` are a model's own extra optimizers (e.g. a discriminator's), saved
    under ``optim_<name>.*``.
    """
    snapshot = checkpoint_tensors(model, optimizer, state, best_weights, aux_optimizers)
    return write_checkpoint(directory, snapshot)


def _check_optimizer_shapes(*optimizers: torch.optim.Optimizer) -> None:
    """Each restored moment tensor has its parameter's shape (else a later step fails)."""
    for opt in optimizers:
        for group in opt.param_groups:
            for p in group["params"]:
                for key, v in opt.state.get(p, {}).items():
                    if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape != p.shape:
                        raise ValueError(
                            f"state {key!r} has shape {tuple(v.shape)}, parameter {tuple(p.shape)}"
                        )


def load_checkpoint(
    directory: str | Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    aux_optimizers: dict[str, torch.optim.Optimizer] | None = None,
) -> tuple[TrainState, dict[str, torch.Tensor] | None]:
    """Restore model, optimizer and RNG states; return the counters and any best weights."""
    path = Path(directory) / CHECKPOINT_FILE
    tensors, meta = load_tensors(path)
    try:
        state = TrainState(**json.loads(meta["train_state"]))
        opt_meta = json.loads(meta["optimizer"])
        aux_meta = json.loads(meta.get("aux_optimizers", "{}"))
        missing = sorted(set(aux_optimizers or {}) - set(aux_meta))
        if missing:
            raise KeyError(f"no state for the optimizer(s) {', '.join(missing)}")
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: missing or bad training state ({e})") from None
    device = next(model.parameters()).device
    load_state(model, {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, path)
    if "rng.cpu" not in tensors:
        raise ModelFileError(f"{path}: missing tensor rng.cpu (the random state)")
    on_device = {k: v.to(device) for k, v in tensors.items()}
    try:
        _optimizer_from_flat(optimizer, on_device, opt_meta)
        for name, opt in (aux_optimizers or {}).items():
            _optimizer_from_flat(opt, on_device, aux_meta[name], f"optim_{name}")
        _check_optimizer_shapes(optimizer, *(aux_optimizers or {}).values())
        torch.set_rng_state(tensors["rng.cpu"])
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ModelFileError(f"{path}: optimizer or random state does not fit ({first})") from None
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states[: torch.cuda.device_count()])
    best = {k[5:]: v.to(device) for k, v in tensors.items() if k.startswith("best.")} or None
    return state, best


def save_final_weights(run_dir: Path, model: torch.nn.Module, trained: bool) -> None:
    """Write the run's final weights (``model.safetensors``), unless nothing was trained in
    this call and they are saved already: a finished run resumed keeps the weights a later
    stage (a VQ-VAE's code prior) may have written since."""
    path = Path(run_dir) / MODEL_WEIGHTS
    if trained or not path.exists():
        save_tensors(path, dict(model.state_dict()))
