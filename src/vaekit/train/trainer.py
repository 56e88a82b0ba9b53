"""The trainer: optimises any registered model through ``model.loss`` and its ``LossOutput``."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from vaekit.config import TrainConfig
from vaekit.cpu_load import LoadFollower, follows_load, local_processes, usable_cores
from vaekit.data import DataBundle, global_batches, iterate_batches
from vaekit.eval.elbo import elbo_terms
from vaekit.io.run_dir import METRICS_FILE
from vaekit.models import VAE
from vaekit.objectives import make_kl_schedule
from vaekit.train import distributed, monitors, records
from vaekit.train.checkpoint import (
    Snapshots,
    TrainState,
    has_checkpoint,
    load_checkpoint,
    remove_leftovers,
    save_final_weights,
)
from vaekit.train.device import flush_denormals, resolve_device
from vaekit.train.interrupts import Interrupts, interrupted
from vaekit.train.lr import lr_at
from vaekit.train.optim import OPTIMIZERS, build_optimizers, opt_params  # noqa: F401  (re-exported)
from vaekit.train.progress import training_progress
from vaekit.train.selection import Selection
from vaekit.train.validation import validate_train_config

CHECKPOINT_DIR = "checkpoint"
PROGRESS_EVERY = 25  # steps between progress-bar refreshes (each one syncs the device)


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` returns."""

    epochs: int
    steps: int
    stopped_early: bool
    best_val: float | None
    history: list[dict[str, Any]] = field(default_factory=list)


