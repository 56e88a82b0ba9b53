"""Configuration checks, in one place: names and ranges, before any data is read."""

from __future__ import annotations

from vaekit.config import Config, TrainConfig
from vaekit.errors import ConfigError

Check = tuple[str, object]


def _choose(key: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"bad value for {key}: {value!r}; choose one of {', '.join(allowed)}")


def _ranges(positive: list[Check], non_negative: list[Check]) -> None:
    for key, value in positive:
        if not value > 0:  # type: ignore[operator]
            raise ConfigError(f"bad value for {key}: {value} (must be > 0)")
    for key, value in non_negative:
        if not value >= 0:  # type: ignore[operator]
            raise ConfigError(f"bad value for {key}: {value} (must be >= 0)")


def validate_train_config(t: TrainConfig) -> None:
    """Check the optimisation settings; raise one :class:`ConfigError` naming the key.

    The trainer calls this for every :class:`TrainConfig` it is given.
    """
    from vaekit.objectives import KL_SCHEDULES
    from vaekit.train.device import resolve_device
    from vaekit.train.lr import LR_SCHEDULES
    from vaekit.train.optim import OPTIMIZERS

    _choose("train.kl_schedule", t.kl_schedule, tuple(KL_SCHEDULES))
    _choose("train.lr_schedule", t.lr_schedule, LR_SCHEDULES)
    _choose("train.optimizer", t.optimizer, tuple(OPTIMIZERS))
    positive: list[Check] = [
        ("train.epochs", t.epochs),
        ("train.batch_size", t.batch_size),
        ("train.lr", t.lr),
        ("train.eval_batch_size", t.eval_batch_size),
        ("train.checkpoint_every", t.checkpoint_every),
    ]
    non_negative: list[Check] = [
        ("train.free_bits", t.free_bits),
        ("train.warmup_epochs", t.warmup_epochs),
        ("train.grad_clip", t.grad_clip),
        ("train.early_stopping", t.early_stopping),
        ("train.weight_decay", t.weight_decay),
        ("train.num_workers", t.num_workers),
        ("train.threads", t.threads),
        ("train.steps_per_epoch", t.steps_per_epoch),
        ("train.held_out_examples", t.held_out_examples),
    ]
    _ranges(positive, non_negative)
    resolve_device(t.device)


def validate_config(cfg: Config) -> None:
    """Check names and ranges of a whole configuration before any data is read; raise one
    :class:`ConfigError` naming the key."""
    from vaekit.data import BINARIZE_MODES
    from vaekit.distributions import LIKELIHOODS
    from vaekit.distributions.factory import POSTERIORS, PRIORS
    from vaekit.models import get_model_class
    from vaekit.models.vae import ARCHS
    from vaekit.nn.rnn import CELLS
    from vaekit.text.tokenizers import KINDS as TOKENIZER_KINDS

    m, d = cfg.model, cfg.data
    get_model_class(m.name)
    _choose("model.arch", m.arch, ARCHS)
    _choose("model.likelihood", m.likelihood, ("auto", *LIKELIHOODS))
    _choose("model.posterior", m.posterior, POSTERIORS)
    _choose("model.prior", m.prior, PRIORS)
    _choose("model.rnn", m.rnn, tuple(CELLS))
    _choose("data.tokenizer", d.tokenizer, ("auto", *TOKENIZER_KINDS))
    _choose("data.binarize", d.binarize, BINARIZE_MODES)
    positive: list[Check] = [
        ("model.latent_dim", m.latent_dim),
        ("model.flow_steps", m.flow_steps),
        ("model.sigma", m.sigma),
        ("model.decoder_layers", m.decoder_layers),
        ("data.vocab_size", d.vocab_size),
    ]
    for key in ("prior_components", "iw_samples", "rnn_hidden", "decoder_hidden"):
        if getattr(m, key) is not None:
            positive.append((f"model.{key}", getattr(m, key)))
    non_negative: list[Check] = [
        ("model.beta", m.beta or 0.0),
        ("data.val_size", d.val_size),
        ("model.embed_dim", m.embed_dim or 0),
        ("data.max_length", d.max_length),
        ("data.max_examples", d.max_examples),
    ]
    _ranges(positive, non_negative)
    if any(h < 1 for h in m.hidden) or any(c < 1 for c in m.channels):
        raise ConfigError("model.hidden and model.channels must be positive widths")
    if not 0 <= m.word_dropout <= 1:
        raise ConfigError(f"bad value for model.word_dropout: {m.word_dropout} (must be in [0, 1])")
    if cfg.train.early_stopping and not d.val_size:
        raise ConfigError("early stopping needs a validation split (data.val_size > 0)")
    validate_train_config(cfg.train)
