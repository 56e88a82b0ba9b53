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
from vaekit.data.table import Table
from vaekit.data.table_transform import TableTransformer
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.estimators.base import VAEEstimator, fingerprint
from vaekit.estimators.deprecation import (
    RenamedSeedAndParams,
    renamed_out,
    renamed_seed,
    warn_renamed,
)
from vaekit.estimators.fitting import FitProgress, draw_seed, seeded, train_model
from vaekit.models import create_model
from vaekit.tabular.inputs import as_table, check_same_columns, parse_conditions
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar

SYNTH_JSON, TRANSFORMER_JSON = "synthesizer.json", "transformer.json"
#: rejection sampling gives up after drawing this many rows per requested row
MAX_DRAWS_PER_ROW = 200
#: the posterior-collapse hint in the options of ``vaekit synth fit`` and the estimator
SYNTH_ADVICE = "Try a smaller --embedding-dim (Synthesizer(embedding_dim=...)) or more --epochs"


class Synthesizer(RenamedSeedAndParams, VAEEstimator):
    """Synthetic tables from a TVAE (Xu et al. 2019) trained by vaekit's Trainer.

    ``fit(data)`` learns a :class:`~vaekit.data.table_transform.TableTransformer` (a Bayesian
    Gaussian mixture per numeric column, one-hots for categories) and a ``tvae`` model on
    the transformed rows; ``sample(n)`` draws codes from the prior, decodes them, draws each
    value from the mixed likelihood and inverts the transform. The defaults are TVAE's:
    300 epochs, batch 500, embedding 128, (128, 128) networks, loss factor 2, l2 scale 1e-5.
    Sampled numbers stay within each column's fitted [min, max] and are rounded to its
    observed precision (the decimals it was recorded with; integers to whole numbers).

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
        Column types to use instead of the inferred ones, ``{name: type}``. A column whose
        cells are nearly all numbers (at least 90%) but not all is refused naming the other
        cells; give it ``"categorical"`` here to keep it as text.
    random_state
        Seed of the transformer, the initialisation, the batches and (unless ``sample``
        gets its own) the sampling: an integer (needed for exact resume), ``None`` or a
        ``numpy.random.RandomState`` (a seed is drawn from it). ``seed=`` is a deprecated
        alias.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    verbose
        Show the training progress bar.

    Attributes
    ----------
    model_
        The fitted ``tvae`` model.
    transformer_
        The fitted :class:`~vaekit.data.table_transform.TableTransformer`.
    column_types_
        ``{column: type}`` of the fitted table.
    n_features_in_, feature_names_in_
        The number and names of the fitted table's columns.
    n_rows_, fit_seconds_, transform_seconds_
        Rows fitted on, seconds of the whole fit and of the transform.
    """

    run_kind = "synthesizer"

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
        random_state: int = 0,
        device: str = "auto",
        verbose: bool = False,
        **deprecated: Any,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.embedding_dim = embedding_dim
        self.hidden = hidden
        self.loss_factor = loss_factor
        self.l2scale = l2scale
        self.max_modes = max_modes
        self.max_categories = max_categories
        self.types = types
        self.random_state = renamed_seed(type(self), random_state, deprecated)
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ deprecated names
    @property
    def model(self) -> Any:
        """Deprecated: use ``model_``."""
        warn_renamed("Synthesizer.model", "model_")
        return getattr(self, "model_", None)

    @property
    def transformer(self) -> TableTransformer | None:
        """Deprecated: use ``transformer_``."""
        warn_renamed("Synthesizer.transformer", "transformer_")
        return getattr(self, "transformer_", None)

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        for name in ("epochs", "batch_size", "embedding_dim", "max_modes", "max_categories"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        _check_random_state(self.random_state)

    def fit(
        self,
        data: Any,
        y: Any = None,
        out: str | Path | None = None,
        resume: bool = False,
        run_dir: str | Path | None = None,
    ) -> Synthesizer:
        """Fit to ``data`` (a pandas DataFrame, a :class:`Table` or a CSV path).

        Parameters
        ----------
        data
            The table.
        y
            Ignored (scikit-learn's ``fit(X, y)``: the fit is unsupervised).
        out
            A run directory: ``run.json``, ``estimator.json`` and ``transformer.json`` are
            written at the start, checkpoints and ``metrics.jsonl`` while training, and the
            fitted synthesizer at the end (as :meth:`save` does).
        resume
            Continue the fit in ``out`` from its last checkpoint (same data and settings);
            see also :meth:`resume`.
        run_dir
            Deprecated alias of ``out``.
        """
        if isinstance(y, (str, Path)):
            raise ConfigError("fit(data, y, out=...): give the run directory as out=")
        out = renamed_out(out, run_dir)
        self._validate_params()
        table, kind = as_table(data, self.types)
        if len(table) < 2:
            raise DataError(f"need at least 2 rows to fit, got {len(table)}")
        start = time.perf_counter()
        seed = draw_seed(self.random_state)
        run = self._begin_run(out, table_fingerprint(table), resume)
        transformer = self._transformer(table, run, resume, seed)
        x = torch.from_numpy(transformer.transform(table))  # (N, D)
        transform_seconds = time.perf_counter() - start
        device = resolve_device(self.device)
        spans = [[s.activation, s.size] for s in transformer.spans]
        cfg = TrainConfig(epochs=int(self.epochs), batch_size=int(self.batch_size),
                          lr=self.lr, weight_decay=self.l2scale, device=str(device),
                          seed=seed)  # fmt: skip
        with seeded(seed, device):
            model = create_model("tvae", spans=spans, latent_dim=int(self.embedding_dim),
                                 hidden=[int(h) for h in self.hidden],
                                 loss_factor=self.loss_factor)  # fmt: skip
            model.init_output_bias(x.mean(0))
            with epoch_bar("fitting the TVAE", cfg.epochs, self.verbose) as (console, advance):
                train_model(model, x, cfg, FitProgress(console, advance),
                            collapse_advice=SYNTH_ADVICE, run_dir=run, resume=resume,
                            name="table")  # fmt: skip
        self.model_, self.transformer_ = model, transformer
        self.input_kind_ = "pandas" if kind == "pandas" else "table"
        self.column_types_ = dict(table.types)
        self.feature_names_in_ = np.asarray(table.names, dtype=object)
        self.n_features_in_ = len(table.names)
        self.n_rows_ = len(table)
        self.transform_seconds_ = transform_seconds
        self.fit_seconds_ = time.perf_counter() - start
        self._end_run(run)
        return self

    def _transformer(
        self, table: Table, run: Path | None, resume: bool, seed: int
    ) -> TableTransformer:
        """The fitted transformer: saved in ``run`` at the start of a fit, read back from
        there when resuming (so a resumed fit works on the same transformed rows)."""
        path = None if run is None else run / TRANSFORMER_JSON
        if resume and path is not None and path.is_file():
            return TableTransformer.load(path)  # the data is the same: _begin_run checked it
        transformer = TableTransformer(int(self.max_modes), max_categories=int(self.max_categories),
                                       seed=seed).fit(table)  # fmt: skip
        if path is not None:
            transformer.save(path)
        return transformer

    def _read_source(self, source: dict[str, Any]) -> Any:
        """The training table again, from ``run.json``'s ``data`` record.

        Keys: ``path`` (the CSV file the fit read), ``types`` (optional ``{column: type}``
        it was read with) and ``holdout`` (optional ``{"fraction": f, "seed": s}``: the
        rows :func:`split_holdout` held out of training are left out again).
        """
        from vaekit.data.table import read_csv

        if not isinstance(source, dict) or "path" not in source:
            raise ConfigError(f"cannot read the synthesizer's data again from {source!r} "
                              "(expected a record with 'path')")  # fmt: skip
        table = read_csv(source["path"], source.get("types"))
        held = source.get("holdout")
        if held:
            rows, _ = split_holdout(len(table), float(held["fraction"]), int(held["seed"]))
            table = table.select(rows)
        return table

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample_table(self, n: int, where: Any = None, seed: int | None = None,
                     batch_size: int = 10_000) -> Table:  # fmt: skip
        """``n`` synthetic rows as a :class:`Table`; ``where`` (``{"col": value}`` or
        ``["col=value"]``) keeps only rows with those values (rejection sampling).
        ``seed`` defaults to ``random_state``."""
        self._check_fitted()
        if not (isinstance(n, (int, np.integer)) and n >= 1):
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        conditions = parse_conditions(where, self.column_types_)
        self._check_reachable(conditions)
        gen_seed = draw_seed(self.random_state if seed is None else seed)
        parts, have, drawn, limit = [], 0, 0, max(n * MAX_DRAWS_PER_ROW, 100_000)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(gen_seed)
            while have < n:
                m = batch_size if conditions else min(batch_size, n - have)
                rows = self.model_.sample_rows(m).cpu().numpy()  # (m, D)
                table = self.transformer_.inverse_transform(rows, seed=gen_seed + drawn)
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
        for name, value in conditions.items():
            info = self.transformer_.columns[name]
            if info["kind"] == "integer":
                if not info["min"] <= value <= info["max"]:
                    raise DataError(f"--where {name}={value:g}: outside the training range "
                                    f"[{info['min']:g}, {info['max']:g}]")  # fmt: skip
            elif value not in info["levels"] and str(value) not in info["other"]:
                raise DataError(f"--where {name}={value}: no such value in the training data")

    def transformed(self, data: Any) -> np.ndarray:
        """``data`` (with the fitted columns, ``feature_names_in_``) as the model's
        ``(N, D)`` input."""
        self._check_fitted()
        table, _ = as_table(data, self.types)
        expected = {str(n): self.column_types_[str(n)] for n in self.feature_names_in_}
        check_same_columns(table, expected, "data")
        return self.transformer_.transform(table)

    # ------------------------------------------------------------------ files
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"column_types": self.column_types_, "input_kind": self.input_kind_,
                "n_rows": self.n_rows_, "fit_seconds": self.fit_seconds_,
                "transform_seconds": self.transform_seconds_}, {}  # fmt: skip

    def _fitted_models(self) -> list[Any]:
        return [self.model_]

    def _restore(
        self, state: dict[str, Any], tensors: dict[str, Any], directory: Path, device: str
    ) -> None:
        self.column_types_ = {str(k): str(v) for k, v in state["column_types"].items()}
        self.input_kind_ = str(state["input_kind"])
        self.n_rows_ = int(state["n_rows"])
        self.fit_seconds_ = float(state["fit_seconds"])
        self.transform_seconds_ = float(state["transform_seconds"])
        self.transformer_ = TableTransformer.load(directory / TRANSFORMER_JSON)
        (self.model_,) = self._load_models(directory, 1, resolve_device(device))
        _check_tvae(self.model_, directory)

    def save(self, path: str | Path) -> Path:
        """Write the fitted synthesizer as a run directory at ``path`` (no pickle):
        ``run.json``, ``estimator.json``, ``transformer.json`` and the model
        (``model.json`` + ``model.safetensors``). Returns ``path``."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.transformer_.save(path / TRANSFORMER_JSON)
        return super().save(path)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Synthesizer:
        """A synthesizer saved by :meth:`save` (or fitted with ``out=``, or by
        ``vaekit synth fit``), including those saved by earlier versions."""
        return super().load(path, device)

    @classmethod
    def _load_legacy(cls, path: Path, device: str) -> Synthesizer:
        """A directory written before run directories (``synthesizer.json``)."""
        meta_path = path / SYNTH_JSON
        try:
            meta = json.loads(meta_path.read_text())
            params = dict(meta["params"], device=device)
            params["random_state"] = params.pop("seed", 0)
            synth = cls(**params)
            synth.column_types_ = {str(k): str(v) for k, v in meta["column_types"].items()}
            synth.input_kind_ = str(meta["input_kind"])
            synth.n_rows_ = int(meta["n_rows"])
            synth.fit_seconds_ = float(meta["fit_seconds"])
            synth.transform_seconds_ = float(meta["transform_seconds"])
        except FileNotFoundError:
            raise ModelFileError(f"{meta_path}: not found (is {path} a `vaekit synth fit` "
                                 "run?)") from None  # fmt: skip
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{meta_path}: bad synthesizer settings ({e})") from None
        synth.feature_names_in_ = np.asarray(list(synth.column_types_), dtype=object)
        synth.n_features_in_ = len(synth.column_types_)
        synth.transformer_ = TableTransformer.load(path / TRANSFORMER_JSON)
        (synth.model_,) = cls._load_models(path, 1, resolve_device(device))
        _check_tvae(synth.model_, path)
        return synth


def split_holdout(n_rows: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (training rows, holdout rows) indices of a table of ``n_rows`` rows;
    ``fraction`` of the rows held out (the privacy baseline of ``vaekit synth report``)."""
    if not 0 <= fraction < 1:
        raise ConfigError(f"--holdout must lie in [0, 1), got {fraction}")
    perm = np.random.default_rng(seed).permutation(n_rows)
    n = int(round(fraction * n_rows))
    return np.sort(perm[n:]), np.sort(perm[:n])


def table_fingerprint(table: Table) -> str:
    """A sha256 over a table's column names, types and values."""
    head = np.asarray([f"{n}:{table.types[n]}" for n in table.names], dtype=object)
    return fingerprint(head, *(table.columns[n] for n in table.names))


def _check_random_state(value: Any) -> None:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        return
    if value is None or isinstance(value, np.random.RandomState):
        return
    raise ConfigError(f"random_state must be a non-negative integer seed, None or a "
                      f"numpy RandomState, got {value!r}")  # fmt: skip


def _check_tvae(model: Any, directory: Path) -> None:
    if model.registry_name != "tvae":
        raise ModelFileError(f"{directory}: holds a {model.registry_name!r} model, not a tvae")


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
