"""``VAEDetector``: a VAE outlier detector with the scikit-learn / PyOD interface."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from vaekit.anomaly.inputs import as_features, check_width
from vaekit.anomaly.scores import SCORES, anomaly_scores
from vaekit.config import TrainConfig
from vaekit.data.base import DataBundle, Split
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.io.model_io import load, save_model
from vaekit.io.safe import atomic_write_text, load_tensors, save_tensors
from vaekit.models import create_model
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar
from vaekit.train.trainer import Trainer

DATA_KINDS = ("auto", "tabular", "image")
PROBA_METHODS = ("linear", "unify")
DETECTOR_JSON, DETECTOR_TENSORS = "detector.json", "detector.safetensors"
#: optimisation steps the automatic epoch count aims for
TARGET_STEPS = 3000
#: the posterior-collapse hint, in the options of ``vaekit anomaly fit`` and the estimator
COLLAPSE_ADVICE = "Try a smaller --beta (VAEDetector(beta=...)) or --latent-dim"


class VAEDetector(BaseEstimator):
    """Outlier detection by how unlikely a row is under a VAE fitted to the data.

    Follows scikit-learn and PyOD: ``fit(X)``, ``decision_function(X)`` (higher = more
    anomalous), ``predict(X)`` in {0, 1}, ``predict_proba(X)``, and after fitting
    ``decision_scores_`` (training scores), ``threshold_`` (their ``1 - contamination``
    quantile) and ``labels_``. Works with ``sklearn.base.clone``, ``get_params`` and
    ``set_params``.

    Tabular data ``(N, D)`` is standardized with the training mean and standard deviation
    and modelled with a Gaussian likelihood whose per-feature variance is learned; image
    data ``(N, H, W)`` or ``(N, C, H, W)`` with values in [0, 1] gets a Bernoulli likelihood.

    Parameters
    ----------
    contamination
        Expected fraction of outliers in the training data, in (0, 0.5]; sets
        ``threshold_``.
    score
        ``"elbo"`` (minus the ELBO, averaged over ``n_samples`` draws), ``"iwae"`` (minus the
        importance-weighted bound with ``n_samples`` samples; the tightest estimate of
        ``-log p(x)``) or ``"recon"`` (reconstruction from the posterior mean).
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
    data_kind
        ``"auto"`` (arrays with more than 2 dimensions are images), ``"tabular"`` or
        ``"image"``.
    n_models
        VAEs in the ensemble, each trained like a single detector with its own seed
        (``random_state + i``); the score is the mean of their scores. Fitting and
        scoring cost ``n_models`` times one model.
    random_state
        Seeds the initialisation, the training batches and the scoring draws: the same
        input always gets the same scores.
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``.
    verbose
        Show the training progress bar.
    """

    def __init__(
        self,
        contamination: float = 0.1,
        score: str = "elbo",
        latent_dim: int | None = None,
        hidden: list[int] | None = None,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float = 1e-3,
        beta: float = 1.0,
        n_samples: int = 16,
        n_models: int = 1,
        data_kind: str = "auto",
        random_state: int = 0,
        device: str = "auto",
        verbose: bool = False,
    ) -> None:
        self.contamination = contamination
        self.score = score
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

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> VAEDetector:
        """Fit the VAE to ``X`` (``y`` is ignored: the detector is unsupervised)."""
        self._check_params()
        arr = as_features(X)
        kind = self.data_kind
        if kind == "auto":
            kind = "image" if arr.ndim > 2 else "tabular"
        if kind == "image" and (arr.min() < 0 or arr.max() > 1):
            raise DataError(
                "X: image data must lie in [0, 1] (divide 8-bit images by 255), or pass "
                "data_kind='tabular'"
            )
        if kind == "tabular" and arr.ndim != 2:
            raise DataError(f"X: tabular data must be (samples, features), got {arr.shape}")
        n = arr.shape[0]
        if n < 2:
            raise DataError("X: need at least 2 rows to fit a detector")
        self.data_kind_ = kind
        self.n_features_in_ = int(np.prod(arr.shape[1:]))
        self.input_shape_ = tuple(int(s) for s in arr.shape[1:])
        if kind == "tabular":
            self.mean_ = arr.mean(0)
            scale = arr.std(0)
            self.scale_ = np.where(scale > 1e-12, scale, 1.0)
        else:
            self.mean_ = self.scale_ = None
        x = self._prepare(arr)
        d = self.n_features_in_
        latent = self.latent_dim or (16 if kind == "image" else int(np.clip(d // 2, 2, 16)))
        width = int(np.clip(2 * d, 32, 256))
        hidden = list(self.hidden) if self.hidden else ([512, 256] if kind == "image" else
                                                        [width, width])  # fmt: skip
        batch = self.batch_size or int(np.clip(n // 20, 32, 256))
        batch = min(batch, n)
        epochs = self.epochs or int(
            np.clip(math.ceil(TARGET_STEPS / math.ceil(n / batch)), 10, 500)
        )
        device = resolve_device(self.device)
        label = "fitting the detector's VAE" + ("s" if self.n_models > 1 else "")
        with epoch_bar(label, epochs * self.n_models, self.verbose) as (console, advance):
            models = [
                self._fit_one(x, kind, latent, hidden, epochs, batch, device,
                              self.random_state + i, console, advance)  # fmt: skip
                for i in range(self.n_models)
            ]
        self.models_ = models
        self.model_ = models[0]
        self.epochs_, self.batch_size_ = epochs, batch
        self.decision_scores_ = self._score(x)
        self.threshold_ = float(np.quantile(self.decision_scores_, 1.0 - self.contamination))
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(int)
        return self

    def _fit_one(
        self,
        x: torch.Tensor,
        kind: str,
        latent: int,
        hidden: list[int],
        epochs: int,
        batch: int,
        device: torch.device,
        seed: int,
        console: Console,
        on_epoch: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            model = create_model(
                "vae",
                input_shape=self.input_shape_,
                latent_dim=latent,
                hidden=hidden,
                activation="relu",
                likelihood="bernoulli" if kind == "image" else "gaussian-learned-dim",
                beta=self.beta,
            )
            if kind == "image":
                model.init_output_bias(x.mean(0))
            bundle = DataBundle("anomaly", Split(x), None, None, self.input_shape_)
            cfg = TrainConfig(epochs=epochs, batch_size=batch, lr=self.lr, device=str(device),
                              seed=seed)  # fmt: skip
            Trainer(model, bundle, cfg, None, quiet=True, console=console, on_epoch=on_epoch,
                    collapse_advice=COLLAPSE_ADVICE).fit()  # fmt: skip
        return model.eval()

    def _check_params(self) -> None:
        if not 0 < self.contamination <= 0.5:
            raise ConfigError(f"contamination must be in (0, 0.5], got {self.contamination}")
        if self.score not in SCORES:
            raise ConfigError(f"unknown score {self.score!r}; choose one of {', '.join(SCORES)}")
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
        scores = [
            anomaly_scores(m, x, self.score, self.n_samples, self.random_state + i)
            for i, m in enumerate(self.models_)
        ]
        return np.mean(scores, axis=0)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this VAEDetector is not fitted yet; call fit(X) first")

    def decision_function(self, X: Any) -> np.ndarray:
        """Anomaly score of each row, ``(N,)``: higher = more anomalous (deterministic)."""
        self._check_fitted()
        arr = as_features(X)
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
    def save(self, directory: str | Path) -> Path:
        """Write the fitted detector to ``directory``: the VAE as ``model.json`` +
        ``model.safetensors``, the settings in ``detector.json`` and the standardization
        and training scores in ``detector.safetensors``. No pickle."""
        self._check_fitted()
        directory = Path(directory)
        save_model(self.models_[0], directory)
        for i, member in enumerate(self.models_[1:], 1):
            save_model(member, directory / f"member-{i}")
        tensors = {"decision_scores": torch.from_numpy(self.decision_scores_)}
        if self.data_kind_ == "tabular":
            tensors["mean"] = torch.from_numpy(np.asarray(self.mean_, dtype=np.float64))
            tensors["scale"] = torch.from_numpy(np.asarray(self.scale_, dtype=np.float64))
        save_tensors(directory / DETECTOR_TENSORS, tensors)
        meta = {
            "params": self.get_params(),
            "data_kind": self.data_kind_,
            "input_shape": list(self.input_shape_),
            "threshold": self.threshold_,
            "epochs": self.epochs_,
            "batch_size": self.batch_size_,
        }
        atomic_write_text(directory / DETECTOR_JSON, json.dumps(meta, indent=2))
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> VAEDetector:
        """A detector saved by :meth:`save`, ready to score."""
        directory = Path(directory)
        path = directory / DETECTOR_JSON
        try:
            meta = json.loads(path.read_text())
            det = cls(**meta["params"])
            det.data_kind_ = meta["data_kind"]
            det.input_shape_ = tuple(int(s) for s in meta["input_shape"])
            det.threshold_ = float(meta["threshold"])
            det.epochs_, det.batch_size_ = int(meta["epochs"]), int(meta["batch_size"])
        except FileNotFoundError:
            raise ModelFileError(f"{path}: not found (is {directory} a saved detector?)") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: bad detector settings ({e})") from None
        tensors, _ = load_tensors(directory / DETECTOR_TENSORS)
        if "decision_scores" not in tensors or (det.data_kind_ == "tabular") != (
            "mean" in tensors and "scale" in tensors
        ):
            raise ModelFileError(f"{directory / DETECTOR_TENSORS}: missing detector tensors")
        det.decision_scores_ = tensors["decision_scores"].numpy()
        det.mean_ = tensors["mean"].numpy() if "mean" in tensors else None
        det.scale_ = tensors["scale"].numpy() if "scale" in tensors else None
        det.n_features_in_ = int(np.prod(det.input_shape_))
        det.labels_ = (det.decision_scores_ > det.threshold_).astype(int)
        det.device = device
        dev = resolve_device(device)
        det.models_ = [load(directory, device=dev)] + [
            load(directory / f"member-{i}", device=dev) for i in range(1, det.n_models)
        ]
        det.model_ = det.models_[0]
        return det
