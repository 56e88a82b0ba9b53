"""``VAEEstimator``: the one base of vaekit's estimators (detector, imputer, synthesizer,
recommender, ...), on scikit-learn's ``BaseEstimator``.

What the base gives every estimator:

- scikit-learn conventions: parameters only in ``__init__`` (``get_params``/``set_params``/
  ``clone`` work), fitted attributes ending in ``_``, :meth:`_check_fitted` raising
  ``NotFittedError`` through ``check_is_fitted``, ``n_features_in_`` / ``feature_names_in_``
  recorded at fit and checked on every later call (:meth:`_check_features`);
- the run directory: ``save(path)`` / ``load(path)`` write and read the same kind of
  directory every fit leaves (``run.json`` with the estimator's kind, ``estimator.json``
  with a format tag, the parameters and the fitted state, tensors in safetensors, each
  model as ``model.json`` + ``model.safetensors``); a directory of another kind is refused
  in one line naming it;
- exact resume: ``fit(X, out=RUN)`` keeps checkpoints in ``RUN`` and
  ``resume(RUN)`` continues from the last one, ending bit-identical to an uninterrupted fit
  (CPU, fixed threads).

Subclasses set :attr:`run_kind`, implement ``fit`` (calling :meth:`_begin_run`,
:func:`vaekit.estimators.fitting.train_model` and :meth:`_end_run`), and the state hooks
:meth:`_state` / :meth:`_restore` / :meth:`_fitted_models`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_feature_names, _check_n_features, check_is_fitted

from vaekit._tempfiles import atomic_write_text
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.io.model_io import load as load_model
from vaekit.io.model_io import save_model
from vaekit.io.run import RUN_JSON, Run, run_kind, write_run_json
from vaekit.io.run_dir import claim_run_dir
from vaekit.io.run_info import a_kind
from vaekit.io.safe import load_tensors, save_tensors

ESTIMATOR_JSON = "estimator.json"
ESTIMATOR_TENSORS = "estimator.safetensors"
#: parameters that may differ between a fit and its resumption (where and how it shows)
RUNTIME_PARAMS = ("device", "verbose")


class VAEEstimator(BaseEstimator):
    """Base class of vaekit's estimators (abstract: subclasses implement ``fit``).

    Subclass contract
    -----------------
    run_kind
        The kind written to ``run.json`` (one of :data:`vaekit.io.run.KINDS`).
    _state() -> (dict, dict)
        The fitted state beyond the models: JSON-serialisable values and arrays/tensors.
    _restore(state, tensors, directory, device)
        The inverse of ``_state``; also rebuilds the models (see :meth:`_load_models`).
    _fitted_models() -> list
        The fitted models, saved as ``model.json`` + ``model.safetensors`` (the first in
        the run directory, the others in ``member-1/``, ``member-2/``, ...).
    """

    run_kind: ClassVar[str] = ""

    # ------------------------------------------------------------------ fitted state
    def _check_fitted(self) -> None:
        """Raise ``NotFittedError`` (scikit-learn's) unless ``fit`` has run."""
        check_is_fitted(self)

    def _check_features(self, X: Any, arr: np.ndarray, reset: bool) -> None:
        """Record (``reset=True``, in fit) or check ``n_features_in_`` and
        ``feature_names_in_`` as scikit-learn does; ``arr`` is ``X`` as an array."""
        try:
            _check_feature_names(self, X, reset=reset)
            _check_n_features(self, arr.reshape(len(arr), -1) if arr.ndim > 2 else arr,
                              reset=reset)  # fmt: skip
        except ValueError as e:  # scikit-learn's wording, as vaekit's one-line DataError
            raise DataError(str(e)) from None

    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        raise NotImplementedError

    def _restore(
        self, state: dict[str, Any], tensors: dict[str, Any], directory: Path, device: str
    ) -> None:
        raise NotImplementedError

    def _fitted_models(self) -> list[Any]:
        return []

    # ------------------------------------------------------------------ run directories
    def _params_for_file(self) -> dict[str, Any]:
        return _jsonable(self.get_params(deep=False))

    def _begin_run(self, out: str | Path | None, fingerprint: str, resume: bool) -> Path | None:
        """Start (or, with ``resume``, check and continue) the run directory ``out``.

        A fresh start needs ``out`` empty or absent (a directory left by a fit stopped
        before its first checkpoint is started over); resuming needs the same kind,
        parameters (apart from :data:`RUNTIME_PARAMS`) and data (``fingerprint``).
        """
        if out is None:
            if resume:
                raise ConfigError("resume=True needs the run directory (out=...)")
            return None
        out = Path(out)
        meta_path = out / ESTIMATOR_JSON
        state = self.get_params(deep=False).get("random_state")
        if not isinstance(state, (int, np.integer)) or isinstance(state, bool):
            raise ConfigError(f"fit(..., out=...) keeps a run that resumes exactly: give an "
                              f"integer random_state (got {type(state).__name__})")  # fmt: skip
        if resume:
            Run.open(out, self.run_kind)
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, json.JSONDecodeError) as e:
                raise ConfigError(f"{meta_path}: cannot resume from it ({e})") from None
            stored = {k: v for k, v in meta.get("params", {}).items() if k not in RUNTIME_PARAMS}
            mine = {k: v for k, v in self._params_for_file().items() if k not in RUNTIME_PARAMS}
            if stored != mine:
                diff = sorted(k for k in {*stored, *mine} if stored.get(k) != mine.get(k))
                raise ConfigError(f"{out} was started with other settings ({', '.join(diff)}); "
                                  "resume it with the settings in its estimator.json")  # fmt: skip
            if meta.get("data_sha256") not in (None, fingerprint):
                raise ConfigError(f"{out} was started on other data (the rows differ); "
                                  "resume it with the data it was started on")  # fmt: skip
            return out
        # a fit stopped before its first checkpoint starts over; the run.json the command
        # line wrote (where the data came from) stays
        claim_run_dir(out, "resume it or choose another", keep=(RUN_JSON,))
        out.mkdir(parents=True, exist_ok=True)
        write_run_json(out, self.run_kind)
        meta = {"format": self._format(), "params": self._params_for_file(),
                "data_sha256": fingerprint, "state": None}  # fmt: skip
        atomic_write_text(meta_path, json.dumps(meta, indent=2))
        return out

    def _end_run(self, out: Path | None) -> None:
        """Save the fitted estimator into its run directory (when it has one)."""
        if out is not None:
            self.save(out)

    @classmethod
    def _format(cls) -> str:
        return f"vaekit-{cls.run_kind}/2"

    def save(self, path: str | Path) -> Path:
        """Write the fitted estimator as a run directory at ``path`` (no pickle).

        ``run.json`` (kind), ``estimator.json`` (format tag, parameters, fitted state),
        ``estimator.safetensors`` (arrays) and the models (``model.json`` +
        ``model.safetensors``). Returns ``path``.
        """
        self._check_fitted()
        path = Path(path)
        kind = run_kind(path)
        if kind not in (None, self.run_kind):
            raise ConfigError(f"{path} holds {a_kind(kind)}; save the {type(self).__name__} "
                              "elsewhere")  # fmt: skip
        path.mkdir(parents=True, exist_ok=True)
        state, tensors = self._state()
        for key in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, key):
                value = getattr(self, key)
                state[key] = [str(v) for v in value] if key == "feature_names_in_" else int(value)
        models = self._fitted_models()
        for i, model in enumerate(models):
            save_model(model, path if i == 0 else path / f"member-{i}")
        if tensors:
            import torch

            save_tensors(path / ESTIMATOR_TENSORS,
                         {k: v if isinstance(v, torch.Tensor) else torch.from_numpy(
                             np.ascontiguousarray(v)) for k, v in tensors.items()})  # fmt: skip
        previous = _read_json(path / ESTIMATOR_JSON) if (path / ESTIMATOR_JSON).is_file() else {}
        if not isinstance(previous, dict) or previous.get("format") != self._format():
            previous = {}
        meta = {"format": self._format(), "params": self._params_for_file(),
                "data_sha256": previous.get("data_sha256"), "state": _jsonable(state)}  # fmt: skip
        write_run_json(path, self.run_kind)
        atomic_write_text(path / ESTIMATOR_JSON, json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Any:
        """An estimator saved by :meth:`save` (or fitted with ``out=``), ready to use.

        Raises
        ------
        ConfigError
            ``path`` is not a run directory, or one of another kind (named).
        ModelFileError
            A damaged ``estimator.json`` or missing tensors/models (the file is named).
        """
        path = Path(path)
        run = Run.open(path, cls.run_kind)
        if run.format == "vaekit-run/0":
            return cls._load_legacy(path, device)
        meta_path = path / ESTIMATOR_JSON
        meta = _read_json(meta_path)
        if not isinstance(meta, dict) or meta.get("format") != cls._format():
            raise ModelFileError(f"{meta_path}: not a {cls.__name__} file (format "
                                 f"{meta.get('format') if isinstance(meta, dict) else None!r})")
        if meta.get("state") is None:
            raise ModelFileError(f"{path}: the fit did not finish; continue it with "
                                 f"'vaekit resume {path}'")  # fmt: skip
        try:
            est = cls(**meta["params"])
        except TypeError as e:
            raise ModelFileError(f"{meta_path}: bad parameters ({e})") from None
        if "device" in est.get_params(deep=False):
            est.set_params(device=device)
        tensors: dict[str, Any] = {}
        if (path / ESTIMATOR_TENSORS).is_file():
            tensors, _ = load_tensors(path / ESTIMATOR_TENSORS)
        state = dict(meta["state"])
        for key in ("n_features_in_", "feature_names_in_"):
            if key in state:
                value = state.pop(key)
                setattr(est, key, np.asarray(value, dtype=object) if key ==
                        "feature_names_in_" else int(value))  # fmt: skip
        try:
            est._restore(state, tensors, path, device)
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{meta_path}: bad fitted state ({e})") from None
        return est

    @classmethod
    def _load_legacy(cls, path: Path, device: str) -> Any:
        raise ModelFileError(f"{path}: written by an older vaekit in a format this "
                             f"{cls.__name__} cannot read")  # fmt: skip

    @staticmethod
    def _load_models(directory: Path, count: int, device: Any) -> list[Any]:
        """The ``count`` models saved by :meth:`save` in ``directory``."""
        return [load_model(directory if i == 0 else directory / f"member-{i}", device=device)
                for i in range(count)]  # fmt: skip

    @classmethod
    def resume(cls, path: str | Path, X: Any = None, **runtime: Any) -> Any:
        """Continue the fit whose run directory is ``path`` from its last checkpoint.

        ``X`` is the training data; ``None`` reads it again from where the command line
        fit read it (``run.json``'s ``data``). ``runtime`` may set :data:`RUNTIME_PARAMS`
        (``device``, ``verbose``). Returns the fitted estimator.
        """
        path = Path(path)
        run = Run.open(path, cls.run_kind)
        meta = _read_json(path / ESTIMATOR_JSON)
        if not isinstance(meta, dict) or "params" not in meta:
            raise ConfigError(f"{path / ESTIMATOR_JSON}: no parameters to resume the fit from")
        unknown = set(runtime) - set(RUNTIME_PARAMS)
        if unknown:
            raise ConfigError(f"resume can change only {', '.join(RUNTIME_PARAMS)}; "
                              f"got {', '.join(sorted(unknown))}")  # fmt: skip
        est = cls(**{**meta["params"], **runtime})
        if X is None:
            source = run.info.get("data")
            if not source:
                raise ConfigError(f"{path}: the data it was fitted on is not recorded (a fit "
                                  f"from Python); pass it: {cls.__name__}.resume(path, X)")
            X = est._read_source(source)
        return est.fit(X, out=path, resume=True)

    def _read_source(self, source: dict[str, Any]) -> Any:
        """The training data again, from ``run.json``'s ``data`` record."""
        raise ConfigError(f"{type(self).__name__} cannot read its data again from {source!r}")


def fingerprint(*arrays: Any) -> str:
    """A sha256 over the arrays' shapes, dtypes and bytes (the data a fit was started on)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        h.update(f"{a.shape}{a.dtype.str}".encode())
        h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFileError(f"{path}: not found") from None
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: invalid JSON ({e})") from None


def _jsonable(value: Any) -> Any:
    """``value`` with tuples as lists and NumPy scalars/arrays as Python values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return None  # a generator's state is not kept: the fitted state has the drawn seed
    return value