class Trainer:
    """Trains a model on a :class:`DataBundle`; knows no specific model.

    Parameters
    ----------
    model
        Any model whose ``loss(x, y, kl_weight=, free_bits=)`` returns a ``LossOutput``.
    data
        Training (and optional validation) splits.
    config
        Optimisation settings, checked first (:func:`validate_train_config`).
    run_dir
        Where checkpoints, ``metrics.jsonl`` and final weights go (``None``: keep nothing).
    quiet
        Hide the progress bar and the per-epoch lines.
    selection
        A score to select the best epoch by (e.g. validation NDCG@100) instead of the
        validation loss; the best epoch's weights are kept and restored at the end.
    on_epoch
        Called with each epoch's record (the ``metrics.jsonl`` line) once it is complete,
        e.g. to drive a caller's own progress display with ``quiet=True``.
    collapse_advice
        What the posterior-collapse warning suggests, in the caller's terms (default: the
        options of ``vaekit train``).

    Notes
    -----
    Under ``torchrun`` (a process group is running) the model trains with
    DistributedDataParallel: each global batch of ``batch_size`` is split across the
    ranks, and only rank 0 prints and writes files. Stopped by Ctrl-C or SIGTERM, it
    saves the last completed epoch and raises :class:`~vaekit.errors.TrainingInterrupted`.
    """

    def __init__(
        self,
        model: VAE,
        data: DataBundle,
        config: TrainConfig,
        run_dir: str | Path | None = None,
        quiet: bool = False,
        console: Console | None = None,
        selection: Selection | None = None,
        on_epoch: Callable[[dict[str, Any]], None] | None = None,
        collapse_advice: str = monitors.COLLAPSE_ADVICE,
    ) -> None:
        validate_train_config(config)
        self.cfg, self.on_epoch, self.selection = config, on_epoch, selection
        self.collapse_advice = collapse_advice
        self.dist = distributed.current()
        self.device = distributed.local_device(resolve_device(config.device), self.dist)
        self.model = model.to(self.device)
        self.data = data.to(self.device)  # in-memory splits move to the device once
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.writes = self.run_dir is not None and self.dist.is_main
        self.quiet = quiet or not self.dist.is_main
        self.console = console or Console(stderr=True)
        self.main_params, self.optimizer, self.aux_optimizers = build_optimizers(
            self.model, config, self.device
        )
        self.kl_schedule = make_kl_schedule(config.kl_schedule, config.epochs,
            config.warmup_epochs, config.kl_cycles, config.kl_ratio)  # fmt: skip
        if config.flush_denormal and self.device.type == "cpu":
            flush_denormals()
        self.state = TrainState()
        self.best_weights: dict[str, torch.Tensor] | None = None
        ckpt = self.run_dir / CHECKPOINT_DIR if self.run_dir is not None and self.writes else None
        self._snapshots = Snapshots(ckpt, config.checkpoint_every, config.epochs)
        self._interrupts = Interrupts()
        self.use_bf16 = config.bf16 and self.device.type == "cuda"
        notes = records.setup_notes(config, self.model, self.device)
        for note in notes if self.dist.is_main else []:
            self.console.print(f"[yellow]{note}")
        loss_fn: Any = self.model.loss
        if self.dist.enabled:  # DDP averages the main gradients; aux ones are averaged below
            outside = [p for o in self.aux_optimizers.values() for p in opt_params(o)]
            outside += list(self.model.parameters_outside_loss())
            loss_fn = distributed.wrap(self.model, self.device, outside)
        self.loss_fn = torch.compile(loss_fn) if config.compile else loss_fn

    def resume(self) -> None:
        """Restore the last checkpoint of ``run_dir`` (weights, optimizer, RNG, counters)."""
        assert self.run_dir is not None
        if self.writes:
            remove_leftovers(self.run_dir, self.run_dir / CHECKPOINT_DIR)
        if has_checkpoint(self.run_dir / CHECKPOINT_DIR):
            self.state, self.best_weights = load_checkpoint(
                self.run_dir / CHECKPOINT_DIR, self.model, self.optimizer, self.aux_optimizers
            )
        metrics = self.run_dir / METRICS_FILE
        if self.writes and metrics.exists():  # drop lines written after the checkpoint
            records.keep_records(metrics, self.state.epoch)

    def fit(self, stop_after_epoch: int | None = None) -> TrainResult:
        """Train until ``config.epochs`` epochs have completed (or early stopping).

        ``stop_after_epoch`` ends the call after that epoch, as an interruption would; the
        run can be continued with :meth:`resume` and ``fit`` again.
        """
        cfg, st = self.cfg, self.state
        progress = training_progress(self.console, disable=self.quiet)
        if not self.quiet and st.epoch < cfg.epochs:
            self.console.print(self._start_line(), soft_wrap=True, highlight=False)
        # threads left to vaekit follow the cores other programs leave free (vaekit.cpu_load)
        share = max(1, usable_cores() // local_processes())
        self._load = LoadFollower(enabled=self._follows_load(), ceiling=share)
        with progress, self._interrupts.installed(), self._load:
            try:
                history, stopped_early = self._run_epochs(progress, stop_after_epoch)
            except KeyboardInterrupt:
                self._snapshots.flush()
                raise interrupted(self.state.epoch, cfg.epochs, self.run_dir) from None
            except RuntimeError as e:
                if self.dist.enabled and distributed.is_collective_failure(e):
                    raise distributed.collective_error(e, self.dist) from None
                raise
            self._snapshots.flush()  # stop_after_epoch: the last epoch reaches the disk
        distributed.check_in_sync(self.model, self.dist)
        if self.best_weights is not None and (cfg.early_stopping > 0 or self.selection):
            self.model.load_state_dict(self.best_weights)
        if self.writes and (st.epoch >= cfg.epochs or stopped_early):
            save_final_weights(self.run_dir, self.model, trained=bool(history))
        return TrainResult(st.epoch, st.step, stopped_early, st.best_val, history)

    def _start_line(self) -> str:
        world = self.dist.world_size if self.dist.enabled else 1
        where = records.where_text(self.device, self._follows_load(), world)
        return records.start_line(self.model, self.data, where, self.state.epoch, self.cfg.epochs)

    def _follows_load(self) -> bool:
        return self.device.type == "cpu" and follows_load(self.cfg.threads)

    def _run_epochs(
        self, progress: Any, stop_after_epoch: int | None
    ) -> tuple[list[dict[str, Any]], bool]:
        history: list[dict[str, Any]] = []
        patience = self.cfg.early_stopping
        while self.state.epoch < self.cfg.epochs:
            if self.state.epoch > 0 and monitors.patience_spent(self.state, patience):
                return history, True
            history.append(self._train_epoch(progress))
            if stop_after_epoch is not None and self.state.epoch >= stop_after_epoch:
                return history, False
        return history, monitors.patience_spent(self.state, patience)

    def _epoch_batches(self) -> list[int]:
        """Sizes of one epoch's global batches: the whole training split, or the first
        ``steps_per_epoch`` batches of a fresh permutation."""
        sizes = global_batches(len(self.data.train), self.cfg.batch_size, self.dist.world_size)
        return sizes[: self.cfg.steps_per_epoch] if self.cfg.steps_per_epoch > 0 else sizes

    def _train_epoch(self, progress: Any) -> dict[str, Any]:
        cfg, model, st = self.cfg, self.model, self.state
        epoch, sizes = st.epoch, self._epoch_batches()
        steps_per_epoch = len(sizes)
        lr = lr_at(epoch, cfg.lr, cfg.lr_schedule, cfg.epochs, cfg.lr_step_epochs, cfg.lr_gamma,
                   cfg.lr_stage_ratio)  # fmt: skip
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        model.train()
        totals = records.EpochTotals(self.device)
        finite = monitors.FiniteLoss(self.device)
        task = progress.add_task(
            f"epoch {epoch + 1}/{cfg.epochs}", total=steps_per_epoch, metrics=""
        )
        t0, factor = time.perf_counter(), 0.0
        batches = iterate_batches(
            self.data.train, cfg.batch_size, shuffle=True, device=self.device,
            dynamic_binarize=self.data.binarize == "dynamic", mean=self.data.mean,
            std=self.data.std, num_workers=cfg.num_workers,
            shard=(self.dist.rank, self.dist.world_size) if self.dist.enabled else None,
        )  # fmt: skip
        batches = itertools.islice(batches, len(sizes))
        for i, ((x, y), size) in enumerate(zip(batches, sizes, strict=True)):
            factor = self.kl_schedule(epoch + i / steps_per_epoch)
            weight = torch.tensor(factor, device=self.device) if cfg.compile else factor
            # this rank's share of the global batch: the noise follows the global batch, and
            # the loss is scaled so that DDP's gradient average is the global-batch mean
            shard, scale = distributed.batch_share(size, x.shape[0], self.dist)
            with shard, torch.autocast(self.device.type, torch.bfloat16, enabled=self.use_bf16):
                out = self.loss_fn(x, y, kl_weight=weight, free_bits=cfg.free_bits)
            total = out.total.float()
            if (bad := finite.check(total, st.step + 1)) is not None:
                raise self._fail(epoch, *bad)
            (total * scale if scale != 1.0 else total).backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.main_params, cfg.grad_clip, foreach=True)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            for name, opt in self.aux_optimizers.items():
                opt.zero_grad(set_to_none=True)  # drop what the main loss left on them
                (out.aux_losses[name].float() * scale).backward()
                distributed.average_gradients(opt_params(opt), self.dist)
                opt.step()
            totals.add(total, out, x.shape[0])
            st.step += 1
            if (i + 1) % PROGRESS_EVERY == 0 or i + 1 == steps_per_epoch:
                self._load.poll()
                if (bad := finite.poll()) is not None:
                    raise self._fail(epoch, *bad)
                progress.update(task, completed=i + 1,
                                metrics=totals.progress(time.perf_counter() - t0))  # fmt: skip
        train = totals.record(self.dist)  # the ranks' totals summed: the means are global
        seconds = time.perf_counter() - t0
        # a signal in here waits until the epoch is counted, logged and snapshotted
        with self._interrupts.deferred():
            st.epoch += 1
            record: dict[str, Any] = {"epoch": st.epoch, "step": st.step, **train}
            self._end_epoch(record)
            threads = torch.get_num_threads() if self.device.type == "cpu" else None
            records.add_speed(record, model.beta * factor, lr, seconds, totals.n, threads,
                              self._follows_load())  # fmt: skip
            if self.writes and self.run_dir is not None:  # metrics first, then the checkpoint:
                # a kill in between leaves a line that resume drops (its epoch is after the
                # checkpoint's) and trains again
                records.append_record(self.run_dir / METRICS_FILE, record)
            self._snapshots.take(model, self.optimizer, st, self.best_weights, self.aux_optimizers)
        if not self.quiet:
            name = self.selection.name if self.selection is not None else None
            line = records.epoch_line(record, model.gaussian_latent, name)
            progress.console.print(line, soft_wrap=True)  # one line, also when piped
        progress.remove_task(task)
        if self.on_epoch is not None:
            self.on_epoch(record)
        return record

    def _end_epoch(self, record: dict[str, Any]) -> None:
        """Validation terms, the best epoch's weights and the collapse check into ``record``."""
        cfg, model, st = self.cfg, self.model, self.state
        if self.data.val is not None:
            val = elbo_terms(model, self.data.val, cfg.eval_batch_size, self.device,
                             bundle=self.data)  # fmt: skip
            record.update(val_loss=val["loss"], val_recon=val["reconstruction"], val_kl=val["kl"])
            record.update({f"val_{k}": v for k, v in val.items() if k.startswith("kl_")})
        key = record.get("val_loss")
        if self.selection is not None:
            value, key = self.selection(model)
            record[f"val_{self.selection.name}"] = value
        keep = cfg.early_stopping > 0 or self.selection is not None
        if monitors.track_best(st, key) and keep:
            self.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        warning = monitors.check_collapse(model, self.data, st, record, cfg.eval_batch_size,
                                          self.device, self.collapse_advice)  # fmt: skip
        if warning is not None and self.dist.is_main:
            self.console.print(f"[yellow]warning: {warning}")

    def _fail(self, epoch: int, value: float, step: int) -> Exception:
        ckpt = self.run_dir / CHECKPOINT_DIR if self.run_dir is not None else None
        return monitors.nonfinite_loss(value, epoch, step, ckpt, self.state.epoch)
