"""``VAEImputer``: missing-value imputation with MIWAE, as a scikit-learn transformer."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

from vaekit.config import TrainConfig
from vaekit.data.base import DataBundle, Split
from vaekit.data.missing_layout import MissingLayout
from vaekit.data.table import Table
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.io.model_io import load, save_model
from vaekit.io.safe import atomic_write_text
from vaekit.models import create_model
from vaekit.tabular.inputs import as_table, check_same_columns
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar
from vaekit.train.trainer import Trainer

IMPUTER_JSON = "imputer.json"
TARGET_STEPS = 6_000  # optimisation steps the automatic epoch count aims for
LIKELIHOODS = ("auto", "student-t", "gaussian", "bernoulli")


def _is_table(X: Any) -> bool:
    """A pandas DataFrame or a vaekit Table (columns of their own types)."""
    return isinstance(X, Table) or (hasattr(X, "columns") and hasattr(X, "iloc"))


def as_array_with_nan(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as float64 ``(N, ...)`` with NaN for missing entries (None/pd.NA become NaN);
    refuses text, infinities and empty input with one message."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise DataError(f"{name}: needs numbers (NaN for missing values): {e}") from None
    if arr.ndim < 2 or arr.shape[0] == 0 or arr.size == 0:
        raise DataError(f"{name}: expected a non-empty 2-D (N, D) or image (N, H, W) array, "
                        f"got shape {arr.shape}")  # fmt: skip
    if np.isinf(arr).any():
        raise DataError(f"{name}: {int(np.isinf(arr).sum())} infinite value(s)")
    return arr


#: the posterior-collapse hint in the options of ``vaekit impute fit`` and the estimator
IMPUTE_ADVICE = "Try a smaller --latent-dim (VAEImputer(latent_dim=...)) or more --epochs"

class VAEImputer(TransformerMixin, BaseEstimator):
    """Fill missing values (NaN) with a MIWAE (Mattei & Frellsen 2019).

    ``fit(X)`` trains an importance-weighted VAE on rows with missing entries (the
    likelihood counts the observed ones only; the encoder sees the zero-filled row and its
    mask); ``transform(X)`` replaces each NaN by its conditional mean under the model,
    estimated by self-normalized importance sampling with ``n_samples`` draws;
    :meth:`sample_imputations` returns ``n_draws`` completed copies for multiple imputation.
    Works in a scikit-learn ``Pipeline``.

    Numeric arrays ``(N, D)`` are standardized by the observed mean and standard deviation
    of each column and modelled with a Student's t per cell (location, scale and degrees of
    freedom from the decoder, as in the MIWAE paper); images ``(N, H, W)`` or
    ``(N, C, H, W)`` with values in [0, 1] get a Bernoulli likelihood. A pandas DataFrame or
    a :class:`~vaekit.data.table.Table` may mix numeric, integer, datetime, boolean and
    categorical columns: categorical cells get a softmax over the levels seen in ``fit``
    and are imputed with their most probable level, integers are rounded, and ``transform``
    returns the same kind of table.

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
        Seed of the initialisation, batches and imputation draws; the torch device; a
        progress bar.
    """

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
        random_state: int = 0,
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
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> VAEImputer:
        """Train on ``X`` (NaN, or an empty cell of a table, = missing); ``y`` is ignored."""
        if self.data_kind not in ("auto", "tabular", "image"):
            raise ConfigError(f"unknown data_kind {self.data_kind!r}; choose auto, tabular, image")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"unknown likelihood {self.likelihood!r}; choose one of "
                              f"{', '.join(LIKELIHOODS)}")  # fmt: skip
        for name in ("k", "n_samples", "batch_size"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        self.layout_: MissingLayout | None = None
        if _is_table(X):
            table, _ = as_table(X)
            self.layout_ = MissingLayout(self.max_categories).fit(table)
            arr = self.layout_.encode(table)
        else:
            arr = as_array_with_nan(X)
        kind = self.data_kind if self.data_kind != "auto" else ("image" if arr.ndim > 2
                                                                 else "tabular")  # fmt: skip
        likelihood = self.likelihood
        if likelihood == "auto":
            likelihood = "bernoulli" if kind == "image" else "student-t"
        if self.layout_ is not None and likelihood != "student-t":
            raise ConfigError(f"a table with column types takes the student-t likelihood, "
                              f"not {likelihood!r}")  # fmt: skip
        self.data_kind_, self.likelihood_ = kind, likelihood
        self.shape_ = tuple(arr.shape[1:])
        self.n_features_in_ = (len(self.layout_.columns) if self.layout_ is not None
                               else int(np.prod(self.shape_)))  # fmt: skip
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
        if kind == "image" or self.layout_ is not None:  # images, or already standardized
            self.mean_, self.scale_ = np.zeros(flat.shape[1]), np.ones(flat.shape[1])
        else:
            self.mean_ = np.nanmean(flat, 0)
            std = np.nanstd(flat, 0)
            self.scale_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        d = flat.shape[1]
        n_cols = self.n_features_in_ if kind == "tabular" else d
        latent = self.latent_dim or (min(max(n_cols - 1, 1), 10) if kind == "tabular" else 50)
        epochs = self.epochs or int(np.clip(math.ceil(TARGET_STEPS * self.batch_size / len(arr)),
                                            5, 2000))  # fmt: skip
        device = resolve_device(self.device)
        x = torch.from_numpy(((flat - self.mean_) / self.scale_).astype(np.float32))
        blocks = self.layout_.blocks if self.layout_ is not None else []
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(self.random_state)
            self.model_ = create_model(
                "miwae", input_shape=(d,), latent_dim=latent, hidden=list(self.hidden),
                activation="tanh", k=self.k, categorical_blocks=blocks,
                likelihood="gaussian-learned-dim" if likelihood == "gaussian" else likelihood,
            )  # fmt: skip
            if likelihood == "student-t":
                self.model_.init_output_bias(torch.from_numpy(np.nanmean(x.numpy(), 0)))
            bundle = DataBundle("impute", Split(x), None, None, (d,))
            cfg = TrainConfig(epochs=epochs, batch_size=min(self.batch_size, len(arr)),
                              lr=self.lr, device=str(device), seed=self.random_state)  # fmt: skip
            with epoch_bar("fitting the imputer", epochs, self.verbose) as (console, advance):
                Trainer(self.model_, bundle, cfg, None, quiet=True, console=console,
                        on_epoch=advance, collapse_advice=IMPUTE_ADVICE).fit()  # fmt: skip
        self.model_.eval()
        self.epochs_ = epochs
        return self

    # ------------------------------------------------------------------ imputing
    def _prepared(self, X: Any) -> tuple[np.ndarray, torch.Tensor, Table | None, bool]:
        """``X`` as model rows: (array with NaN, standardized tensor, the table, pandas?)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("this VAEImputer is not fitted yet; call fit(X) first")
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
        done = self.layout_.decode(out, table)
        return done.to_pandas() if pandas else done

    def transform(self, X: Any) -> Any:
        """``X`` with every missing cell replaced by its importance-sampled conditional
        mean (the most probable level for a categorical cell); same kind as ``X``."""
        arr, x, table, pandas = self._prepared(X)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            filled = self.model_.impute(x, self.n_samples).cpu().double().numpy()
        return self._finish(filled, arr, table, pandas)

    def sample_imputations(self, X: Any, n_draws: int = 5) -> Any:
        """``n_draws`` completed copies of ``X`` (multiple imputation: the spread across
        draws is the model's uncertainty about the missing values): an array
        ``(n_draws, *X.shape)``, or a list of tables for a table."""
        arr, x, table, pandas = self._prepared(X)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            draws = self.model_.multiple_imputation(x, n_draws, self.n_samples)
        done = [self._finish(d, arr, table, pandas) for d in draws.cpu().double().numpy()]
        return np.stack(done) if table is None else done

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path) -> Path:
        """``model.json`` + ``model.safetensors`` and ``imputer.json`` (no pickle)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("this VAEImputer is not fitted yet; call fit(X) first")
        directory = Path(directory)
        save_model(self.model_, directory)
        meta = {"params": {**self.get_params(), "hidden": list(self.hidden)},
                "data_kind": self.data_kind_, "likelihood": self.likelihood_,
                "shape": list(self.shape_), "mean": self.mean_.tolist(),
                "scale": self.scale_.tolist(), "epochs": self.epochs_,
                "layout": self.layout_.to_json() if self.layout_ is not None else None}  # fmt: skip
        atomic_write_text(directory / IMPUTER_JSON, json.dumps(meta))
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> VAEImputer:
        """An imputer saved by :meth:`save` (or ``vaekit impute fit``)."""
        directory = Path(directory)
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
        except FileNotFoundError:
            raise ModelFileError(f"{path}: not found (is {directory} a saved imputer?)") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: bad imputer settings ({e})") from None
        imp.n_features_in_ = (len(imp.layout_.columns) if imp.layout_ is not None
                              else int(np.prod(imp.shape_)))  # fmt: skip
        imp.model_ = load(directory, device=resolve_device(device))
        return imp
