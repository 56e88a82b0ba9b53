"""The run configuration: three sections (model, data, train), YAML in and out.

Every value can be set from a YAML file (``--config``), a named preset (``--preset``), a CLI
flag, or ``--set key=value`` where ``key`` is ``section.name`` or just ``name`` when that is
unambiguous; :func:`layered_config` puts the layers together for every command.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vaekit.errors import ConfigError


@dataclass
class ModelConfig:
    """Which model and how it is built (see :class:`vaekit.models.VAE`)."""

    name: str = "vae"
    arch: str = "mlp"
    hidden: list[int] = field(default_factory=lambda: [512, 256])
    latent_dim: int = 20
    activation: str = "relu"
    likelihood: str = "auto"  # auto: bernoulli for data in [0, 1], else gaussian-learned
    sigma: float = 1.0
    channels: list[int] = field(default_factory=lambda: [32, 64])
    batchnorm: bool = False
    beta: float | None = None  # None: the model's own default (1 for vae, 4 for beta-vae)
    init_output_bias: bool = True  # decoder bias from the training mean (Burda et al. 2015)
    iw_samples: int | None = None  # importance samples per input (None: iwae 5, hvae 1)
    posterior: str = "gaussian"  # gaussian | planar | iaf
    flow_steps: int = 4  # steps of a flow posterior
    prior: str = "normal"  # normal | mog | vamp
    prior_components: int | None = None  # None: 10 for mog, 500 for vamp
    top_latent_dim: int = 50  # hvae: size of the top layer z2
    top_hidden: list[int] = field(default_factory=lambda: [100, 100])  # hvae: z1 <-> z2
    inference: str = "bottom-up"  # hvae: bottom-up | ladder
    num_codes: int = 128  # vqvae: codebook size K
    commitment: float = 0.25  # vqvae: commitment cost
    alpha: float = 1.0  # btcvae: weight of the index-code mutual information
    gamma: float | None = None  # None: the model's default (btcvae 1 = DWKL weight, factorvae 10)
    embed_dim: int | None = None  # seq-vae/rnnlm: token embedding width (0: one-hot sized)
    rnn: str = "gru"  # seq-vae: encoder cell, gru | lstm
    rnn_hidden: int | None = None  # seq-vae: encoder hidden size per direction
    bidirectional: bool = True  # seq-vae: bidirectional encoder
    decoder_hidden: int | None = None  # seq-vae/rnnlm: GRU decoder hidden size
    decoder_layers: int = 1  # seq-vae/rnnlm: GRU decoder layers
    word_dropout: float = 0.0  # seq-vae: decoder inputs replaced by <unk> with this probability


@dataclass
class DataConfig:
    """Where the data comes from and how it is prepared."""

    dataset: str = "mnist"  # a registered name or a .npy/.npz/.csv path
    data_dir: str | None = None
    binarize: str = "none"  # none | static | dynamic
    val_size: float = 0.1  # fraction (< 1) or count of training examples held out
    standardize: bool | None = None  # None: standardize when the likelihood is Gaussian
    label_column: str | None = None  # csv column (name or index) holding labels
    download: bool = True
    text_column: str | None = None  # csv: the column of sequences (makes a .csv text data)
    tokenizer: str = "auto"  # sequences: auto | char | smiles | word
    vocab_size: int = 10000  # word tokenizer: most frequent words kept, the rest <unk>
    lowercase: bool = True  # word tokenizer: lower-case before splitting
    max_length: int = 0  # sequences: most tokens per sequence (longer is an error); 0: no cap
    max_examples: int = 0  # seeded random subset of the training examples (lines); 0: all


@dataclass
class TrainConfig:
    """Optimisation, schedules and the device."""

    epochs: int = 10
    batch_size: int = 128
    steps_per_epoch: int = 0  # batches per epoch, each epoch a fresh shuffle; 0: the whole data
    lr: float = 1e-3
    optimizer: str = "adam"  # adam | adamw
    weight_decay: float = 0.0
    adam_betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    adam_eps: float = 1e-8
    lr_schedule: str = "none"  # none | cosine | step
    lr_step_epochs: int = 10
    lr_gamma: float = 0.1
    lr_stage_ratio: float = 3.0  # iwae schedule: stage i lasts ratio^i (3 = the paper)
    kl_schedule: str = "constant"  # constant | linear | cyclical | logistic
    warmup_epochs: float = 10.0
    kl_cycles: int = 4
    kl_ratio: float = 0.5
    free_bits: float = 0.0
    grad_clip: float = 0.0  # max gradient norm; 0 = off
    early_stopping: int = 0  # patience in epochs on validation loss; 0 = off
    checkpoint_every: int = 1  # epochs between checkpoints (and one on Ctrl-C / SIGTERM)
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    threads: int = 0  # CPU threads; 0: the free usable cores / job processes, following load
    bf16: bool = False  # bf16 autocast (CUDA)
    compile: bool = False  # torch.compile the loss
    eval_batch_size: int = 1000
    held_out_examples: int = 10000  # loss printed after training: seeded subset; 0: all
    num_workers: int = 0  # DataLoader workers for memory-mapped data
    prior_epochs: int = 0  # vqvae: epochs of the code prior after the autoencoder (0: none)
    flush_denormal: bool = True  # on CPU, flush denormal floats to zero (speed; see Trainer)
    dist_timeout: float = 120.0  # torchrun jobs: seconds a collective may wait for a rank


#: named settings applied before the YAML file, flags and --set (``--preset NAME``)
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # the MOSES VAE (Polykovskiy et al. 2020) as its code's defaults set it: character tokens,
    # one-hot-sized trainable embeddings, GRU encoder 256 (one direction), latent 128, GRU
    # decoder 3 x 512, batch 512, Adam 3e-4, gradient clip 50, 100 epochs, KL weight rising
    # linearly to 0.05 over the 100 epochs. MOSES averages the reconstruction per token and
    # sums the KL per molecule; vaekit sums both per molecule, so the same balance at the
    # MOSES training set's mean of 36 tokens (<eos> included) is beta = 0.05 x 36 = 1.8.
    "moses-vae": {
        "model": {
            "name": "seq-vae", "latent_dim": 128, "embed_dim": 0, "rnn": "gru",
            "rnn_hidden": 256, "bidirectional": False, "decoder_hidden": 512,
            "decoder_layers": 3, "word_dropout": 0.0, "beta": 1.8,
        },
        "data": {"dataset": "moses", "tokenizer": "char"},
        "train": {
            "batch_size": 512, "lr": 3e-4, "grad_clip": 50.0, "epochs": 100,
            "kl_schedule": "linear", "warmup_epochs": 100.0,
        },
    },
}  # fmt: skip

#: what each preset is and what its full schedule costs, for ``--preset``'s help (measured:
#: 3,800 tokens/s for moses-vae on 2 CPU cores; 1.58M training SMILES of 36 tokens a step)
PRESET_HELP: dict[str, str] = {
    "moses-vae": "the MOSES VAE; its 100 epochs take about 4 hours each on 2 CPU cores (17 "
    "days in all): use a GPU, or fewer --epochs or --set data.max_examples=N",
}


def presets_help() -> str:
    """``--preset``'s help: each preset with what it is and costs."""
    return "Named settings applied first: " + "; ".join(
        f"{name} ({PRESET_HELP[name]})" if name in PRESET_HELP else name for name in PRESETS
    ) + "."


