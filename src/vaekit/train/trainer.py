"""The trainer: optimises any registered model through ``model.loss`` and its ``LossOutput``."""

from __future__ import annotations

import itertools
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from signal import SIGINT, SIGTERM
from typing import Any

import torch
from rich.console import Console

from vaekit.config import TrainConfig
from vaekit.cpu_load import LoadFollower, follows_load, local_processes, usable_cores
from vaekit.data import DataBundle, global_batches, iterate_batches, shard_bounds
from vaekit.distributions.noise import batch_shard
from vaekit.errors import ConfigError, TrainingError, TrainingInterrupted
from vaekit.eval.elbo import elbo_terms
from vaekit.eval.latent import COLLAPSE_KL, active_units, layer_active_units, posterior_stats
from vaekit.io.model_io import MODEL_WEIGHTS
from vaekit.io.run_dir import METRICS_FILE
from vaekit.io.safe import atomic_write_text, save_tensors
from vaekit.models import VAE
from vaekit.objectives import make_kl_schedule
from vaekit.train import distributed
from vaekit.train.checkpoint import (
    TrainState,
    checkpoint_tensors,
    has_checkpoint,
    load_checkpoint,
    write_checkpoint,
)
from vaekit.train.device import resolve_device
from vaekit.train.lr import lr_at
from vaekit.train.progress import training_progress
from vaekit.train.selection import Selection

CHECKPOINT_DIR = "checkpoint"
OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
PROGRESS_EVERY = 25  # steps between progress-bar refreshes (each one syncs the device)
#: posterior collapse: no active unit, or total KL below COLLAPSE_KL, for COLLAPSE_EPOCHS epochs
COLLAPSE_EPOCHS, COLLAPSE_EXAMPLES = 3, 2000
COLLAPSE_ADVICE = "Try --kl-schedule linear, --free-bits 0.5 or a smaller --beta"


def flush_denormals() -> None:
    """Flush denormal floats to zero on CPU.

    Adam's second moments for parameters that never get a gradient (e.g. the weights of
    MNIST's always-black border pixels) decay into denormal floats, which x86 CPUs process
    many times slower: without this, epochs get ~1.7x slower as training goes on. The
    setting is per thread and PyTorch's worker threads copy it when they start, so it
    reaches them only when set before the first parallel operation: ``vaekit train``
    (and :func:`vaekit.train`) set it first thing.
    """
    torch.set_flush_denormal(True)


