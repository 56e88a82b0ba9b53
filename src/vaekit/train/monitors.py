"""What the trainer watches after each epoch: the best epoch, early stopping and posterior
collapse. Their counters live in :class:`TrainState`, so they survive a resume."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from vaekit.data import DataBundle
from vaekit.errors import TrainingError
from vaekit.eval.latent import COLLAPSE_KL, active_units, layer_active_units, posterior_stats
from vaekit.models import VAE
from vaekit.train.checkpoint import TrainState

#: posterior collapse: no active unit, or total KL below COLLAPSE_KL, for COLLAPSE_EPOCHS epochs
COLLAPSE_EPOCHS, COLLAPSE_EXAMPLES = 3, 2000
#: what the collapse warning suggests by default: the settings of a ``vaekit.fit`` configuration
#: as ``vaekit train`` names them (applications pass their own advice)
COLLAPSE_ADVICE = ("Try a KL warm-up (train.kl_schedule=linear), free bits (train.free_bits=0.5) "
                   "or a smaller beta (model.beta)")


class FiniteLoss:
    """Watches the loss for NaN or infinity: at every step on CPU (it costs nothing there),
    on a GPU without a sync per step, reported at the next :meth:`poll`."""

    def __init__(self, device: torch.device) -> None:
        self.now = device.type == "cpu"
        self.first_bad = torch.full((), -1, device=device, dtype=torch.long)  # step, or -1

    def check(self, total: torch.Tensor, step: int) -> tuple[float, int] | None:
        """``(value, step)`` when the loss ``total`` of ``step`` is known to be bad now."""
        if self.now:
            return None if torch.isfinite(total) else (float(total.detach()), step)
        bad = ~torch.isfinite(total) & (self.first_bad < 0)
        self.first_bad = torch.where(bad, torch.full_like(self.first_bad, step), self.first_bad)
        return None

    def poll(self) -> tuple[float, int] | None:
        """``(nan, step)`` of the first bad step seen since the start (syncs the device)."""
        if not self.now and int(self.first_bad) >= 0:
            return float("nan"), int(self.first_bad)
        return None


def track_best(state: TrainState, key: float | None) -> bool:
    """Count an epoch whose loss-like ``key`` (lower is better) was measured; ``True`` when
    it is the best so far (its weights are then the ones to keep)."""
    if key is None:
        return False
    if state.best_val is None or key < state.best_val:
        state.best_val, state.best_epoch, state.bad_epochs = key, state.epoch, 0
        return True
    state.bad_epochs += 1
    return False


def patience_spent(state: TrainState, patience: int) -> bool:
    """Whether early stopping (``patience`` epochs without improvement; 0: off) ends the run."""
    return 0 < patience <= state.bad_epochs


def check_collapse(
    model: VAE,
    data: DataBundle,
    state: TrainState,
    record: dict[str, Any],
    batch_size: int,
    device: torch.device,
    advice: str,
) -> str | None:
    """Count active units into ``record``; the posterior-collapse warning, once, when the
    posterior has looked collapsed for :data:`COLLAPSE_EPOCHS` epochs (else ``None``).

    The warning ends with ``advice``, in the caller's terms, and is stored in
    ``record["warning"]``.
    """
    if not model.has_latent or not model.variational or not model.gaussian_latent:
        return None  # a language model has no code, a denoising autoencoder no KL, a VQ-VAE
        # a point-mass code (no active units to count)
    split = data.val if data.val is not None else data.train
    means, _, _ = posterior_stats(
        model, split, batch_size, device, COLLAPSE_EXAMPLES, data.mean, data.std
    )  # (N, D)
    au, _ = active_units(means)
    kl = record.get("val_kl", record["train_kl"])
    record["active_units"] = au
    layers = layer_active_units(
        model, split, batch_size, device, COLLAPSE_EXAMPLES, data.mean, data.std
    )
    record.update({f"active_units_{name}": n for name, n in layers.items()})
    state.collapse_epochs = state.collapse_epochs + 1 if au == 0 or kl < COLLAPSE_KL else 0
    if state.collapse_epochs < COLLAPSE_EPOCHS or state.collapse_warned:
        return None
    state.collapse_warned = True
    record["warning"] = (
        f"posterior collapse: {au} active units and KL {kl:.3f} nats for "
        f"{COLLAPSE_EPOCHS} epochs; the decoder ignores z. {advice}"
    )
    return record["warning"]


def nonfinite_loss(
    value: float, epoch: int, step: int, checkpoint: Path | None, saved_epoch: int
) -> TrainingError:
    """The error for a loss that became NaN or infinite at ``step`` of (0-based) ``epoch``;
    ``checkpoint`` holds the state after ``saved_epoch`` (``None``: nothing was saved)."""
    kind = "NaN" if math.isnan(value) else "infinite"
    if checkpoint is not None and saved_epoch > 0:
        where = f"the last good checkpoint is {checkpoint} (epoch {saved_epoch})"
    else:
        where = "no checkpoint was written yet"
    return TrainingError(
        f"loss became {kind} at epoch {epoch + 1}, step {step}; {where}",
        hint_option="train.grad_clip",
    )
