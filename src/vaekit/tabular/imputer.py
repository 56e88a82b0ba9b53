"""``VAEImputer``: missing-value imputation with MIWAE, as a scikit-learn transformer."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin

from vaekit.config import TrainConfig
from vaekit.data.missing_layout import MissingLayout
from vaekit.data.table import Table, decimals_of, observed_columns
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.estimators import FitProgress, VAEEstimator, draw_seed, fingerprint, seeded, train_model
from vaekit.estimators.imputation import conditional_mean, imputation_draws
from vaekit.estimators.validation import check_rows
from vaekit.io.model_io import load
from vaekit.models import create_model
from vaekit.tabular.inputs import as_table, check_same_columns
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar

IMPUTER_JSON = "imputer.json"
TARGET_STEPS = 6_000  # optimisation steps the automatic epoch count aims for
LIKELIHOODS = ("auto", "student-t", "gaussian", "bernoulli")
#: the posterior-collapse hint in the options of ``vaekit impute fit`` and the estimator
IMPUTE_ADVICE = "Try a smaller --latent-dim (VAEImputer(latent_dim=...)) or more --epochs"


def _is_table(X: Any) -> bool:
    """A pandas DataFrame or a vaekit Table (columns of their own types)."""
    return isinstance(X, Table) or (hasattr(X, "columns") and hasattr(X, "iloc"))


def as_array_with_nan(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as float64 ``(N, ...)`` with NaN for missing entries (None/pd.NA become NaN);
    refuses sparse, complex, text, infinities and empty input with one message."""
    return check_rows(X, name, allow_nan=True)


