"""``VAEDetector``: a VAE outlier detector with the scikit-learn / PyOD interface."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import _check_n_features, _get_feature_names

from vaekit.anomaly.columns import (
    ColumnMismatchError,
    LabelColumnWarning,
    NamedRows,
    label_like_columns,
    label_note,
    mismatch_message,
)
from vaekit.anomaly.inputs import as_features, check_width
from vaekit.anomaly.scores import SCORES, anomaly_scores
from vaekit.config import TrainConfig
from vaekit.errors import ConfigError, DataError
from vaekit.estimators import FitProgress, VAEEstimator, draw_seed, fingerprint, seeded, train_model
from vaekit.io.model_io import load as load_model
from vaekit.models import create_model
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar

DATA_KINDS = ("auto", "tabular", "image")
PROBA_METHODS = ("linear", "unify")
#: optimisation steps the automatic epoch count aims for
TARGET_STEPS = 3000
#: the posterior-collapse hint, in the options of ``vaekit anomaly fit`` and the estimator
COLLAPSE_ADVICE = "Try a smaller --beta (VAEDetector(beta=...)) or --latent-dim"


class VAEDetector(VAEEstimator):
    """Outlier detection by how unlikely a row is under a VAE fitted to the data.

    Follows scikit-learn and PyOD: ``fit(X)``, ``decision_function(X)`` (higher = more
    anomalous), ``predict(X)`` in {0, 1}, ``predict_proba(X)``, and after fitting
    ``decision_scores_`` (training scores), ``threshold_`` (their ``1 - contamination``
    quantile), ``labels_``, ``n_features_in_`` and, when ``X`` had column names (a
    DataFrame, or :class:`~vaekit.anomaly.columns.NamedRows` as a CSV header gives),
    ``feature_names_in_``. Later rows must have the same columns: a missing, extra,
    renamed or reordered column is refused naming it (without names, only the count is
    checked). A fitted 0/1 column named like a label (``y``, ``label``, ``is_outlier``, ...)
    gets a :class:`~vaekit.anomaly.columns.LabelColumnWarning`. Works with
    ``sklearn.base.clone``, ``get_params``, ``set_params`` and scikit-learn's estimator
    checks; ``save``/``load`` write and read a run directory
    (:class:`~vaekit.estimators.VAEEstimator`), the column names and count included.

    Tabular data ``(N, D)`` is standardized with the training mean and standard deviation
    and modelled with a Gaussian likelihood whose per-feature variance is learned; image
    data ``(N, H, W)`` or ``(N, C, H, W)`` with values in [0, 1] gets a Bernoulli likelihood.

    Parameters
    ----------
    contamination
        Expected fraction of outliers in the training data, in (0, 0.5]; sets
        ``threshold_``.
    scoring
        ``"elbo"`` (minus the ELBO, averaged over ``n_samples`` draws), ``"iwae"`` (minus the
        importance-weighted bound with ``n_samples`` samples; the tightest estimate of
        ``-log p(x)``), ``"recon"`` (reconstruction from the posterior mean) or
        ``"elbo-complexity"`` (the elbo score minus the input's compressed length). Before
        this name it was ``score``, still accepted (with a ``FutureWarning``).
    latent_dim, hidden
        Sizes of the VAE; ``None`` picks them from the data (tabular: ``latent_dim =
        clip(D // 2, 2, 16)``, two hidden layers of ``clip(2 D, 32, 256)``; images: 16 and
        ``[512, 256]``).
    epochs, batch_size
        ``None``: batch ``clip(N // 20, 32, 256)`` and about 3000 optimisation steps
        (10 to 500 epochs), which suits tables of a few hundred rows as well as large ones.
    lr, beta
        Adam learning rate and the KL weight.
    n_samples
        Posterior samples per row for the ``elbo`` and ``iwae`` scores.
    n_models
        VAEs in the ensemble, each trained like a single detector with its own seed
        (``random_state + i``); the score is the mean of their scores. Fitting and
        scoring cost ``n_models`` times one model.
    data_kind
        ``"auto"`` (arrays with more than 2 dimensions are images), ``"tabular"`` or
        ``"image"``.
    random_state
        Seeds the initialisation, the training batches and the scoring draws. A row's draws
        depend on the seed and the row only: the same row always gets the same score,
        whatever other rows it is scored with.
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``.
    verbose
        Show the training progress bar.
    """

    run_kind = "detector"

    def __init__(
        self,
        contamination: float = 0.1,
        scoring: str = "elbo",
        latent_dim: int | None = None,
        hidden: list[int] | None = None,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float = 1e-3,
        beta: float = 1.0,
        n_samples: int = 16,
        n_models: int = 1,
        data_kind: str = "auto",
        random_state: int | None = 0,
        device: str = "auto",
        verbose: bool = False,
        **score: Any,  # ``score=``: the old name of ``scoring`` (deprecated)
    ) -> None:
        self.contamination = contamination
        self.scoring = _renamed_score(score, scoring)
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.n_samples = n_samples
        self.n_models = n_models
        self.data_kind = data_kind
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def set_params(self, **params: Any) -> VAEDetector:
        """scikit-learn's ``set_params``; ``score=`` still sets ``scoring`` (deprecated)."""
        if "score" in params:
            params["scoring"] = _renamed_score({"score": params.pop("score")}, None)
        return super().set_params(**params)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None, out: str | Path | None = None,
            resume: bool = False) -> VAEDetector:  # fmt: skip
        """Fit the VAE(s) to ``X`` (``y`` is ignored: the detector is unsupervised).

        With ``out``, the fit keeps its checkpoints in that run directory (ensemble member
        ``i > 0`` in ``out/member-i``) and saves the fitted detector there at the end;
        ``resume=True`` continues such a fit (see :meth:`resume`), keeping finished members.
        """
        self._check_params()
        arr = as_features(X)
        kind = self.data_kind
        if kind == "auto":
            kind = "image" if arr.ndim > 2 else "tabular"
        if kind == "image" and (arr.min() < 0 or arr.max() > 1):
            raise DataError("X: image data must lie in [0, 1] (divide 8-bit images by 255), or "
                            "pass data_kind='tabular'")  # fmt: skip
        if kind == "tabular" and arr.ndim != 2:
            raise DataError(f"X: tabular data must be (samples, features), got {arr.shape}")
        n = arr.shape[0]
        if n < 2:
            raise DataError(f"X: {n} sample; need at least 2 rows to fit a detector")
        run = self._begin_run(out, fingerprint(arr), resume)
        self._check_features(X, arr, reset=True)
        for column in label_like_columns(getattr(self, "feature_names_in_", None), arr):
            warnings.warn(label_note(column, option=False), LabelColumnWarning, stacklevel=2)
        self.data_kind_, self.seed_ = kind, draw_seed(self.random_state)
        self.input_shape_ = tuple(int(s) for s in arr.shape[1:])
        self.mean_ = self.scale_ = None
        if kind == "tabular":
            scale = arr.std(0)
            self.mean_, self.scale_ = arr.mean(0), np.where(scale > 1e-12, scale, 1.0)
        x = self._prepare(arr)
        batch = min(self.batch_size or int(np.clip(n // 20, 32, 256)), n)
        epochs = self.epochs or int(np.clip(math.ceil(TARGET_STEPS / math.ceil(n / batch)),
                                            10, 500))  # fmt: skip
        device = resolve_device(self.device)
        cfg = TrainConfig(epochs=epochs, batch_size=batch, lr=self.lr, device=str(device))
        label = "fitting the detector's VAE" + ("s" if self.n_models > 1 else "")
        with epoch_bar(label, epochs * self.n_models, self.verbose) as (console, advance):
            progress = FitProgress(console, advance)
            self.models_ = [self._fit_member(i, x, cfg, device, progress, run, resume)
                            for i in range(self.n_models)]  # fmt: skip
        self.model_ = self.models_[0]
        self.epochs_, self.batch_size_ = epochs, batch
        self.decision_scores_ = self._score(x)
        self.threshold_ = float(np.quantile(self.decision_scores_, 1.0 - self.contamination))
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(int)
        self._end_run(run)
        return self

    def _fit_member(self, i: int, x: torch.Tensor, cfg: TrainConfig, device: torch.device,
                    progress: FitProgress, run: Path | None, resume: bool) -> Any:  # fmt: skip
        """Train ensemble member ``i`` (seed ``random_state + i``), or, resuming, load it
        when its training had finished."""
        where = None if run is None else (run if i == 0 else run / f"member-{i}")
        if resume and where is not None and (where / "model.safetensors").is_file():
            return load_model(where, device=device).eval()
        with seeded(self.seed_ + i, device):
            model = create_model(
                "vae", input_shape=self.input_shape_, latent_dim=self._latent_dim(),
                hidden=self._hidden(), activation="relu", beta=self.beta,
                likelihood="bernoulli" if self.data_kind_ == "image" else "gaussian-learned-dim",
            )  # fmt: skip
            if self.data_kind_ == "image":
                model.init_output_bias(x.mean(0))
            train_model(model, x, cfg, progress, collapse_advice=COLLAPSE_ADVICE,
                        run_dir=where, resume=resume, run=run, name="anomaly")  # fmt: skip
        return model

    def _latent_dim(self) -> int:
        if self.latent_dim:
            return int(self.latent_dim)
        d = int(np.prod(self.input_shape_))
        return 16 if self.data_kind_ == "image" else int(np.clip(d // 2, 2, 16))

    def _hidden(self) -> list[int]:
        if self.hidden:
            return [int(h) for h in self.hidden]
        width = int(np.clip(2 * int(np.prod(self.input_shape_)), 32, 256))
        return [512, 256] if self.data_kind_ == "image" else [width, width]

    def _check_params(self) -> None:
        if not 0 < self.contamination <= 0.5:
            raise ConfigError(f"contamination must be in (0, 0.5], got {self.contamination}")
        if self.scoring not in SCORES:
            raise ConfigError(f"unknown score {self.scoring!r}; choose one of "
                              f"{', '.join(SCORES)}")  # fmt: skip
        if self.data_kind not in DATA_KINDS:
            raise ConfigError(
                f"unknown data_kind {self.data_kind!r}; choose one of {', '.join(DATA_KINDS)}"
            )
        for name in ("latent_dim", "epochs", "batch_size"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer or None, got {v!r}")
        if self.hidden is not None and (not self.hidden or any(int(h) < 1 for h in self.hidden)):
            raise ConfigError(f"hidden must be a list of positive widths, got {self.hidden!r}")
        if not self.lr > 0 or not self.beta >= 0 or not self.n_samples >= 1:
            raise ConfigError("lr must be > 0, beta >= 0 and n_samples >= 1")
        if not (isinstance(self.n_models, (int, np.integer)) and self.n_models >= 1):
            raise ConfigError(f"n_models must be a positive integer, got {self.n_models!r}")

    # ------------------------------------------------------------------ scoring
    def _prepare(self, arr: np.ndarray) -> torch.Tensor:
        if self.data_kind_ == "tabular":
            arr = (arr - self.mean_) / self.scale_
        return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))

    def _score(self, x: torch.Tensor) -> np.ndarray:
        state = self.random_state
        seed = int(state) if isinstance(state, (int, np.integer)) else self.seed_
        scores = [anomaly_scores(m, x, self.scoring, self.n_samples, seed + i)
                  for i, m in enumerate(self.models_)]  # fmt: skip
        return np.mean(scores, axis=0)

    def _check_features(self, X: Any, arr: np.ndarray, reset: bool) -> None:
        """Record (in fit) or check ``n_features_in_`` and ``feature_names_in_``.

        A DataFrame is checked as scikit-learn checks it, with a first line naming the
        columns that differ; :class:`NamedRows` get that line alone, and rows without names
        only the count check.
        """
        if not isinstance(X, NamedRows):
            fitted = getattr(self, "feature_names_in_", None)
            given = None if reset or fitted is None else _get_feature_names(X)
            message = None if given is None else mismatch_message("X", fitted, given)
            try:
                super()._check_features(X, arr, reset)
            except DataError as e:
                if message:
                    raise ColumnMismatchError(f"{message}\n{e}") from None
                raise DataError(str(e)) from None
            if message:
                raise ColumnMismatchError(message)
            return
        flat = arr.reshape(len(arr), -1)
        if reset:
            self.n_features_in_ = int(flat.shape[1])
            if X.columns:
                self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is not None and X.columns:
            message = mismatch_message(X.source, fitted, X.columns)
            if message:
                raise ColumnMismatchError(message)
        try:
            _check_n_features(self, flat, reset=False)
        except ValueError as e:
            raise DataError(str(e)) from None

    def decision_function(self, X: Any) -> np.ndarray:
        """Anomaly score of each row, ``(N,)``: higher = more anomalous (deterministic, and
        a row's score does not depend on the other rows)."""
        self._check_fitted()
        arr = as_features(X)
        self._check_features(X, arr, reset=False)
        check_width(arr, self.input_shape_)
        if self.data_kind_ == "image" and (arr.min() < 0 or arr.max() > 1):
            raise DataError("X: image data must lie in [0, 1], as in fit")
        return self._score(self._prepare(arr))

    def predict(self, X: Any) -> np.ndarray:
        """1 for rows scoring above ``threshold_`` (outliers), else 0."""
        return (self.decision_function(X) > self.threshold_).astype(int)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit on ``X`` and return ``labels_``."""
        return self.fit(X).labels_

    def predict_proba(self, X: Any, method: str = "linear") -> np.ndarray:
        """``(N, 2)`` probabilities of [inlier, outlier], from the training scores.

        ``linear``: min-max scaling by the training scores, clipped to [0, 1]; ``unify``:
        Gaussian scaling (Kriegel et al. 2011), ``max(0, erf((s - mean) / (std sqrt 2)))``.
        """
        if method not in PROBA_METHODS:
            raise ConfigError(f"unknown method {method!r}; choose one of linear, unify")
        s = self.decision_function(X)
        train = self.decision_scores_
        if method == "linear":
            span = max(float(train.max() - train.min()), 1e-12)
            p = np.clip((s - train.min()) / span, 0.0, 1.0)
        else:
            from scipy.special import erf

            z = (s - train.mean()) / (max(float(train.std()), 1e-12) * math.sqrt(2.0))
            p = np.clip(erf(z), 0.0, 1.0)
        return np.stack([1.0 - p, p], axis=1)

    # ------------------------------------------------------------------ files
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        state = {"data_kind": self.data_kind_, "input_shape": list(self.input_shape_),
                 "threshold": self.threshold_, "epochs": self.epochs_,
                 "batch_size": self.batch_size_, "seed": self.seed_}  # fmt: skip
        tensors: dict[str, Any] = {"decision_scores": self.decision_scores_}
        if self.data_kind_ == "tabular":
            tensors.update(mean=np.asarray(self.mean_, np.float64),
                           scale=np.asarray(self.scale_, np.float64))  # fmt: skip
        return state, tensors

    def _restore(self, state: dict[str, Any], tensors: dict[str, Any], directory: Path,
                 device: str) -> None:  # fmt: skip
        self.data_kind_ = state["data_kind"]
        self.input_shape_ = tuple(int(s) for s in state["input_shape"])
        self.threshold_ = float(state["threshold"])
        self.epochs_, self.batch_size_ = int(state["epochs"]), int(state["batch_size"])
        self.seed_ = int(state["seed"])
        self.decision_scores_ = tensors["decision_scores"].numpy()
        tabular = self.data_kind_ == "tabular"
        self.mean_ = tensors["mean"].numpy() if tabular else None
        self.scale_ = tensors["scale"].numpy() if tabular else None
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(int)
        self.models_ = self._load_models(directory, self.n_models, resolve_device(device))
        self.model_ = self.models_[0]

    def _fitted_models(self) -> list[Any]:
        return list(self.models_)

    @classmethod
    def _load_legacy(cls, path: Path, device: str) -> VAEDetector:
        from vaekit.anomaly.legacy import load_legacy_detector

        return load_legacy_detector(cls, path, device)

    def _read_source(self, source: dict[str, Any]) -> Any:
        """The training rows again from ``run.json``'s ``data`` (``path``, optional
        ``label_column``), read as ``vaekit anomaly fit`` reads them (with their names)."""
        from vaekit.anomaly.files import read_rows

        return read_rows(Path(source["path"]), source.get("label_column"))[0]


def _renamed_score(deprecated: dict[str, Any], scoring: str | None) -> Any:
    """``scoring``, or the value of the old ``score`` keyword (with a FutureWarning)."""
    if not deprecated:
        return scoring
    unknown = set(deprecated) - {"score"}
    if unknown:
        raise TypeError(f"VAEDetector got an unexpected keyword argument {sorted(unknown)[0]!r}")
    warnings.warn("VAEDetector(score=...) is now VAEDetector(scoring=...); score= will be "
                  "removed in the next release", FutureWarning, stacklevel=3)  # fmt: skip
    return deprecated["score"]
