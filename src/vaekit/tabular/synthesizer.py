"""``Synthesizer``: fit a TVAE to a mixed-type table and sample synthetic rows like it."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.config import TrainConfig
from vaekit.data.base import DataBundle, Split
from vaekit.data.table import Table
from vaekit.data.table_transform import TableTransformer
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.io.model_io import MODEL_JSON, load, model_spec, save_model
from vaekit.io.safe import atomic_write_text
from vaekit.models import create_model
from vaekit.tabular.inputs import as_table, check_same_columns, parse_conditions
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar
from vaekit.train.trainer import Trainer

SYNTH_JSON, TRANSFORMER_JSON = "synthesizer.json", "transformer.json"
#: rejection sampling gives up after drawing this many rows per requested row
MAX_DRAWS_PER_ROW = 200


#: the posterior-collapse hint in the options of ``vaekit synth fit`` and the estimator
SYNTH_ADVICE = "Try a smaller --embedding-dim (Synthesizer(embedding_dim=...)) or more --epochs"

class Synthesizer:
    """Synthetic tables from a TVAE (Xu et al. 2019) trained by vaekit's Trainer.

    ``fit(data)`` learns a :class:`~vaekit.data.table_transform.TableTransformer` (a Bayesian
    Gaussian mixture per numeric column, one-hots for categories) and a ``tvae`` model on
    the transformed rows; ``sample(n)`` draws codes from the prior, decodes them, draws each
    value from the mixed likelihood and inverts the transform. The defaults are TVAE's:
    300 epochs, batch 500, embedding 128, (128, 128) networks, loss factor 2, l2 scale 1e-5.

    Parameters
    ----------
    epochs, batch_size, lr
        Training length, batch size and Adam learning rate.
    embedding_dim, hidden
        Latent size and the encoder widths (the decoder mirrors them).
    loss_factor, l2scale
        Reconstruction weight against the KL, and Adam's weight decay.
    max_modes, max_categories
        Transformer settings: mixture components per numeric column, one-hot slots per
        categorical column (rarer levels share an "other" slot).
    types
        Column types to use instead of the inferred ones, ``{name: type}``.
    seed
        Seeds the transformer, the initialisation, the batches and (unless ``sample`` gets
        its own) the sampling.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    verbose
        Show the training progress bar.
    """

    def __init__(
        self,
        epochs: int = 300,
        batch_size: int = 500,
        lr: float = 1e-3,
        embedding_dim: int = 128,
        hidden: Sequence[int] = (128, 128),
        loss_factor: float = 2.0,
        l2scale: float = 1e-5,
        max_modes: int = 10,
        max_categories: int = 100,
        types: dict[str, str] | None = None,
        seed: int = 0,
        device: str = "auto",
        verbose: bool = False,
    ) -> None:
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.embedding_dim, self.hidden = embedding_dim, list(hidden)
        self.loss_factor, self.l2scale = loss_factor, l2scale
        self.max_modes, self.max_categories = max_modes, max_categories
        self.types, self.seed, self.device, self.verbose = types, seed, device, verbose
        self.model: Any = None
        self.transformer: TableTransformer | None = None

    # ------------------------------------------------------------------ fitting
    def params(self) -> dict[str, Any]:
        """The constructor arguments (JSON-serialisable)."""
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                "embedding_dim": self.embedding_dim, "hidden": self.hidden,
                "loss_factor": self.loss_factor, "l2scale": self.l2scale,
                "max_modes": self.max_modes, "max_categories": self.max_categories,
                "types": self.types, "seed": self.seed, "device": self.device,
                "verbose": self.verbose}  # fmt: skip

    def fit(self, data: Any, run_dir: str | Path | None = None) -> Synthesizer:
        """Fit to ``data`` (a pandas DataFrame, a :class:`Table` or a CSV path).

        With ``run_dir`` the training keeps checkpoints and ``metrics.jsonl`` there and the
        fitted synthesizer is saved into it (as :meth:`save` does).
        """
        for name in ("epochs", "batch_size", "embedding_dim"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        table, kind = as_table(data, self.types)
        if len(table) < 2:
            raise DataError(f"need at least 2 rows to fit, got {len(table)}")
        self.input_kind_ = "pandas" if kind == "pandas" else "table"
        self.column_types_ = dict(table.types)
        start = time.perf_counter()
        self.transformer = TableTransformer(self.max_modes, max_categories=self.max_categories,
                                            seed=self.seed).fit(table)  # fmt: skip
        x = torch.from_numpy(self.transformer.transform(table))  # (N, D)
        self.transform_seconds_ = time.perf_counter() - start
        device = resolve_device(self.device)
        torch.manual_seed(self.seed)
        spans = [[s.activation, s.size] for s in self.transformer.spans]
        self.model = create_model("tvae", spans=spans, latent_dim=self.embedding_dim,
                                  hidden=self.hidden, loss_factor=self.loss_factor)  # fmt: skip
        self.model.init_output_bias(x.mean(0))
        bundle = DataBundle("table", Split(x), None, None, (x.shape[1],))
        cfg = TrainConfig(epochs=int(self.epochs), batch_size=int(self.batch_size),
                          lr=self.lr, weight_decay=self.l2scale, device=str(device),
                          seed=self.seed)  # fmt: skip
        if run_dir is not None:
            run_dir = Path(run_dir)
            run_dir.mkdir(parents=True, exist_ok=True)
            self.transformer.save(run_dir / TRANSFORMER_JSON)
            atomic_write_text(run_dir / MODEL_JSON, json.dumps(model_spec(self.model), indent=2))
        with epoch_bar("fitting the TVAE", cfg.epochs, self.verbose) as (console, advance):
            Trainer(self.model, bundle, cfg, run_dir, quiet=True, console=console,
                    on_epoch=advance, collapse_advice=SYNTH_ADVICE).fit()  # fmt: skip
        self.model.eval()
        self.fit_seconds_ = time.perf_counter() - start
        self.n_rows_ = len(table)
        if run_dir is not None:
            self.save(run_dir)
        return self

    # ------------------------------------------------------------------ sampling
    def _check_fitted(self) -> None:
        if self.model is None or self.transformer is None:
            raise ConfigError("this Synthesizer is not fitted yet; call fit(data) first")

    @torch.no_grad()
    def sample_table(self, n: int, where: Any = None, seed: int | None = None,
                     batch_size: int = 10_000) -> Table:  # fmt: skip
        """``n`` synthetic rows as a :class:`Table`; ``where`` (``{"col": value}`` or
        ``["col=value"]``) keeps only rows with those values (rejection sampling)."""
        self._check_fitted()
        assert self.transformer is not None
        if not (isinstance(n, (int, np.integer)) and n >= 1):
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        conditions = parse_conditions(where, self.column_types_)
        self._check_reachable(conditions)
        gen_seed = self.seed if seed is None else seed
        parts, have, drawn, limit = [], 0, 0, max(n * MAX_DRAWS_PER_ROW, 100_000)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(gen_seed)
            while have < n:
                m = batch_size if conditions else min(batch_size, n - have)
                rows = self.model.sample_rows(m).cpu().numpy()  # (m, D)
                table = self.transformer.inverse_transform(rows, seed=gen_seed + drawn)
                drawn += m
                keep = _matches(table, conditions)
                if keep.any():
                    parts.append(table.select(np.flatnonzero(keep)))
                    have += int(keep.sum())
                if have < n and drawn >= limit:
                    cond = ", ".join(f"{k}={v}" for k, v in conditions.items())
                    raise DataError(f"only {have} of {drawn} sampled rows have {cond}; the "
                                    "model rarely makes such rows (is the value rare in "
                                    "the training data?)")  # fmt: skip
        out = _concat(parts)
        return out.select(np.arange(n))

    def sample(self, n: int, where: Any = None, seed: int | None = None) -> Any:
        """``n`` synthetic rows: a pandas DataFrame when fitted on one, else a :class:`Table`
        (see :meth:`sample_table` for ``where`` and ``seed``)."""
        table = self.sample_table(n, where, seed)
        return table.to_pandas() if self.input_kind_ == "pandas" else table

    def _check_reachable(self, conditions: dict[str, Any]) -> None:
        assert self.transformer is not None
        for name, value in conditions.items():
            info = self.transformer.columns[name]
            if info["kind"] == "integer":
                if not info["min"] <= value <= info["max"]:
                    raise DataError(f"--where {name}={value:g}: outside the training range "
                                    f"[{info['min']:g}, {info['max']:g}]")  # fmt: skip
            elif value not in info["levels"] and str(value) not in info["other"]:
                raise DataError(f"--where {name}={value}: no such value in the training data")

    def transformed(self, data: Any) -> np.ndarray:
        """``data`` (with the fitted columns) as the model's ``(N, D)`` input."""
        self._check_fitted()
        assert self.transformer is not None
        table, _ = as_table(data, self.types)
        check_same_columns(table, self.column_types_, "data")
        return self.transformer.transform(table)

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path) -> Path:
        """Write ``model.json`` + ``model.safetensors``, ``transformer.json`` and
        ``synthesizer.json`` into ``directory``. No pickle."""
        self._check_fitted()
        assert self.transformer is not None
        directory = Path(directory)
        save_model(self.model, directory)
        self.transformer.save(directory / TRANSFORMER_JSON)
        meta = {"format": "vaekit-synthesizer/1", "params": self.params(),
                "column_types": self.column_types_, "input_kind": self.input_kind_,
                "n_rows": self.n_rows_, "fit_seconds": self.fit_seconds_,
                "transform_seconds": self.transform_seconds_}  # fmt: skip
        atomic_write_text(directory / SYNTH_JSON, json.dumps(meta, indent=2))
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> Synthesizer:
        """A synthesizer saved by :meth:`save` (or ``vaekit synth fit``)."""
        directory = Path(directory)
        path = directory / SYNTH_JSON
        try:
            meta = json.loads(path.read_text())
            params = dict(meta["params"], device=device)
            synth = cls(**params)
            synth.column_types_ = dict(meta["column_types"])
            synth.input_kind_ = str(meta["input_kind"])
            synth.n_rows_ = int(meta["n_rows"])
            synth.fit_seconds_ = float(meta["fit_seconds"])
            synth.transform_seconds_ = float(meta["transform_seconds"])
        except FileNotFoundError:
            raise ModelFileError(f"{path}: not found (is {directory} a `vaekit synth fit` "
                                 "run?)") from None  # fmt: skip
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: bad synthesizer settings ({e})") from None
        synth.transformer = TableTransformer.load(directory / TRANSFORMER_JSON)
        synth.model = load(directory, device=resolve_device(device))
        if synth.model.registry_name != "tvae":
            raise ModelFileError(f"{directory}: holds a {synth.model.registry_name!r} model, "
                                 "not a tvae")  # fmt: skip
        return synth


def _matches(table: Table, conditions: dict[str, Any]) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    for name, value in conditions.items():
        col = table.columns[name]
        keep &= (col == value) if col.dtype != object else np.array([v == value for v in col])
    return keep


def _concat(parts: list[Table]) -> Table:
    first = parts[0]
    cols = {k: np.concatenate([p.columns[k] for p in parts]) for k in first.names}
    return Table(cols, dict(first.types))
