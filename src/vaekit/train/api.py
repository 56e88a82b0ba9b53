"""``fit(config)`` and ``resume(run_dir)``: a run directory from a configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from vaekit.config import Config
from vaekit.data import DataBundle, build_data
from vaekit.errors import ConfigError, DataError
from vaekit.io.model_io import MODEL_JSON, model_from_spec, model_spec
from vaekit.io.run import Run, save_data_stats, write_run_json
from vaekit.io.run_dir import (
    CONFIG_FILE,
    TOKENIZER_FILE,
    claim_run_dir,
    default_run_dir,
)
from vaekit.io.safe import atomic_write_text
from vaekit.models import VAE, create_model, get_model_class
from vaekit.train import distributed
from vaekit.train.checkpoint import has_checkpoint
from vaekit.train.device import flush_denormals, resolve_device
from vaekit.train.threads import set_threads
from vaekit.train.trainer import CHECKPOINT_DIR, Trainer, TrainResult
from vaekit.train.validation import validate_config

__all__ = ["TrainedRun", "build_model", "fit", "resume", "resume_run", "train", "train_run",
           "validate_config"]  # fmt: skip


@dataclass
class TrainedRun:
    """A finished (or stopped) training call: its run directory, what the trainer returned
    and the data it trained on (prepared once; reuse it, e.g. for the held-out loss)."""

    run_dir: Path
    result: TrainResult
    data: DataBundle


def build_model(cfg: Config, data: DataBundle) -> VAE:
    """The model described by ``cfg.model`` for data shaped like ``data``."""
    m = cfg.model
    cls = get_model_class(m.name)
    if cls.modality == "table":
        raise DataError(f"model {m.name!r} models mixed-type tables: fit it with "
                        "'vaekit synth fit TABLE.csv --out RUN'")  # fmt: skip
    if cls.modality == "series":
        raise DataError(f"model {m.name!r} models time series: fit it with 'vaekit "
                        f"timeseries fit SERIES.csv --out RUN --model {m.name}'")  # fmt: skip
    if cls.modality == "interactions":
        raise DataError(f"model {m.name!r} recommends items from clicks: fit it with "
                        f"'vaekit recommend fit LOG.csv --out RUN --model {m.name}'")  # fmt: skip
    if (cls.modality == "sequence") != data.is_sequence:
        if data.is_sequence:
            raise DataError(
                f"dataset {data.name!r} holds token sequences; model {m.name!r} "
                "takes fixed-shape arrays (use --model seq-vae or rnnlm)"
            )
        raise DataError(
            f"model {m.name!r} takes token sequences; dataset {data.name!r} holds "
            "arrays (give a .txt/.smi file, moses or sentences)"
        )
    if data.is_sequence:
        return _build_sequence_model(cfg, data)
    kwargs: dict[str, Any] = {
        "input_shape": data.input_shape,
        "latent_dim": m.latent_dim,
        "arch": m.arch,
        "hidden": m.hidden,
        "activation": m.activation,
        "likelihood": m.likelihood,
        "sigma": m.sigma,
        "channels": m.channels,
        "batchnorm": m.batchnorm,
        "posterior": m.posterior,
        "flow_steps": m.flow_steps,
        "prior": m.prior,
        "prior_components": m.prior_components,
    }
    if m.beta is not None:
        kwargs["beta"] = m.beta
    options = {key: getattr(m, key) for key in cls.extra_options}
    kwargs.update({k: v for k, v in options.items() if v is not None})
    kwargs.update(cls.data_options(len(data.train)))
    if cls.conditional:
        if data.num_classes < 2 or data.train.y is None:
            raise DataError(f"model {m.name!r} needs class labels; dataset {data.name!r} has none")
        kwargs["num_classes"] = data.num_classes
    model = create_model(m.name, **kwargs)
    if m.init_output_bias and data.train.in_memory:
        model.init_output_bias(data.train.x.mean(0))
    return model


def _build_sequence_model(cfg: Config, data: DataBundle) -> VAE:
    """A sequence model for ``data``: its tokenizer, the longest training sequence (x 1.5)
    as the default generation length, and the decoder bias at the token frequencies."""
    from vaekit.data.sequences import TokenSequences

    m, seqs = cfg.model, data.train.x
    assert isinstance(seqs, TokenSequences)
    longest = int(seqs.lengths.max())
    kwargs: dict[str, Any] = {
        "tokenizer": data.tokenizer.to_dict(), "latent_dim": m.latent_dim,
        "posterior": m.posterior, "flow_steps": m.flow_steps, "prior": m.prior,
        "prior_components": m.prior_components, "likelihood": m.likelihood,
        "max_length": cfg.data.max_length + 1 if cfg.data.max_length else (3 * longest + 1) // 2,
        "rnn": m.rnn, "bidirectional": m.bidirectional, "word_dropout": m.word_dropout,
        "decoder_layers": m.decoder_layers,
    }  # fmt: skip
    for key in ("embed_dim", "rnn_hidden", "decoder_hidden", "beta"):
        if getattr(m, key) is not None:
            kwargs[key] = getattr(m, key)
    model = create_model(m.name, **kwargs)
    if m.init_output_bias:
        counts = torch.bincount(seqs.tokens, minlength=data.tokenizer.vocab_size)
        model.init_output_bias(counts)
    return model


def fit(
    cfg: Config,
    quiet: bool = False,
    console: Console | None = None,
    stop_after_epoch: int | None = None,
) -> Path:
    """Train a model as ``cfg`` says and return its run directory.

    The directory receives ``config.yaml`` (resolved), ``model.json``, ``checkpoint/``,
    ``metrics.jsonl`` and, at the end, ``model.safetensors``. ``stop_after_epoch`` ends
    early as an interruption would (continue with :func:`resume`).

    Launched by ``torchrun`` (``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` set), the processes
    join one process group and train with DistributedDataParallel: ``train.batch_size``
    stays the global batch, rank 0 writes the run directory, every rank returns its path.

    Examples
    --------
    >>> run = vaekit.fit(vaekit.Config())  # doctest: +SKIP
    """
    return train_run(cfg, quiet, console, stop_after_epoch).run_dir


#: the name of :func:`fit` inside :mod:`vaekit.train` (``from vaekit.train import train``)
train = fit


def train_run(
    cfg: Config,
    quiet: bool = False,
    console: Console | None = None,
    stop_after_epoch: int | None = None,
) -> TrainedRun:
    """:func:`fit`, returning the run directory with the trainer's result and the data."""
    validate_config(cfg)
    return _setup_and_train(cfg, quiet, console, stop_after_epoch)


def _setup_and_train(
    cfg: Config, quiet: bool, console: Console | None, stop_after_epoch: int | None
) -> TrainedRun:
    device = resolve_device(cfg.train.device)
    if cfg.train.flush_denormal and device.type == "cpu":
        flush_denormals()
    info, owned = distributed.setup(device, cfg.train.dist_timeout)
    try:
        return _train(cfg, info, quiet, console, stop_after_epoch)
    finally:
        if owned:
            distributed.teardown()


def _train(
    cfg: Config,
    info: distributed.DistInfo,
    quiet: bool,
    console: Console | None,
    stop_after_epoch: int | None,
) -> TrainedRun:
    out = Path(cfg.out) if cfg.out else default_run_dir(cfg)
    if info.is_main:
        _check_out(out, console)
    out = Path(distributed.broadcast_text(str(out), info))  # rank 0 names the run
    data = build_data(cfg)
    for key, value in data.resolved.items():  # the auto choices, recorded in config.yaml
        cfg.set(key, value)
    cfg.out = str(out)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg, data)
    if info.is_main:
        _create_out(out)
        write_run_json(out, "train")
        atomic_write_text(out / CONFIG_FILE, cfg.to_yaml())
        if data.mean is not None and data.std is not None:  # samples back in the data's units
            save_data_stats(out, {"mean": data.mean, "std": data.std})
        # weights are written when training completes; until then the checkpoint holds them
        atomic_write_text(out / MODEL_JSON, json.dumps(model_spec(model), indent=2))
        if data.tokenizer is not None:  # also inside model.json; here for other tools
            data.tokenizer.save(out / TOKENIZER_FILE)
    distributed.barrier(info)
    set_threads(cfg.train.threads, console, warn=not quiet)  # once data, model and out check out
    result = Trainer(model, data, cfg.train, out, quiet=quiet, console=console).fit(
        stop_after_epoch
    )
    _fit_code_prior(cfg, out, result, info, quiet, console, data)
    return TrainedRun(out, result, data)


def _fit_code_prior(
    cfg: Config, out: Path, result: TrainResult, info: distributed.DistInfo, quiet: bool,
    console: Console | None, data: DataBundle,
) -> None:  # fmt: skip
    """Once the autoencoder has finished: continue a code-prior fit that was stopped
    (``vaekit train-prior`` or ``train.prior_epochs``), or, with ``train.prior_epochs``
    (vqvae), fit the code prior if the run has none yet."""
    if result.epochs < cfg.train.epochs or not info.is_main:
        return
    from vaekit.train.code_prior import prior_fit_started, prior_trained, train_prior

    if prior_fit_started(out):
        train_prior(out, device=cfg.train.device, quiet=quiet, console=console, data=data,
                    resume=True, threads=cfg.train.threads)  # fmt: skip
    elif cfg.train.prior_epochs > 0 and not prior_trained(out):
        train_prior(out, cfg.train.prior_epochs, cfg.train.batch_size, cfg.train.lr,
                    cfg.train.device, cfg.train.seed, quiet, console, data,
                    threads=cfg.train.threads)  # fmt: skip


def _check_out(out: Path, console: Console | None) -> None:
    """The one "directory not empty" rule (:func:`vaekit.io.run_dir.claim_run_dir`): a run
    stopped before its first checkpoint is emptied to start over, anything else refused."""
    if claim_run_dir(out, "resume it or choose another run directory"):
        (console or Console(stderr=True)).print(
            f"{out} held a run stopped before its first checkpoint; starting it over"
        )


def _create_out(out: Path) -> None:
    """Create the run directory and check that it can be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"cannot write the run directory {out}: {e.strerror or e}") from None


def resume(
    run_dir: str | Path,
    epochs: int | None = None,
    device: str | None = None,
    quiet: bool = False,
    console: Console | None = None,
    stop_after_epoch: int | None = None,
    threads: int | None = None,
) -> TrainResult:
    """Continue a run from its checkpoint, to ``epochs`` in total when given.

    ``device`` and ``threads`` replace the run's settings. A run stopped before its first
    checkpoint starts over from the beginning.

    On CPU the result is bit-identical to a run that was never interrupted with the same
    thread count (a fixed ``threads``; the automatic count follows the machine's load).
    """
    return resume_run(run_dir, epochs, device, quiet, console, stop_after_epoch, threads).result


def resume_run(
    run_dir: str | Path,
    epochs: int | None = None,
    device: str | None = None,
    quiet: bool = False,
    console: Console | None = None,
    stop_after_epoch: int | None = None,
    threads: int | None = None,
    note: str | None = None,
) -> TrainedRun:
    """:func:`resume`, returning the run directory with the trainer's result and the data.

    ``note``: a line for ``console`` once the run's files check out, before training goes
    on (unless ``quiet``).
    """
    run_dir = Path(run_dir)
    cfg = Run.open(run_dir, "train").config()
    if epochs is not None:
        cfg.train.epochs = epochs
    if device is not None:
        cfg.train.device = device
    if threads is not None:
        cfg.train.threads = threads
    validate_config(cfg)
    if not has_checkpoint(run_dir / CHECKPOINT_DIR):  # stopped in its first epoch
        cfg.out = str(run_dir)
        run = _setup_and_train(cfg, quiet, console, stop_after_epoch)
        records = Run.open(run.run_dir).records()
        last = records[-1] if records else {}
        result = TrainResult(last.get("epoch", 0), last.get("step", 0), False, None, records)
        return TrainedRun(run.run_dir, result, run.data)
    dev = resolve_device(cfg.train.device)
    if cfg.train.flush_denormal and dev.type == "cpu":
        flush_denormals()
    info, owned = distributed.setup(dev, cfg.train.dist_timeout)
    try:
        model = model_from_spec(run_dir)
        data = build_data(cfg, getattr(model, "tokenizer", None))
        trainer = Trainer(model, data, cfg.train, run_dir, quiet=quiet, console=console)
        trainer.resume()
        set_threads(cfg.train.threads, console, warn=not quiet)  # after the files check out
        if note and not quiet and info.is_main:
            (console or Console(stderr=True)).print(note, soft_wrap=True, highlight=False)
        distributed.barrier(info)  # every rank has read the files rank 0 may now rewrite
        if info.is_main:
            atomic_write_text(run_dir / CONFIG_FILE, cfg.to_yaml())
        result = trainer.fit(stop_after_epoch=stop_after_epoch)
        _fit_code_prior(cfg, run_dir, result, info, quiet, console, data)
        return TrainedRun(run_dir, result, data)
    finally:
        if owned:
            distributed.teardown()