class _Interrupts:
    """Ctrl-C (SIGINT) and SIGTERM as ``KeyboardInterrupt``, held back while the end of an
    epoch is being recorded, so that a completed epoch is always saved whole."""

    def __init__(self) -> None:
        self.critical = False
        self.pending = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.critical:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Route both signals here while training (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self._handler) for sig in (SIGINT, SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold signals back inside the block; raise the held one after it."""
        self.critical = True
        try:
            yield
        finally:
            self.critical = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


def _layers_text(record: dict[str, Any]) -> str:
    """``"  (z1: KL 20.10, 14 AU; z2: KL 3.00, 2 AU)"`` for models with several layers."""
    names = [k.removeprefix("active_units_") for k in record if k.startswith("active_units_")]
    parts = []
    for name in names:
        kl = record.get(f"val_kl_{name}", record.get(f"train_kl_{name}"))
        kl_txt = f"KL {kl:.2f}, " if kl is not None else ""
        parts.append(f"{name}: {kl_txt}{record[f'active_units_{name}']} AU")
    return f"  ({'; '.join(parts)})" if parts else ""


def _code_text(record: dict[str, Any]) -> str:
    """``"recon 80.12 (perplexity 76.6)  val recon 82.40 (-ELBO 313.99)"`` for a model with a
    discrete code, whose train objective (reconstruction + commitment) has no KL term and
    whose -ELBO adds the constant KL of the codes' uniform prior."""
    text = f"recon {record['train_recon']:.2f}"
    if "train_perplexity" in record:
        text += f" (perplexity {record['train_perplexity']:.1f})"
    if "val_recon" in record:
        text += f"  val recon {record['val_recon']:.2f} (-ELBO {record['val_loss']:.2f})"
    return text


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl``; a line cut short by a kill is dropped."""
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("epoch"), int):
            records.append(record)
    return records


def opt_params(opt: torch.optim.Optimizer) -> list[torch.nn.Parameter]:
    """Every parameter ``opt`` updates."""
    return [p for group in opt.param_groups for p in group["params"]]


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
        Optimisation settings.
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

    Under ``torchrun`` (a process group is running) the model trains with
    DistributedDataParallel: each global batch of ``batch_size`` is split across the
    ranks, and only rank 0 prints and writes files.
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
        collapse_advice: str = COLLAPSE_ADVICE,
    ) -> None:
        self.cfg = config
        self.on_epoch = on_epoch
        self.collapse_advice = collapse_advice
        self.selection = selection
        self.dist = distributed.current()
        self.device = distributed.local_device(resolve_device(config.device), self.dist)
        self.model = model.to(self.device)
        self.data = data.to(self.device)  # in-memory splits move to the device once
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.writes = self.run_dir is not None and self.dist.is_main
        self.quiet = quiet or not self.dist.is_main
        self.console = console or Console(stderr=True)
        if config.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        for name, v in (("epochs", config.epochs), ("batch_size", config.batch_size)):
            if v < 1:
                raise ConfigError(f"{name} must be >= 1, got {v}")
        if config.steps_per_epoch < 0:
            raise ConfigError(f"steps_per_epoch must be >= 0, got {config.steps_per_epoch}")
        if not config.lr > 0:
            raise ConfigError(f"lr must be > 0, got {config.lr}")
        if config.free_bits < 0:
            raise ConfigError(f"free_bits must be >= 0, got {config.free_bits}")
        fused = self.device.type in ("cpu", "cuda")
        # a model may own extra optimizers (name -> (parameters, Adam options)); the main
        # optimizer takes every other parameter
        specs = getattr(self.model, "auxiliary_optimizers", dict)()
        aux_ids = {id(p) for params, _ in specs.values() for p in params}
        self.main_params = [p for p in self.model.parameters() if id(p) not in aux_ids]
        self.aux_optimizers = {
            name: torch.optim.Adam(params, fused=fused, **options)
            for name, (params, options) in specs.items()
        }
        self.optimizer = OPTIMIZERS[config.optimizer](
            self.main_params,
            lr=config.lr,
            betas=tuple(config.adam_betas),
            eps=config.adam_eps,
            weight_decay=config.weight_decay,
            fused=fused,
        )
        self.kl_schedule = make_kl_schedule(
            config.kl_schedule,
            config.epochs,
            config.warmup_epochs,
            config.kl_cycles,
            config.kl_ratio,
        )
        if config.flush_denormal and self.device.type == "cpu":
            flush_denormals()
        if config.checkpoint_every < 1:
            raise ConfigError(f"checkpoint_every must be >= 1, got {config.checkpoint_every}")
        self.state = TrainState()
        self.best_weights: dict[str, torch.Tensor] | None = None
        # the last epoch's state, not yet on disk (checkpoint_every > 1)
        self._unsaved: tuple[dict[str, torch.Tensor], dict[str, str]] | None = None
        self._interrupts = _Interrupts()
        self.use_bf16 = config.bf16 and self.device.type == "cuda"
        if config.bf16 and not self.use_bf16 and self.dist.is_main:
            self.console.print("[yellow]bf16 autocast applies on CUDA only; training in float32")
        advice = self.model.kl_warmup_advice
        if advice and config.kl_schedule == "constant" and self.dist.is_main:
            self.console.print(f"[yellow]note: {advice}")
        loss_fn: Any = self.model.loss
        if self.dist.enabled:  # DDP averages the main gradients; aux ones are averaged below
            outside = [p for o in self.aux_optimizers.values() for p in opt_params(o)] + list(
                self.model.parameters_outside_loss()
            )
            loss_fn = distributed.wrap(self.model, self.device, outside)
        self.loss_fn = torch.compile(loss_fn) if config.compile else loss_fn

    # ------------------------------------------------------------------ resume
    def resume(self) -> None:
        """Restore the last checkpoint of ``run_dir`` (weights, optimizer, RNG, counters)."""
        assert self.run_dir is not None
        if self.writes:  # temporary files of writes that a kill cut short
            for d in (self.run_dir, self.run_dir / CHECKPOINT_DIR):
                for leftover in d.glob(".*.tmp"):
                    leftover.unlink(missing_ok=True)
        if has_checkpoint(self.run_dir / CHECKPOINT_DIR):
            self.state, self.best_weights = load_checkpoint(
                self.run_dir / CHECKPOINT_DIR, self.model, self.optimizer, self.aux_optimizers
            )
        metrics = self.run_dir / METRICS_FILE
        if self.writes and metrics.exists():  # drop lines written after the checkpoint
            keep = [ln for ln in _json_lines(metrics) if ln["epoch"] <= self.state.epoch]
            atomic_write_text(metrics, "".join(json.dumps(r) + "\n" for r in keep))

    # ------------------------------------------------------------------ training
    def fit(self, stop_after_epoch: int | None = None) -> TrainResult:
        """Train until ``config.epochs`` epochs have completed (or early stopping).

        ``stop_after_epoch`` ends the call after that epoch, as an interruption would; the
        run can be continued with :meth:`resume` and ``fit`` again.
        """
        cfg = self.cfg
        progress = training_progress(self.console, disable=self.quiet)
        if not self.quiet and self.state.epoch < cfg.epochs:
            self.console.print(self._start_line(), soft_wrap=True, highlight=False)
        # threads left to vaekit follow the cores other programs leave free (vaekit.cpu_load)
        share = max(1, usable_cores() // local_processes())
        self._load = LoadFollower(enabled=self._follows_load(), ceiling=share)
        with progress, self._interrupts.installed(), self._load:
            try:
                history, stopped_early = self._run_epochs(progress, stop_after_epoch)
            except KeyboardInterrupt:
                self._save_on_interrupt()
                raise self._interrupted() from None
            except RuntimeError as e:
                if self.dist.enabled and distributed.is_collective_failure(e):
                    raise distributed.collective_error(e, self.dist) from None
                raise
            self._save_on_interrupt()  # stop_after_epoch: the last epoch reaches the disk
        distributed.check_in_sync(self.model, self.dist)
        if self.best_weights is not None and (cfg.early_stopping > 0 or self.selection):
            self.model.load_state_dict(self.best_weights)
        if self.writes and (self.state.epoch >= cfg.epochs or stopped_early):
            save_tensors(self.run_dir / MODEL_WEIGHTS, dict(self.model.state_dict()))
        return TrainResult(
            self.state.epoch, self.state.step, stopped_early, self.state.best_val, history
        )

    def _start_line(self) -> str:
        """What is about to train: model size, data, device and threads."""
        params = sum(p.numel() for p in self.model.parameters())
        val = f" / {len(self.data.val):,} val" if self.data.val is not None else ""
        where = str(self.device)
        if self.device.type == "cpu":
            follow = " (following the load)" if self._follows_load() else ""
            where += f", {torch.get_num_threads()} threads{follow}"
        if self.dist.enabled:
            where += f", {self.dist.world_size} processes"
        e, total = self.state.epoch, self.cfg.epochs
        span = f"epochs {e + 1}-{total}" if e else f"{total} epochs"
        name = self.model.registry_name
        return (
            f"training {name} ({params:,} parameters), {span} on {len(self.data.train):,} "
            f"train{val} examples of {self.data.name}; {where}"
        )

    def _follows_load(self) -> bool:
        return self.device.type == "cpu" and follows_load(self.cfg.threads)

    def _run_epochs(
        self, progress: Any, stop_after_epoch: int | None
    ) -> tuple[list[dict[str, Any]], bool]:
        cfg, history, stopped_early = self.cfg, [], False
        steps_per_epoch = len(self._epoch_batches())
        while self.state.epoch < cfg.epochs:
            if self.state.epoch > 0 and self.state.bad_epochs >= cfg.early_stopping > 0:
                stopped_early = True
                break
            record = self._train_epoch(progress, steps_per_epoch)
            history.append(record)
            if stop_after_epoch is not None and self.state.epoch >= stop_after_epoch:
                break
        else:
            stopped_early = 0 < cfg.early_stopping <= self.state.bad_epochs
        return history, stopped_early

    def _epoch_batches(self) -> list[int]:
        """Sizes of one epoch's global batches: the whole training split, or the first
        ``steps_per_epoch`` batches of a fresh permutation."""
        sizes = global_batches(len(self.data.train), self.cfg.batch_size, self.dist.world_size)
        return sizes[: self.cfg.steps_per_epoch] if self.cfg.steps_per_epoch > 0 else sizes

    def _train_epoch(self, progress: Any, steps_per_epoch: int) -> dict[str, Any]:
        cfg, model, st = self.cfg, self.model, self.state
        epoch = st.epoch
        lr = lr_at(
            epoch, cfg.lr, cfg.lr_schedule, cfg.epochs, cfg.lr_step_epochs, cfg.lr_gamma,
            cfg.lr_stage_ratio,
        )  # fmt: skip
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        model.train()
        sums = torch.zeros(3, device=self.device)  # sum over examples of total, recon, kl
        extras: dict[str, torch.Tensor] = {}  # sums of the model's extra terms
        first_bad = torch.full((), -1, device=self.device, dtype=torch.long)
        check_now = self.device.type == "cpu"  # checking every step costs nothing on CPU
        task = progress.add_task(
            f"epoch {epoch + 1}/{cfg.epochs}", total=steps_per_epoch, metrics=""
        )
        n_seen, t0, factor = 0, time.perf_counter(), 0.0
        batches = iterate_batches(
            self.data.train,
            cfg.batch_size,
            shuffle=True,
            device=self.device,
            dynamic_binarize=self.data.binarize == "dynamic",
            mean=self.data.mean,
            std=self.data.std,
            num_workers=cfg.num_workers,
            shard=(self.dist.rank, self.dist.world_size) if self.dist.enabled else None,
        )
        sizes = self._epoch_batches()
        batches = itertools.islice(batches, len(sizes))
        for i, ((x, y), size) in enumerate(zip(batches, sizes, strict=True)):
            factor = self.kl_schedule(epoch + i / steps_per_epoch)
            weight = torch.tensor(factor, device=self.device) if cfg.compile else factor
            # this rank's share of the global batch: the noise follows the global batch, and
            # the loss is scaled so that DDP's gradient average is the global-batch mean
            shard, scale = nullcontext(), 1.0
            if self.dist.enabled:
                lo, hi = shard_bounds(size, self.dist.rank, self.dist.world_size)
                shard, scale = batch_shard(lo, hi, size), x.shape[0] * self.dist.world_size / size
            with shard, torch.autocast(self.device.type, torch.bfloat16, enabled=self.use_bf16):
                out = self.loss_fn(x, y, kl_weight=weight, free_bits=cfg.free_bits)
            total = out.total.float()
            if check_now:
                if not torch.isfinite(total):
                    self._fail(float(total.detach()), epoch, st.step + 1)
            else:
                bad = ~torch.isfinite(total) & (first_bad < 0)
                first_bad = torch.where(bad, torch.full_like(first_bad, st.step + 1), first_bad)
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
            b = x.shape[0]
            for key, value in out.extra.items():
                extras[key] = extras.get(key, 0.0) + value.detach().float() * b
            sums += (
                torch.stack(
                    [total.detach(), out.reconstruction.detach().float(), out.kl.detach().float()]
                )
                * b
            )
            n_seen += b
            st.step += 1
            if (i + 1) % PROGRESS_EVERY == 0 or i + 1 == steps_per_epoch:
                self._load.poll()
                if not check_now and int(first_bad) >= 0:
                    self._fail(float("nan"), epoch, int(first_bad))
                avg = (sums / n_seen).tolist()
                rate = n_seen / (time.perf_counter() - t0)
                progress.update(
                    task,
                    completed=i + 1,
                    metrics=f"loss {avg[0]:.2f}  recon {avg[1]:.2f}  KL {avg[2]:.2f}  "
                    f"{rate:,.0f} samples/s",
                )
        if self.dist.enabled:  # sum the ranks' totals: the logged means are global
            keys = sorted(extras)
            n_t = torch.tensor([float(n_seen)], device=self.device)
            packed = torch.cat([sums, torch.stack([extras[k] for k in keys]) if keys else
                                sums[:0], n_t])  # fmt: skip
            distributed.all_reduce_sum(packed, self.dist)
            sums, n_seen = packed[:3], int(round(float(packed[-1])))
            extras = {k: packed[3 + j] for j, k in enumerate(keys)}
        seconds = time.perf_counter() - t0
        train = (sums / max(n_seen, 1)).tolist()
        # a signal in here waits until the epoch is counted, logged and snapshotted
        with self._interrupts.deferred():
            st.epoch += 1
            record: dict[str, Any] = {
                "epoch": st.epoch,
                "step": st.step,
                "train_loss": train[0],
                "train_recon": train[1],
                "train_kl": train[2],
            }
            record.update({f"train_{k}": float(v) / max(n_seen, 1) for k, v in extras.items()})
            if self.data.val is not None:
                val = elbo_terms(
                    model, self.data.val, cfg.eval_batch_size, self.device, bundle=self.data
                )
                record.update(
                    val_loss=val["loss"], val_recon=val["reconstruction"], val_kl=val["kl"]
                )
                record.update({f"val_{k}": v for k, v in val.items() if k.startswith("kl_")})
            key = record.get("val_loss")
            if self.selection is not None:
                value, key = self.selection(model)
                record[f"val_{self.selection.name}"] = value
            if key is not None:
                if st.best_val is None or key < st.best_val:
                    st.best_val, st.best_epoch, st.bad_epochs = key, st.epoch, 0
                    if cfg.early_stopping > 0 or self.selection is not None:
                        self.best_weights = {
                            k: v.detach().clone() for k, v in model.state_dict().items()
                        }
                else:
                    st.bad_epochs += 1
            self._check_collapse(record)
            record.update(
                beta=model.beta * factor, lr=lr, seconds=seconds, samples_per_s=n_seen / seconds
            )
            if self.device.type == "cpu":  # at the end of the epoch (it follows the load)
                record["threads"] = torch.get_num_threads()
            if "train_tokens" in record:  # sequences: mean tokens per example -> tokens/s
                record["tokens_per_s"] = record["samples_per_s"] * record["train_tokens"]
            if self.writes:
                assert self.run_dir is not None
                # metrics first, then the checkpoint: a kill in between leaves a line that
                # resume drops (its epoch is after the checkpoint's) and trains again
                metrics = self.run_dir / METRICS_FILE
                old = metrics.read_text() if metrics.exists() else ""
                atomic_write_text(metrics, old + json.dumps(record) + "\n")
                self._unsaved = checkpoint_tensors(
                    model, self.optimizer, st, self.best_weights, self.aux_optimizers
                )
                if st.epoch % cfg.checkpoint_every == 0 or st.epoch >= cfg.epochs:
                    write_checkpoint(self.run_dir / CHECKPOINT_DIR, self._unsaved)
                    self._unsaved = None

        if not self.quiet:
            val_txt = f"  val {record['val_loss']:.2f}" if "val_loss" in record else ""
            if self.selection is not None:
                name = self.selection.name
                val_txt += f"  val {name} {record[f'val_{name}']:.4f}"
            rate = (f"{record['tokens_per_s']:,.0f} tokens/s" if "tokens_per_s" in record
                    else f"{record['samples_per_s']:,.0f} samples/s")  # fmt: skip
            au = f"  {record['active_units']} AU" if "active_units" in record else ""
            if not model.gaussian_latent:  # the train objective has no KL: compare recon
                line = f"epoch {st.epoch}: {_code_text(record)}  {seconds:.1f}s  {rate}"
            else:
                line = (
                    f"epoch {st.epoch}: loss {train[0]:.2f} (recon {train[1]:.2f}, KL "
                    f"{train[2]:.2f}){val_txt}{au}{_layers_text(record)}  {seconds:.1f}s  {rate}"
                )
            progress.console.print(line, soft_wrap=True)  # one line, also when piped
        progress.remove_task(task)
        if self.on_epoch is not None:
            self.on_epoch(record)
        return record

    def _save_on_interrupt(self) -> None:
        """Write the last completed epoch's state if it is not on disk yet."""
        if self.writes and self._unsaved is not None:
            assert self.run_dir is not None
            write_checkpoint(self.run_dir / CHECKPOINT_DIR, self._unsaved)
            self._unsaved = None

    def _interrupted(self) -> TrainingInterrupted:
        head = f"interrupted in epoch {self.state.epoch + 1}"
        if self.run_dir is None:
            return TrainingInterrupted(f"{head}; nothing was saved (no run directory)")
        if self.state.epoch > 0:
            saved = f"saved the state after epoch {self.state.epoch} of {self.cfg.epochs}"
        else:
            saved = "no epoch had completed, nothing to keep"
        return TrainingInterrupted(
            f"{head}: {saved}; continue with: vaekit train --resume {self.run_dir}"
        )

    def _check_collapse(self, record: dict[str, Any]) -> None:
        """Count active units; warn once when the posterior has collapsed for 3 epochs."""
        model = self.model
        if not model.has_latent or not model.variational or not model.gaussian_latent:
            return  # a language model has no code, a denoising autoencoder no KL, a VQ-VAE
            # a point-mass code (no active units to count)
        split = self.data.val if self.data.val is not None else self.data.train
        means, _, _ = posterior_stats(
            self.model, split, self.cfg.eval_batch_size, self.device, COLLAPSE_EXAMPLES,
            self.data.mean, self.data.std,
        )  # fmt: skip
        au, _ = active_units(means)
        kl = record.get("val_kl", record["train_kl"])
        record["active_units"] = au
        layers = layer_active_units(
            self.model, split, self.cfg.eval_batch_size, self.device, COLLAPSE_EXAMPLES,
            self.data.mean, self.data.std,
        )  # fmt: skip
        record.update({f"active_units_{name}": n for name, n in layers.items()})
        st = self.state
        st.collapse_epochs = st.collapse_epochs + 1 if au == 0 or kl < COLLAPSE_KL else 0
        if st.collapse_epochs >= COLLAPSE_EPOCHS and not st.collapse_warned:
            st.collapse_warned = True
            record["warning"] = (
                f"posterior collapse: {au} active units and KL {kl:.3f} nats for "
                f"{COLLAPSE_EPOCHS} epochs; the decoder ignores z. {self.collapse_advice}"
            )
            if self.dist.is_main:
                self.console.print(f"[yellow]warning: {record['warning']}")

    def _fail(self, value: float, epoch: int, step: int) -> None:
        kind = "NaN" if math.isnan(value) else "infinite"
        if self.run_dir is not None and self.state.epoch > 0:
            ckpt = self.run_dir / CHECKPOINT_DIR
            where = f"the last good checkpoint is {ckpt} (epoch {self.state.epoch})"
        else:
            where = "no checkpoint was written yet"
        raise TrainingError(
            f"loss became {kind} at epoch {epoch + 1}, step {step}; {where}. "
            "Try a lower --lr or --set train.grad_clip=5"
        )