def apply_preset(cfg: Config, name: str) -> None:
    """Set the values of the preset ``name`` (see :data:`PRESETS`) on ``cfg``."""
    if name not in PRESETS:
        raise ConfigError(_unknown(name, list(PRESETS), "preset"))
    for section, values in PRESETS[name].items():
        for key, value in values.items():
            cfg.set(f"{section}.{key}", value)


def layered_config(
    config_file: str | Path | None = None,
    preset: str | None = None,
    values: Mapping[str, Any] | None = None,
    sets: Iterable[str] = (),
) -> Config:
    """The configuration of a command, layer over layer.

    1. the defaults;
    2. the preset ``preset`` (see :data:`PRESETS`);
    3. the YAML file ``config_file``: the values it sets away from the defaults win over
       the preset's;
    4. ``values``: explicit flags as ``{"section.name": value}`` (or ``"out"``); ``None``
       means the flag was not given;
    5. ``sets``: ``key=value`` strings (``--set``), last.

    Raises
    ------
    ConfigError
        One line naming the bad file, preset, key or value.
    """
    cfg = Config.from_yaml(config_file) if config_file else Config()
    if preset:  # the file's own values win over the preset's
        loaded, defaults = cfg.to_dict(), Config().to_dict()
        apply_preset(cfg, preset)
        for section in Config.SECTIONS:
            for key, value in loaded[section].items():
                if value != defaults[section][key]:
                    cfg.set(f"{section}.{key}", value)
    for key, value in (values or {}).items():
        if value is None:
            continue
        if key == "out":
            cfg.out = str(value)
        else:
            cfg.set(key, value)
    for assignment in sets:
        cfg.set_from_string(assignment)
    return cfg