class VAEImputer(TransformerMixin, VAEEstimator):
    """Fill missing values (NaN) with a MIWAE (Mattei & Frellsen 2019).

    ``fit(X)`` trains an importance-weighted VAE on rows with missing entries (the
    likelihood counts the observed ones only; the encoder sees the zero-filled row and its
    mask); ``transform(X)`` replaces each NaN by its conditional mean under the model,
    estimated by self-normalized importance sampling with ``n_samples`` draws;
    :meth:`sample_imputations` returns ``n_draws`` completed copies for multiple imputation.
    Works in a scikit-learn ``Pipeline`` and passes scikit-learn's estimator checks;
    ``save``/``load`` write and read a run directory
    (:class:`~vaekit.estimators.VAEEstimator`).

    Numeric arrays ``(N, D)`` are standardized by the observed mean and standard deviation
    of each column and modelled with a Student's t per cell (location, scale and degrees of
    freedom from the decoder, as in the MIWAE paper); images ``(N, H, W)`` or
    ``(N, C, H, W)`` with values in [0, 1] get a Bernoulli likelihood. A pandas DataFrame or
    a :class:`~vaekit.data.table.Table` may mix numeric, integer, datetime, boolean and
    categorical columns: categorical cells get a softmax over the levels seen in ``fit``
    and are imputed with their most probable level, and ``transform`` returns the same kind
    of table.

    Imputed numbers of a table keep to what was observed at ``fit``: each imputed cell of a
    numeric, integer or datetime column is clipped to the column's observed range
    [min, max] (a column of values >= 0 gets no negative value) and rounded to its observed
    precision: the fewest decimals (at most 10) that write every fitted value exactly, so a
    column recorded with two decimals gets two, integers whole numbers. Observed cells are
    never changed. (Imputers saved before this rule impute without it.)

    Parameters
    ----------
    latent_dim
        ``None``: one less than the number of columns for tables, at most 10 (the MIWAE
        authors' UCI code uses 10), and 50 for images.
    hidden
        Widths of the encoder and decoder (MIWAE's UCI code: two layers of 128, tanh).
    k
        Importance samples in the training bound (MIWAE: 20).
    n_samples
        Importance samples per row when imputing.
    epochs, batch_size, lr
        ``epochs=None``: about 6,000 steps (5 to 2,000 epochs; the MIWAE authors' breast
        cancer run: 600 epochs of 64 rows, about 5,400 steps).
    data_kind
        ``"auto"`` (more than 2 dimensions = images), ``"tabular"`` or ``"image"``.
    likelihood
        ``"auto"`` (``"student-t"`` for tables, ``"bernoulli"`` for images),
        ``"student-t"``, ``"gaussian"`` (a learned standard deviation per column; numeric
        arrays only) or ``"bernoulli"`` (values in [0, 1]).
    max_categories
        Most levels of a categorical column (more is refused: identifiers and free text
        cannot be imputed level by level).
    random_state, device, verbose
        Seed of the initialisation, batches and imputation draws (a row's draws depend on
        the seed and the row only, not on the other rows); the torch device; a progress bar.
    """

    run_kind = "imputer"

    def __init__(
        self,
        latent_dim: int | None = None,
        hidden: tuple[int, ...] = (128, 128),
        k: int = 20,
        n_samples: int = 1000,
        epochs: int | None = None,
        batch_size: int = 64,
        lr: float = 1e-3,
        data_kind: str = "auto",
        likelihood: str = "auto",
        max_categories: int = 100,
        random_state: int | None = 0,
        device: str = "auto",
        verbose: bool = False,
    ) -> None:
        self.latent_dim, self.hidden, self.k, self.n_samples = latent_dim, hidden, k, n_samples
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.data_kind, self.likelihood, self.max_categories = data_kind, likelihood, max_categories
        self.random_state = random_state
        self.device, self.verbose = device, verbose

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN marks the entries to impute
        return tags

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        if self.data_kind not in ("auto", "tabular", "image"):
            raise ConfigError(f"unknown data_kind {self.data_kind!r}; choose auto, tabular, image")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"unknown likelihood {self.likelihood!r}; choose one of "
                              f"{', '.join(LIKELIHOODS)}")  # fmt: skip
        for name in ("k", "n_samples", "batch_size"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        for name in ("epochs", "latent_dim"):  # None: picked from the data
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer or None, got {v!r}")

    def fit(self, X: Any, y: Any = None, out: str | Path | None = None,
            resume: bool = False) -> VAEImputer:  # fmt: skip
        """Train on ``X`` (NaN, or an empty cell of a table, = missing); ``y`` is ignored.

        With ``out``, the fit keeps its checkpoints in that run directory and saves the
        fitted imputer there at the end; ``resume=True`` continues such a fit (see
        :meth:`resume`).
        """
        self._check_params()
        layout, table = None, None
        if _is_table(X):
            table, _ = as_table(X)
            layout = MissingLayout(self.max_categories).fit(table)
            arr = layout.encode(table)
        else:
            arr = as_array_with_nan(X)
        kind = self.data_kind if self.data_kind != "auto" else ("image" if arr.ndim > 2
                                                                 else "tabular")  # fmt: skip
        likelihood = self.likelihood
        if likelihood == "auto":
            likelihood = "bernoulli" if kind == "image" else "student-t"
        if layout is not None and likelihood != "student-t":
            raise ConfigError(f"a table with column types takes the student-t likelihood, "
                              f"not {likelihood!r}")  # fmt: skip
        flat = arr.reshape(len(arr), -1)
        empty = np.isnan(flat).all(0)
        if kind == "tabular" and empty.any():
            raise DataError(f"X: column {int(np.flatnonzero(empty)[0])} has no observed value; "
                            "drop it before imputing")  # fmt: skip
        if likelihood == "bernoulli":
            obs = flat[~np.isnan(flat)]
            if obs.min() < 0 or obs.max() > 1:
                raise DataError("X: values must lie in [0, 1] for the bernoulli likelihood "
                                "(images)")  # fmt: skip
        run = self._begin_run(out, fingerprint(arr), resume)
        self._record_features(X, arr, table)
        self.bounds_ = observed_bounds(table) if table is not None else None
        self.layout_, self.data_kind_, self.likelihood_ = layout, kind, likelihood
        self.shape_, self.seed_ = tuple(arr.shape[1:]), draw_seed(self.random_state)
        if kind == "image" or layout is not None:  # images, or already standardized
            self.mean_, self.scale_ = np.zeros(flat.shape[1]), np.ones(flat.shape[1])
        else:
            self.mean_ = np.nanmean(flat, 0)
            std = np.nanstd(flat, 0)
            self.scale_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.epochs_ = self.epochs or int(np.clip(math.ceil(TARGET_STEPS * self.batch_size
                                                            / len(arr)), 5, 2000))  # fmt: skip
        x = torch.from_numpy(((flat - self.mean_) / self.scale_).astype(np.float32))
        self.model_ = self._fit_model(x, run, resume)
        self._end_run(run)
        return self

    def _record_features(self, X: Any, arr: np.ndarray, table: Table | None) -> None:
        """``n_features_in_`` / ``feature_names_in_``: the columns of a table, else as
        scikit-learn records them."""
        if table is None:
            self._check_features(X, arr, reset=True)
            return
        self.n_features_in_ = len(table.names)
        self.feature_names_in_ = np.asarray([str(n) for n in table.names], dtype=object)

    def _fit_model(self, x: torch.Tensor, run: Path | None, resume: bool) -> Any:
        """Build and train the MIWAE on the standardized rows ``x`` ``(N, D)``, or, resuming
        a run whose training had finished, load it."""
        device = resolve_device(self.device)
        if resume and run is not None and (run / "model.safetensors").is_file():
            return load(run, device=device).eval()
        d = x.shape[1]
        n_cols = self.n_features_in_ if self.data_kind_ == "tabular" else d
        latent = self.latent_dim or (min(max(n_cols - 1, 1), 10) if self.data_kind_ == "tabular"
                                     else 50)  # fmt: skip
        blocks = self.layout_.blocks if self.layout_ is not None else []
        likelihood = self.likelihood_
        cfg = TrainConfig(epochs=self.epochs_, batch_size=min(self.batch_size, len(x)),
                          lr=self.lr, device=str(device))  # fmt: skip
        with seeded(self.seed_, device):
            model = create_model(
                "miwae", input_shape=(d,), latent_dim=latent, hidden=list(self.hidden),
                activation="tanh", k=self.k, categorical_blocks=blocks,
                likelihood="gaussian-learned-dim" if likelihood == "gaussian" else likelihood,
            )  # fmt: skip
            if likelihood == "student-t":
                model.init_output_bias(torch.from_numpy(np.nanmean(x.numpy(), 0)))
            with epoch_bar("fitting the imputer", self.epochs_, self.verbose) as (console, bar):
                train_model(model, x, cfg, FitProgress(console, bar), run_dir=run,
                            collapse_advice=IMPUTE_ADVICE, resume=resume, name="impute")
        return model

    # ------------------------------------------------------------------ imputing
    def _prepared(self, X: Any) -> tuple[np.ndarray, torch.Tensor, Table | None, bool]:
        """``X`` as model rows: (array with NaN, standardized tensor ``(N, D)``, the table,
        pandas?)."""
        self._check_fitted()
        if not (isinstance(self.n_samples, (int, np.integer)) and self.n_samples >= 1):
            raise ConfigError(f"n_samples must be a positive integer, got {self.n_samples!r}")
        table, pandas = None, False
        if self.layout_ is not None:
            if not _is_table(X):
                raise DataError("X: this imputer was fitted on a table (DataFrame or Table); "
                                "pass one with the same columns")  # fmt: skip
            known = self.layout_.types
            types = None if isinstance(X, Table) else {str(c): known[str(c)] for c in X.columns
                                                       if str(c) in known}  # fmt: skip
            table, kind = as_table(X, types)
            check_same_columns(table, self.layout_.types, "X")
            arr, pandas = self.layout_.encode(table), kind == "pandas"
        elif _is_table(X):
            raise DataError("X: this imputer was fitted on a numeric array; pass an array")
        else:
            arr = as_array_with_nan(X)
            self._check_features(X, arr, reset=False)
        if tuple(arr.shape[1:]) != self.shape_:
            raise DataError(f"X: rows of shape {tuple(arr.shape[1:])}; fitted on {self.shape_}")
        flat = (arr.reshape(len(arr), -1) - self.mean_) / self.scale_
        device = self.model_.device
        return arr, torch.from_numpy(flat.astype(np.float32)).to(device), table, pandas

    def _finish(self, filled: np.ndarray, arr: np.ndarray, table: Table | None,
                pandas: bool) -> Any:  # fmt: skip
        """Completed rows ``filled`` (standardized) back in the input's units and kind."""
        out = (filled.reshape(len(arr), -1) * self.scale_ + self.mean_).reshape(arr.shape)
        if table is None:
            return np.where(np.isnan(arr), out, arr)
        assert self.layout_ is not None
        done = keep_in_bounds(self.layout_.decode(out, table), table, self.bounds_)
        return done.to_pandas() if pandas else done

    def _draw_seed(self) -> int:
        """The seed of the imputation draws: ``random_state`` as it is now, or the one
        drawn at fit when it is not an integer."""
        state = self.random_state
        return int(state) if isinstance(state, (int, np.integer)) else self.seed_

    def transform(self, X: Any) -> Any:
        """``X`` with every missing cell replaced by its importance-sampled conditional
        mean (the most probable level for a categorical cell); same kind as ``X``.

        Every row uses the same ``n_samples`` draws (fixed by ``random_state``), so a row's
        completion does not depend on the other rows passed with it."""
        arr, x, table, pandas = self._prepared(X)
        filled = conditional_mean(self.model_, x, self.n_samples, self._draw_seed())
        return self._finish(filled.cpu().double().numpy(), arr, table, pandas)

    def sample_imputations(self, X: Any, n_draws: int = 5) -> Any:
        """``n_draws`` completed copies of ``X`` (multiple imputation: the spread across
        draws is the model's uncertainty about the missing values): an array
        ``(n_draws, *X.shape)``, or a list of tables for a table."""
        if n_draws < 1:
            raise DataError(f"n_draws must be >= 1, got {n_draws}")
        arr, x, table, pandas = self._prepared(X)
        draws = imputation_draws(self.model_, x, n_draws, self.n_samples, self._draw_seed())
        done = [self._finish(d, arr, table, pandas) for d in draws.cpu().double().numpy()]
        return np.stack(done) if table is None else done

    # ------------------------------------------------------------------ files
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        layout = self.layout_.to_json() if self.layout_ is not None else None
        state = {"data_kind": self.data_kind_, "likelihood": self.likelihood_,
                 "shape": list(self.shape_), "epochs": self.epochs_, "seed": self.seed_,
                 "layout": layout, "bounds": self.bounds_}  # fmt: skip
        return state, {"mean": np.asarray(self.mean_, np.float64),
                       "scale": np.asarray(self.scale_, np.float64)}  # fmt: skip

    def _restore(self, state: dict[str, Any], tensors: dict[str, Any], directory: Path,
                 device: str) -> None:  # fmt: skip
        self.hidden = tuple(self.hidden)
        self.data_kind_, self.likelihood_ = state["data_kind"], state["likelihood"]
        self.shape_, self.epochs_ = tuple(state["shape"]), int(state["epochs"])
        self.seed_ = int(state["seed"])
        layout = state.get("layout")
        self.layout_ = MissingLayout.from_json(layout) if layout else None
        self.bounds_ = state.get("bounds")  # None: saved before the bounds were kept
        self.mean_, self.scale_ = tensors["mean"].numpy(), tensors["scale"].numpy()
        self.model_ = self._load_models(directory, 1, resolve_device(device))[0]

    def _fitted_models(self) -> list[Any]:
        return [self.model_]

    @classmethod
    def _load_legacy(cls, directory: Path, device: str) -> VAEImputer:
        """An imputer saved before run directories had ``run.json`` (``imputer.json``)."""
        path = directory / IMPUTER_JSON
        try:
            meta = json.loads(path.read_text())
            imp = cls(**{**meta["params"], "hidden": tuple(meta["params"]["hidden"]),
                         "device": device})  # fmt: skip
            imp.data_kind_, imp.shape_ = meta["data_kind"], tuple(meta["shape"])
            imp.likelihood_ = meta.get("likelihood", "gaussian")
            imp.mean_, imp.scale_ = np.array(meta["mean"]), np.array(meta["scale"])
            imp.epochs_ = int(meta["epochs"])
            layout = meta.get("layout")
            imp.layout_ = MissingLayout.from_json(layout) if layout else None
            imp.bounds_ = None
        except FileNotFoundError:
            raise ModelFileError(f"{path}: not found (is {directory} a saved imputer?)") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: bad imputer settings ({e})") from None
        imp.n_features_in_ = (len(imp.layout_.columns) if imp.layout_ is not None
                              else int(np.prod(imp.shape_)))  # fmt: skip
        if imp.layout_ is not None:
            imp.feature_names_in_ = np.asarray(list(imp.layout_.columns), dtype=object)
        imp.seed_ = draw_seed(imp.random_state)
        imp.model_ = load(directory, device=resolve_device(device))
        return imp

    def _read_source(self, source: dict[str, Any]) -> Any:
        """The training table again from ``run.json``'s ``data`` (``path`` of the CSV and
        the ``types`` it was read with, when given), read as ``vaekit impute fit`` reads it."""
        from vaekit.data.table import read_csv

        return read_csv(Path(source["path"]), source.get("types"))


def observed_bounds(table: Table) -> dict[str, dict[str, Any]]:
    """``{column: {"min", "max", "decimals"}}`` of the numeric, integer and datetime columns
    of ``table``: their observed range and precision (``decimals``: see
    :func:`~vaekit.data.table.decimals_of`; ``None`` when too fine to round)."""
    out = {}
    for name, kind, _, values in observed_columns(table):
        if kind in ("numeric", "integer", "datetime"):
            out[name] = {"min": float(values.min()), "max": float(values.max()),
                         "decimals": 0 if kind == "integer" else decimals_of(values)}  # fmt: skip
    return out


def keep_in_bounds(done: Table, like: Table, bounds: dict[str, dict[str, Any]] | None) -> Table:
    """``done`` with the imputed cells (those missing in ``like``) of each column in
    ``bounds`` clipped to its range and rounded to its decimals; ``bounds=None`` (an imputer
    saved before they were kept): ``done`` as it is."""
    if not bounds:
        return done
    columns = dict(done.columns)
    for name, b in bounds.items():
        missing = like.missing(name)
        if name not in columns or not missing.any():
            continue
        x = np.clip(columns[name][missing], b["min"], b["max"])
        if b.get("decimals") is not None:
            x = np.clip(np.round(x, b["decimals"]), b["min"], b["max"])
        col = columns[name].copy()
        col[missing] = x
        columns[name] = col
    return Table(columns, dict(done.types))
