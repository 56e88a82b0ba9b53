"""``Recommender``: fit a recommender to an interaction log under the strong-generalization
protocol, evaluate it, and recommend items to known or new users."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.config import TrainConfig
from vaekit.data.interactions import (
    ClickMatrix,
    InteractionLog,
    click_matrix,
    rated_matrix,
    read_interactions,
    resolve_min_rating,
)
from vaekit.data.sparse_rows import SparseRows
from vaekit.data.strong_split import StrongSplit, strong_split
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.estimators.base import VAEEstimator, fingerprint
from vaekit.estimators.deprecation import (
    RenamedSeedAndParams,
    renamed_out,
    renamed_seed,
    warn_renamed,
)
from vaekit.estimators.fitting import FitProgress, draw_seed, seeded, train_model
from vaekit.io.run import Run
from vaekit.models import create_model
from vaekit.recsys.baselines import EASE, EASE_LAMBDAS, Popularity
from vaekit.recsys.files import (
    read_v1,
    seen_from_tensors,
    seen_tensors,
    split_from_tensors,
    split_tensors,
)
from vaekit.recsys.protocol import evaluate_users, model_scores
from vaekit.recsys.titles import item_file, read_item_titles
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar
from vaekit.train.selection import Selection

MODELS = ("mult-vae", "mult-dae", "ease", "popularity")
NEURAL = ("mult-vae", "mult-dae")
#: the posterior-collapse hint in the options of ``vaekit recommend fit`` and the estimator
RECSYS_ADVICE = "Try a smaller --anneal-cap or --latent-dim (Recommender(anneal_cap=...))"
#: what a run saved before the rated items were kept leaves out for a known user
SEEN_FALLBACK = ("this recommender was fitted before every rated item was kept: only the "
                 "items it counted as clicks are left out (items rated below its threshold may "
                 "be recommended); fit it again to leave out everything a user rated")


class Recommender(RenamedSeedAndParams, VAEEstimator):
    """Top-k recommendation from implicit feedback (Liang et al. 2018's protocol).

    ``fit(log)`` binarizes the log, splits its users into training, validation and test
    users (:func:`~vaekit.data.strong_split.strong_split`), trains on the training users
    and selects on the validation users' NDCG@100 (epochs for ``mult-vae``/``mult-dae``,
    lambda for ``ease``). ``evaluate()`` ranks the test users' held-out items.
    ``recommend(user_or_items, k)`` returns the top ``k`` unseen items of a known user
    (every item the user has in the log, whatever its rating, is seen) or of a new user
    given by a few items.

    Parameters
    ----------
    model
        The model's name: ``mult-vae`` (default), ``mult-dae``, ``ease`` or ``popularity``
        (the fitted model is :attr:`model_`).
    epochs, batch_size, lr
        Training of the neural models (the paper: 200 epochs, batch 500, Adam 1e-3).
    latent_dim, hidden, dropout
        Network shape (defaults: the paper's for each model, ``None``).
    anneal_cap, total_anneal_steps
        Mult-VAE's KL weight: linear from 0 to ``anneal_cap`` over ``total_anneal_steps``
        updates (the paper: 0.2 over 200,000).
    l2
        Weight penalty (default: 0 for Mult-VAE, ``0.01 / batch_size`` for Mult-DAE).
    early_stopping
        Stop after this many epochs without a better validation NDCG@100 (0: never).
    ease_lambdas
        The EASE penalties tried on the validation users.
    min_rating, min_user_items
        Binarization of a log with ratings: keep ``rating >= min_rating``; ``"auto"``
        (default) is Mult-VAE's protocol, 4 stars and up when the ratings are stars (0-5),
        every row otherwise (see :func:`~vaekit.data.interactions.resolve_min_rating`);
        ``None`` keeps every row. And the fewest items a user needs.
    heldout_users, heldout_fraction, random_state
        The split: validation users and as many test users (default 10% each), the share
        of each held-out user's items to rank, and the seed of both draws and of the
        training (the paper's 98765): an integer (needed for exact resume), ``None`` or a
        ``numpy.random.RandomState`` (a seed is drawn from it). ``seed=`` is a deprecated
        alias.
    device, verbose
        ``auto``/``cpu``/``cuda``; show training progress.

    Attributes
    ----------
    model_
        The fitted model: a ``mult-vae``/``mult-dae`` network, :class:`EASE` or
        :class:`Popularity`.
    split_
        The :class:`~vaekit.data.strong_split.StrongSplit` fitted on.
    n_features_in_
        The number of items (the columns of :meth:`score`).
    min_rating_
        The rating threshold applied (``None``: every interaction was a click).
    seen_
        Every item each user of :attr:`split_` rated in the log, whatever the rating:
        ``(U, I)`` 0/1 CSR, left out of :meth:`recommend`; ``None`` for a recommender
        saved before it was kept (its clicks stand in, with a warning).
    item_titles_
        ``{item id: title}`` from the item file beside the log (MovieLens' ``u.item``,
        ``movies.dat``, ``movies.csv`` or ``NAME.item``); empty when there is none.
    val_scores_, fit_seconds_
        Validation NDCG@100 (and best epoch, or per lambda) and the seconds of the fit.
    """

    run_kind = "recommender"

    def __init__(
        self,
        model: str = "mult-vae",
        epochs: int = 200,
        batch_size: int = 500,
        lr: float = 1e-3,
        latent_dim: int | None = None,
        hidden: Sequence[int] | None = None,
        dropout: float = 0.5,
        anneal_cap: float = 0.2,
        total_anneal_steps: int = 200_000,
        l2: float | None = None,
        early_stopping: int = 0,
        ease_lambdas: Sequence[float] = EASE_LAMBDAS,
        min_rating: float | str | None = "auto",
        min_user_items: int = 5,
        heldout_users: int | None = None,
        heldout_fraction: float = 0.2,
        random_state: int = 98765,
        device: str = "auto",
        verbose: bool = False,
        **deprecated: Any,
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.dropout = dropout
        self.anneal_cap = anneal_cap
        self.total_anneal_steps = total_anneal_steps
        self.l2 = l2
        self.early_stopping = early_stopping
        self.ease_lambdas = ease_lambdas
        self.min_rating = min_rating
        self.min_user_items = min_user_items
        self.heldout_users = heldout_users
        self.heldout_fraction = heldout_fraction
        self.random_state = renamed_seed(type(self), random_state, deprecated)
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ deprecated names
    @property
    def model_name(self) -> str:
        """Deprecated: use ``model``."""
        warn_renamed("Recommender.model_name", "model")
        return self.model

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"unknown recommender model {self.model!r}; choose one of "
                              f"{', '.join(MODELS)}")  # fmt: skip
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        mr = self.min_rating
        if not (mr is None or mr == "auto" or (isinstance(mr, (int, float, np.number))
                                              and not isinstance(mr, bool))):  # fmt: skip
            raise ConfigError(f"min_rating must be a number, None or 'auto', got {mr!r}")
        rs = self.random_state
        if not (rs is None or isinstance(rs, np.random.RandomState) or (isinstance(
                rs, (int, np.integer)) and not isinstance(rs, bool) and rs >= 0)):
            raise ConfigError(f"random_state must be a non-negative integer seed, None or a "
                              f"numpy RandomState, got {rs!r}")  # fmt: skip

    def _log(self, data: Any) -> InteractionLog | None:
        """``data`` as an interaction log (``None`` for clicks or a split)."""
        if isinstance(data, (ClickMatrix, StrongSplit)):
            return None
        if isinstance(data, (str, Path)):
            data = read_interactions(data)
        if not isinstance(data, InteractionLog):
            raise DataError("fit takes a log file path, an InteractionLog, a ClickMatrix or a "
                            f"StrongSplit, got {type(data).__name__}")  # fmt: skip
        return data

    def _split(
        self, data: Any, log: InteractionLog | None, threshold: float | None, seed: int
    ) -> StrongSplit:
        if isinstance(data, StrongSplit):
            return data
        clicks = data if log is None else click_matrix(log, threshold, self.min_user_items)
        return strong_split(clicks, self.heldout_users, self.heldout_fraction, seed)

    def _fit_items(self, split: StrongSplit, log: InteractionLog | None) -> None:
        """Each user's rated items and the items' titles, from ``log``."""
        self.seen_ = split.clicks if log is None else rated_matrix(log, split.users,
                                                                   split.items)  # fmt: skip
        self.item_titles_ = {}
        where = item_file(log.source) if log is not None else None
        if where is not None:
            try:
                titles = read_item_titles(where)
            except DataError as e:
                warnings.warn(f"no item titles: {e}", UserWarning, stacklevel=3)
                titles = {}
            self.item_titles_ = {str(i): titles[str(i)] for i in split.items
                                 if str(i) in titles}  # fmt: skip

    def fit(
        self,
        data: Any,
        y: Any = None,
        out: str | Path | None = None,
        resume: bool = False,
        run_dir: str | Path | None = None,
    ) -> Recommender:
        """Split ``data`` and fit on its training users (see the class docstring).

        Parameters
        ----------
        data
            A log path, an :class:`InteractionLog`, a :class:`ClickMatrix` or a
            :class:`StrongSplit`.
        y
            Ignored (scikit-learn's ``fit(X, y)``: the fit is unsupervised).
        out
            A run directory: ``run.json`` and ``estimator.json`` are written at the start,
            checkpoints and ``metrics.jsonl`` while training, and the fitted recommender at
            the end (as :meth:`save` does). The split is a function of the data and the
            parameters, so a resumed fit rebuilds it (and refuses other data).
        resume
            Continue the fit in ``out`` from its last checkpoint; see also :meth:`resume`.
        run_dir
            Deprecated alias of ``out``.
        """
        if isinstance(y, (str, Path)):
            raise ConfigError("fit(data, y, out=...): give the run directory as out=")
        out = renamed_out(out, run_dir)
        self._validate_params()
        start = time.perf_counter()
        seed = draw_seed(self.random_state)
        log = self._log(data)
        threshold = None if log is None else resolve_min_rating(log, self.min_rating)
        split = self._split(data, log, threshold, seed)
        users, items = _ids(split)
        run = self._begin_run(out, fingerprint(users, items, *split_tensors(split).values()),
                              resume)  # fmt: skip
        val_scores: dict[str, Any] = {}
        epochs_run = None
        if self.model == "popularity":
            model: Any = Popularity().fit(split.train)
        elif self.model == "ease":
            model = EASE()
            found = model.fit_select(split.train, split.fold_in("val"), split.heldout("val"),
                                     [float(v) for v in self.ease_lambdas])  # fmt: skip
            val_scores = {f"lambda={k:g}": v for k, v in found.items()}
        else:
            model, epochs_run, val_scores = self._fit_neural(split, run, resume, seed)
        self.model_, self.split_, self.val_scores_ = model, split, val_scores
        self.min_rating_ = threshold
        self._fit_items(split, log)
        if epochs_run is not None:
            self.epochs_run_ = epochs_run
        self.n_features_in_ = len(split.items)
        self._index = self._uindex = None
        self.fit_seconds_ = time.perf_counter() - start
        self._end_run(run)
        return self

    def _fit_neural(
        self, split: StrongSplit, run: Path | None, resume: bool, seed: int
    ) -> tuple[Any, int, dict[str, Any]]:
        device = resolve_device(self.device)
        n_items = len(split.items)
        kwargs: dict[str, Any] = {"n_items": n_items, "dropout": self.dropout}
        if self.latent_dim is not None:
            kwargs["latent_dim"] = int(self.latent_dim)
        if self.hidden is not None:
            kwargs["hidden"] = [int(h) for h in self.hidden]
        if self.model == "mult-vae":
            kwargs.update(anneal_cap=self.anneal_cap, total_anneal_steps=self.total_anneal_steps,
                          l2=0.0 if self.l2 is None else self.l2)  # fmt: skip
        else:
            kwargs["l2"] = 0.01 / self.batch_size if self.l2 is None else self.l2
        train = split.train
        n_train = train.shape[0]  # type: ignore[attr-defined]
        steps_per_epoch = math.ceil(n_train / self.batch_size)
        vae = self.model == "mult-vae"
        cfg = TrainConfig(epochs=int(self.epochs), batch_size=int(self.batch_size), lr=self.lr,
                          device=str(device), seed=seed,
                          early_stopping=int(self.early_stopping),
                          kl_schedule="linear" if vae else "constant",
                          warmup_epochs=self.total_anneal_steps / steps_per_epoch if vae
                          else 0.0)  # fmt: skip

        def val_ndcg(model: Any) -> float:
            scores = evaluate_users(lambda x: model_scores(model, x), split, "val",
                                    metrics=("ndcg@100",))  # fmt: skip
            return float(scores["ndcg@100"])

        with seeded(seed, device):
            model = create_model(self.model, **kwargs)
            with epoch_bar(f"fitting {self.model}", cfg.epochs, self.verbose) as (console, adv):
                result = train_model(model, SparseRows.from_scipy(train), cfg,
                                     FitProgress(console, adv), collapse_advice=RECSYS_ADVICE,
                                     run_dir=run, resume=resume,
                                     selection=Selection("ndcg@100", val_ndcg),
                                     name="clicks")  # fmt: skip
        history = [r["val_ndcg@100"] for r in _records(run, result.history)]
        val_scores: dict[str, Any] = {}
        if history:
            best = int(np.argmax(history))
            val_scores = {"ndcg@100": float(history[best]), "best_epoch": best + 1}
        return model, result.epochs, val_scores

    def _read_source(self, source: dict[str, Any]) -> Any:
        """The interaction log again, from ``run.json``'s ``data`` record.

        Keys: ``path`` (the log file, or MovieLens directory, the fit read; for
        ``--dataset`` the resolved copy), ``dataset`` (optional, e.g. ``"ml-100k"``: only
        recorded) and ``columns`` (optional ``{"user": ..., "item": ..., "rating": ...}``,
        column names or 0-based indices as given to
        :func:`~vaekit.data.interactions.read_interactions`).
        """
        if not isinstance(source, dict) or "path" not in source:
            raise ConfigError(f"cannot read the recommender's data again from {source!r} "
                              "(expected a record with 'path')")  # fmt: skip
        cols = source.get("columns") or {}
        return read_interactions(source["path"], cols.get("user"), cols.get("item"),
                                 cols.get("rating"))  # fmt: skip

    # ------------------------------------------------------------------ scoring
    def _fitted_split(self) -> StrongSplit:
        self._check_fitted()
        return self.split_

    def score(self, clicks: Any) -> np.ndarray:
        """Scores ``(U, I)`` of every item (columns in :attr:`items` order) for users given
        by their clicks: a ``(U, I)`` sparse or dense 0/1 matrix, or a list of item-id lists.
        Seen items are not masked (see :meth:`recommend`)."""
        from scipy import sparse

        self._fitted_split()
        if isinstance(clicks, (list, tuple)) and (not clicks or not sparse.issparse(clicks)):
            clicks = self._rows_of_items(clicks)
        m = clicks.tocsr() if sparse.issparse(clicks) else sparse.csr_matrix(
            np.asarray(clicks, dtype=np.float32))  # fmt: skip
        if m.shape[1] != self.n_features_in_:
            raise DataError(f"expected {self.n_features_in_} item columns (n_features_in_), "
                            f"got {m.shape[1]}")  # fmt: skip
        if self.model in NEURAL:
            return model_scores(self.model_, m.astype(np.float32))
        return self.model_.scores(m)

    @property
    def items(self) -> np.ndarray:
        """The item ids, in column order."""
        return self._fitted_split().items

    def _rows_of_items(self, lists: Sequence[Sequence[Any]]) -> Any:
        from scipy import sparse

        split = self._fitted_split()
        index = self._item_index()
        rows, cols = [], []
        for r, items in enumerate(lists):
            if isinstance(items, (str, int, np.integer)):
                raise DataError("give each user's items as a list (a list of lists)")
            ids = [str(i) for i in items]
            if not ids:
                raise DataError(f"user {r} has no items: give at least one item id")
            unknown = [i for i in ids if i not in index]
            if unknown:
                raise DataError(f"unknown item id(s) {', '.join(unknown[:5])}: not among the "
                                f"{len(index)} items of the training users")  # fmt: skip
            cols += [index[i] for i in ids]
            rows += [r] * len(ids)
        m = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                              shape=(len(lists), len(split.items)))  # fmt: skip
        m.data[:] = 1.0
        return m

    def _item_index(self) -> dict[str, int]:
        if getattr(self, "_index", None) is None:
            self._index = {str(v): j for j, v in enumerate(self._fitted_split().items)}
        return self._index

    def _user_index(self) -> dict[str, int]:
        if getattr(self, "_uindex", None) is None:
            self._uindex = {str(v): j for j, v in enumerate(self._fitted_split().users)}
        return self._uindex

    def recommend(
        self, user_or_items: Any, k: int = 10, exclude_seen: bool = True
    ) -> list[tuple[str, float]]:
        """The top ``k`` items as ``(item id, score)`` pairs, best first.

        Parameters
        ----------
        user_or_items
            A user id of the log (a ``str`` or ``int``: the user's clicks are folded in),
            or a list of item ids (a new user who clicked them).
        k
            How many items.
        exclude_seen
            Leave out the items the user has seen: for a known user every item rated in
            the log, whatever the rating (:attr:`seen_`), also those below the click
            threshold; for a new user the items given. ``False`` ranks every item.
        """
        split = self._fitted_split()
        if not (isinstance(k, (int, np.integer)) and k >= 1):
            raise ConfigError(f"k must be a positive integer, got {k!r}")
        if isinstance(user_or_items, (str, int, np.integer)):
            uid = str(user_or_items)
            row = self._user_index().get(uid)
            if row is None:
                raise DataError(f"unknown user {uid!r}: not among the {len(split.users)} users "
                                "of the log (give a new user's items instead)")  # fmt: skip
            x = split.clicks[[row]]  # type: ignore[index]
            if x.nnz == 0:  # type: ignore[attr-defined]
                raise DataError(f"user {uid!r} has no items among the training users' items")
            seen = self._seen_row(row, x) if exclude_seen else x
        else:
            x = seen = self._rows_of_items([list(user_or_items)])
        s = self.score(x)[0]
        if exclude_seen:
            s[seen.indices] = -np.inf  # type: ignore[attr-defined]
        k = min(int(k), int(np.isfinite(s).sum()))
        top = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
        top = top[np.argsort(-s[top], kind="stable")][:k]
        return [(str(split.items[j]), float(s[j])) for j in top]

    def _seen_row(self, row: int, clicks: Any) -> Any:
        """The items user ``row`` has seen: from :attr:`seen_`, else (a recommender saved
        before it was kept) ``clicks``, with a warning the first time."""
        seen = getattr(self, "seen_", None)
        if seen is not None:
            return seen[[row]]
        if not getattr(self, "_warned_seen", False):
            self._warned_seen = True
            warnings.warn(SEEN_FALLBACK, UserWarning, stacklevel=3)
        return clicks

    def title(self, item: Any) -> str | None:
        """The title of ``item`` (from :attr:`item_titles_`), ``None`` when unknown."""
        self._fitted_split()
        return (getattr(self, "item_titles_", None) or {}).get(str(item))

    def evaluate(self, role: str = "test") -> dict[str, Any]:
        """NDCG@100, Recall@20 and Recall@50 (means and standard errors) on the ``test``
        (or ``val``) users of the fit's split."""
        split = self._fitted_split()
        return evaluate_users(self.score, split, role)

    # ------------------------------------------------------------------ files
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        split = self.split_
        state = {"users": [str(u) for u in split.users], "items": [str(i) for i in split.items],
                 "fit_seconds": getattr(self, "fit_seconds_", None),
                 "validation": self.val_scores_,
                 "epochs_run": getattr(self, "epochs_run_", None),
                 "min_rating": getattr(self, "min_rating_", None),
                 "item_titles": getattr(self, "item_titles_", None) or {}}  # fmt: skip
        tensors: dict[str, Any] = {f"split.{k}": v for k, v in split_tensors(split).items()}
        if getattr(self, "seen_", None) is not None:
            tensors.update({f"seen.{k}": v for k, v in seen_tensors(self.seen_).items()})
        if self.model not in NEURAL:
            tensors.update({f"baseline.{k}": np.ascontiguousarray(v)
                            for k, v in self.model_.state().items()})  # fmt: skip
        return state, tensors

    def _fitted_models(self) -> list[Any]:
        return [self.model_] if self.model in NEURAL else []

    def _restore(
        self, state: dict[str, Any], tensors: dict[str, Any], directory: Path, device: str
    ) -> None:
        users = np.array(state["users"], dtype=object)
        items = np.array(state["items"], dtype=object)
        split = {k.removeprefix("split."): v for k, v in tensors.items() if k.startswith("split.")}
        self.split_ = split_from_tensors(split, users, items, directory)
        seen = {k.removeprefix("seen."): v for k, v in tensors.items() if k.startswith("seen.")}
        self.seen_ = seen_from_tensors(seen, self.split_, directory) if seen else \
            self._clicks_if_complete(self.split_)  # fmt: skip
        # saved before the threshold was kept: the parameter was a number or None then
        self.min_rating_ = state["min_rating"] if "min_rating" in state else self.min_rating
        self.item_titles_ = {str(k): str(v) for k, v in (state.get("item_titles") or {}).items()}
        baseline = {k.removeprefix("baseline."): v.numpy() for k, v in tensors.items()
                    if k.startswith("baseline.")}  # fmt: skip
        self.model_ = self._model_from(directory, baseline, device)
        self.val_scores_ = dict(state.get("validation") or {})
        self.fit_seconds_ = state.get("fit_seconds")
        if state.get("epochs_run") is not None:
            self.epochs_run_ = int(state["epochs_run"])

    def _clicks_if_complete(self, split: StrongSplit) -> Any:
        """For a recommender saved before the rated items were kept: its clicks when they
        are every rated item (no rating threshold was applied), else ``None``."""
        return split.clicks if self.min_rating is None else None

    def _model_from(self, directory: Path, baseline: dict[str, np.ndarray], device: str) -> Any:
        """The fitted model saved in ``directory`` (a network) or as ``baseline`` arrays."""
        if self.model in NEURAL:
            (model,) = self._load_models(directory, 1, resolve_device(device))
            if model.registry_name != self.model:
                raise ModelFileError(f"{directory}: holds a {model.registry_name!r} model, "
                                     f"not {self.model!r}")  # fmt: skip
            return model
        if self.model not in MODELS:
            raise ModelFileError(f"{directory}: unknown recommender model {self.model!r}")
        model = Popularity() if self.model == "popularity" else EASE()
        try:
            model.load_state(baseline)
        except KeyError as e:
            raise ModelFileError(f"{directory}: the {self.model} state misses {e}") from None
        return model

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Recommender:
        """A recommender saved by :meth:`save` (or fitted with ``out=``, or by
        ``vaekit recommend fit``), including those saved by earlier versions."""
        return super().load(path, device)

    @classmethod
    def _load_legacy(cls, path: Path, device: str) -> Recommender:
        """A directory written before run directories (``recommender.json``)."""
        meta, split, baseline = read_v1(path)
        params = dict(meta["params"], device=device)
        params["random_state"] = params.pop("seed", 98765)
        try:
            rec = cls(**params)
        except TypeError as e:
            raise ModelFileError(f"{path}: bad recommender settings ({e})") from None
        rec.split_ = split
        rec.seen_, rec.item_titles_ = rec._clicks_if_complete(split), {}
        rec.min_rating_ = params.get("min_rating")
        rec.n_features_in_ = len(split.items)
        rec.fit_seconds_ = meta.get("fit_seconds")
        rec.val_scores_ = dict(meta.get("validation") or {})
        rec.model_ = rec._model_from(path, baseline, device)
        return rec


def _ids(split: StrongSplit) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray([str(u) for u in split.users], dtype=object),
            np.asarray([str(i) for i in split.items], dtype=object))  # fmt: skip


def _records(run: Path | None, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every epoch's record: from ``metrics.jsonl`` when the fit kept one (a resumed fit
    returns only the epochs it ran itself)."""
    if run is None:
        return history
    return [r for r in Run.open(run).records() if "val_ndcg@100" in r]