@dataclass
class Config:
    """A whole run: ``model``, ``data``, ``train`` and the output directory."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    out: str | None = None

    SECTIONS = ("model", "data", "train")

    # ------------------------------------------------------------------ dict / YAML
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        if not isinstance(d, dict):
            raise ConfigError("a configuration must be a mapping of sections")
        cfg = cls()
        for key, value in d.items():
            if key == "out":
                cfg.out = None if value is None else str(value)
            elif key in cls.SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"config section {key!r} must be a mapping")
                for k, v in value.items():
                    cfg.set(f"{key}.{k}", v)
            else:
                raise ConfigError(_unknown(key, [*cls.SECTIONS, "out"], "config section"))
        return cfg

    @classmethod
    def from_yaml(cls, path: str | Path) -> Config:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML ({str(e).splitlines()[0]})") from None
        return cls.from_dict(data)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    # ------------------------------------------------------------------ overrides
    def resolve_key(self, key: str) -> tuple[str, str]:
        """``key`` as ``(section, name)``; ``name`` alone must be unambiguous."""
        key = key.strip().replace("-", "_")
        if "." in key:
            section, name = key.split(".", 1)
            if section not in self.SECTIONS:
                raise ConfigError(_unknown(section, list(self.SECTIONS), "config section"))
            if name not in _fields(getattr(self, section)):
                raise ConfigError(_unknown(key, self.all_keys(), "option"))
            return section, name
        hits = [s for s in self.SECTIONS if key in _fields(getattr(self, s))]
        if not hits:
            bare = [k.split(".", 1)[1] for k in self.all_keys()]
            raise ConfigError(_unknown(key, bare, "option"))
        if len(hits) > 1:
            raise ConfigError(
                f"option {key!r} is ambiguous: use {' or '.join(f'{h}.{key}' for h in hits)}"
            )
        return hits[0], key

    def all_keys(self) -> list[str]:
        return [f"{s}.{n}" for s in self.SECTIONS for n in _fields(getattr(self, s))]

    def set(self, key: str, value: Any) -> None:
        """Set ``section.name`` (or ``name``) to ``value``, converted to the field's type."""
        section, name = self.resolve_key(key)
        obj = getattr(self, section)
        hint = typing.get_type_hints(type(obj))[name]
        setattr(obj, name, _coerce(value, hint, f"{section}.{name}"))

    def set_from_string(self, assignment: str) -> None:
        """Apply ``key=value`` (value parsed as YAML, so ``[1, 2]``, ``true``, ``1e-3`` work)."""
        if "=" not in assignment:
            raise ConfigError(f"--set expects key=value, got {assignment!r}")
        key, text = assignment.split("=", 1)
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        self.set(key, value)


def _fields(obj: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(obj)]


def _unknown(key: str, choices: list[str], what: str) -> str:
    close = difflib.get_close_matches(key, choices, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {key!r}{hint}"


def parse_hidden(text: str, flag: str = "--hidden") -> list[int]:
    """Hidden layer widths from ``"512,256"`` (spaces ignored; ``""``: no hidden layer): the
    one parser of widths, for every command's ``--hidden`` and ``model.hidden`` values.

    Raises
    ------
    ConfigError
        One line naming ``flag`` when a width is not a positive integer.
    """
    parts = [p for p in str(text).replace(" ", "").split(",") if p]
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        widths = []
    if len(widths) != len(parts) or any(w < 1 for w in widths):
        raise ConfigError(f"{flag} takes comma-separated positive widths like 512,256, "
                          f"got {text!r}")  # fmt: skip
    return widths


def _coerce(value: Any, hint: Any, key: str) -> Any:
    if key.endswith("hidden") and isinstance(value, str) and typing.get_origin(hint) is list:
        try:
            return parse_hidden(value, key)
        except ConfigError:
            raise ConfigError(f"bad value for {key}: {value!r} (comma-separated positive "
                              "widths like 512,256)") from None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "auto")):
            if type(None) in typing.get_args(hint):
                return None
        return _coerce(value, args[0], key)
    if origin is list:
        (item,) = typing.get_args(hint)
        if isinstance(value, str):
            value = [v for v in value.replace(" ", "").split(",") if v]
        if not isinstance(value, (list, tuple)):
            value = [value]
        return [_coerce(v, item, key) for v in value]
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in (
                "true",
                "yes",
                "1",
                "on",
                "false",
                "no",
                "0",
                "off",
            ):
                return value.lower() in ("true", "yes", "1", "on")
            raise ValueError
        if hint is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if hint is str:
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value)
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise ConfigError(
        f"bad value for {key}: {value!r} is not a valid {getattr(hint, '__name__', hint)}"
    )
