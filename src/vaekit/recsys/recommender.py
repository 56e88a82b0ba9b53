"""``Recommender``: fit a recommender to an interaction log under the strong-generalization
protocol, evaluate it, and recommend items to known or new users."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.config import TrainConfig
from vaekit.data.base import DataBundle, Split
from vaekit.data.interactions import ClickMatrix, InteractionLog, click_matrix, read_interactions
from vaekit.data.sparse_rows import SparseRows
from vaekit.data.strong_split import StrongSplit, strong_split
from vaekit.errors import ConfigError, DataError, ModelFileError
from vaekit.io.model_io import MODEL_JSON, load, model_spec, save_model
from vaekit.io.safe import atomic_write_text, load_tensors, save_tensors
from vaekit.models import create_model
from vaekit.recsys.baselines import EASE, EASE_LAMBDAS, Popularity
from vaekit.recsys.protocol import evaluate_users, model_scores
from vaekit.train.device import resolve_device
from vaekit.train.progress import epoch_bar
from vaekit.train.selection import Selection
from vaekit.train.trainer import Trainer

RECOMMENDER_JSON, SPLIT_FILE, IDS_JSON = "recommender.json", "split.safetensors", "ids.json"
BASELINE_FILE = "baseline.safetensors"
MODELS = ("mult-vae", "mult-dae", "ease", "popularity")
NEURAL = ("mult-vae", "mult-dae")
#: the posterior-collapse hint in the options of ``vaekit recommend fit`` and the estimator
RECSYS_ADVICE = "Try a smaller --anneal-cap or --latent-dim (Recommender(anneal_cap=...))"


class Recommender:
    """Top-k recommendation from implicit feedback (Liang et al. 2018's protocol).

    ``fit(log)`` binarizes the log, splits its users into training, validation and test
    users (:func:`~vaekit.data.strong_split.strong_split`), trains on the training users
    and selects on the validation users' NDCG@100 (epochs for ``mult-vae``/``mult-dae``,
    lambda for ``ease``). ``evaluate()`` ranks the test users' held-out items.
    ``recommend(user_or_items, k)`` returns the top ``k`` unseen items of a known user or
    of a new user given by a few items.

    Parameters
    ----------
    model
        ``mult-vae`` (default), ``mult-dae``, ``ease`` or ``popularity``.
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
        Binarization of a log with ratings (keep ``rating >= min_rating``; ``None`` keeps
        every row) and the fewest items a user needs.
    heldout_users, heldout_fraction, seed
        The split: validation users and as many test users (default 10% each), the share
        of each held-out user's items to rank, and the seed of both draws (the paper's
        98765).
    device, verbose
        ``auto``/``cpu``/``cuda``; show training progress.
    """

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
        min_rating: float | None = None,
        min_user_items: int = 5,
        heldout_users: int | None = None,
        heldout_fraction: float = 0.2,
        seed: int = 98765,
        device: str = "auto",
        verbose: bool = False,
    ) -> None:
        if model not in MODELS:
            raise ConfigError(f"unknown recommender model {model!r}; choose one of "
                              f"{', '.join(MODELS)}")  # fmt: skip
        self.model_name, self.epochs, self.batch_size, self.lr = model, epochs, batch_size, lr
        self.latent_dim, self.hidden, self.dropout = latent_dim, hidden, dropout
        self.anneal_cap, self.total_anneal_steps, self.l2 = anneal_cap, total_anneal_steps, l2
        self.early_stopping, self.ease_lambdas = early_stopping, [float(v) for v in ease_lambdas]
        self.min_rating, self.min_user_items = min_rating, min_user_items
        self.heldout_users, self.heldout_fraction = heldout_users, heldout_fraction
        self.seed, self.device, self.verbose = seed, device, verbose
        self.model: Any = None
        self.split_: StrongSplit | None = None

    def params(self) -> dict[str, Any]:
        """The constructor arguments (JSON-serialisable)."""
        return {"model": self.model_name, "epochs": self.epochs, "batch_size": self.batch_size,
                "lr": self.lr, "latent_dim": self.latent_dim,
                "hidden": None if self.hidden is None else [int(h) for h in self.hidden],
                "dropout": self.dropout, "anneal_cap": self.anneal_cap,
                "total_anneal_steps": self.total_anneal_steps, "l2": self.l2,
                "early_stopping": self.early_stopping, "ease_lambdas": self.ease_lambdas,
                "min_rating": self.min_rating, "min_user_items": self.min_user_items,
                "heldout_users": self.heldout_users, "heldout_fraction": self.heldout_fraction,
                "seed": self.seed, "device": self.device, "verbose": self.verbose}  # fmt: skip

    # ------------------------------------------------------------------ fitting
    def _clicks(self, data: Any) -> ClickMatrix:
        if isinstance(data, ClickMatrix):
            return data
        if isinstance(data, (str, Path)):
            data = read_interactions(data)
        if not isinstance(data, InteractionLog):
            raise DataError("fit takes a log file path, an InteractionLog, a ClickMatrix or a "
                            f"StrongSplit, got {type(data).__name__}")  # fmt: skip
        return click_matrix(data, self.min_rating, self.min_user_items)

    def fit(self, data: Any, run_dir: str | Path | None = None) -> Recommender:
        """Split ``data`` and fit on its training users (see the class docstring).

        ``data``: a log path, an :class:`InteractionLog`, a :class:`ClickMatrix` or a
        :class:`StrongSplit`. With ``run_dir``, training keeps checkpoints and
        ``metrics.jsonl`` there and the fitted recommender is saved into it.
        """
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        start = time.perf_counter()
        split = data if isinstance(data, StrongSplit) else strong_split(
            self._clicks(data), self.heldout_users, self.heldout_fraction, self.seed)
        self.split_ = split
        self.val_scores_: dict[str, float] = {}
        if run_dir is not None:
            Path(run_dir).mkdir(parents=True, exist_ok=True)
        if self.model_name == "popularity":
            self.model = Popularity().fit(split.train)
        elif self.model_name == "ease":
            self.model = EASE()
            found = self.model.fit_select(split.train, split.fold_in("val"),
                                          split.heldout("val"), self.ease_lambdas)  # fmt: skip
            self.val_scores_ = {f"lambda={k:g}": v for k, v in found.items()}
        else:
            self._fit_neural(split, run_dir)
        self.fit_seconds_ = time.perf_counter() - start
        if run_dir is not None:
            self.save(run_dir)
        return self

    def _fit_neural(self, split: StrongSplit, run_dir: str | Path | None) -> None:
        device = resolve_device(self.device)
        torch.manual_seed(self.seed)
        n_items = len(split.items)
        kwargs: dict[str, Any] = {"n_items": n_items, "dropout": self.dropout}
        if self.latent_dim is not None:
            kwargs["latent_dim"] = self.latent_dim
        if self.hidden is not None:
            kwargs["hidden"] = [int(h) for h in self.hidden]
        if self.model_name == "mult-vae":
            kwargs.update(anneal_cap=self.anneal_cap, total_anneal_steps=self.total_anneal_steps,
                          l2=0.0 if self.l2 is None else self.l2)  # fmt: skip
        else:
            kwargs["l2"] = 0.01 / self.batch_size if self.l2 is None else self.l2
        self.model = create_model(self.model_name, **kwargs)
        train = split.train
        bundle = DataBundle("clicks", Split(SparseRows.from_scipy(train)), None, None,
                            (n_items,))  # fmt: skip
        n_train = train.shape[0]  # type: ignore[attr-defined]
        steps_per_epoch = math.ceil(n_train / self.batch_size)
        vae = self.model_name == "mult-vae"
        cfg = TrainConfig(epochs=int(self.epochs), batch_size=int(self.batch_size), lr=self.lr,
                          device=str(device), seed=self.seed,
                          early_stopping=int(self.early_stopping),
                          kl_schedule="linear" if vae else "constant",
                          warmup_epochs=self.total_anneal_steps / steps_per_epoch if vae
                          else 0.0)  # fmt: skip
        def val_ndcg(model: Any) -> float:
            scores = evaluate_users(lambda x: model_scores(model, x), split, "val",
                                    metrics=("ndcg@100",))  # fmt: skip
            return float(scores["ndcg@100"])

        if run_dir is not None:
            atomic_write_text(Path(run_dir) / MODEL_JSON,
                              json.dumps(model_spec(self.model), indent=2))  # fmt: skip
        label = f"fitting {self.model_name}"
        with epoch_bar(label, cfg.epochs, self.verbose) as (console, advance):
            result = Trainer(self.model, bundle, cfg, run_dir, quiet=True, console=console,
                             selection=Selection("ndcg@100", val_ndcg), on_epoch=advance,
                             collapse_advice=RECSYS_ADVICE).fit()  # fmt: skip
        self.model.eval()
        self.epochs_run_ = result.epochs
        history = [r["val_ndcg@100"] for r in result.history]
        if history:
            best = int(np.argmax(history))
            self.val_scores_ = {"ndcg@100": float(history[best]), "best_epoch": best + 1}

    # ------------------------------------------------------------------ scoring
    def _check_fitted(self) -> StrongSplit:
        if self.model is None or self.split_ is None:
            raise ConfigError("this Recommender is not fitted yet; call fit(log) first")
        return self.split_

    def score(self, clicks: Any) -> np.ndarray:
        """Scores ``(U, I)`` of every item (columns in :attr:`items` order) for users given
        by their clicks: a ``(U, I)`` sparse or dense 0/1 matrix, or a list of item-id lists.
        Seen items are not masked (see :meth:`recommend`)."""
        from scipy import sparse

        split = self._check_fitted()
        if isinstance(clicks, (list, tuple)) and (not clicks or not sparse.issparse(clicks)):
            clicks = self._rows_of_items(clicks)
        m = clicks.tocsr() if sparse.issparse(clicks) else sparse.csr_matrix(
            np.asarray(clicks, dtype=np.float32))  # fmt: skip
        if m.shape[1] != len(split.items):
            raise DataError(f"expected {len(split.items)} item columns, got {m.shape[1]}")
        if self.model_name in NEURAL:
            return model_scores(self.model, m.astype(np.float32))
        return self.model.scores(m)

    @property
    def items(self) -> np.ndarray:
        """The item ids, in column order."""
        return self._check_fitted().items

    def _rows_of_items(self, lists: Sequence[Sequence[Any]]) -> Any:
        from scipy import sparse

        split = self._check_fitted()
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
            self._index = {str(v): j for j, v in enumerate(self._check_fitted().items)}
        return self._index

    def _user_index(self) -> dict[str, int]:
        if getattr(self, "_uindex", None) is None:
            self._uindex = {str(v): j for j, v in enumerate(self._check_fitted().users)}
        return self._uindex

    def recommend(
        self, user_or_items: Any, k: int = 10, exclude_seen: bool = True
    ) -> list[tuple[str, float]]:
        """The top ``k`` items as ``(item id, score)`` pairs, best first.

        ``user_or_items``: a user id of the log (a ``str`` or ``int``: the user's clicks
        are folded in), or a list of item ids (a new user who clicked them). Items the
        user has seen are left out unless ``exclude_seen=False``.
        """
        split = self._check_fitted()
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
        else:
            x = self._rows_of_items([list(user_or_items)])
        s = self.score(x)[0]
        if exclude_seen:
            s[x.indices] = -np.inf  # type: ignore[attr-defined]
        k = min(int(k), int(np.isfinite(s).sum()))
        top = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
        top = top[np.argsort(-s[top], kind="stable")][:k]
        return [(str(split.items[j]), float(s[j])) for j in top]

    def evaluate(self, role: str = "test") -> dict[str, Any]:
        """NDCG@100, Recall@20 and Recall@50 (means and standard errors) on the ``test``
        (or ``val``) users of the fit's split."""
        split = self._check_fitted()
        return evaluate_users(self.score, split, role)

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path) -> Path:
        """Write the recommender into ``directory``: ``recommender.json``, ``ids.json``,
        ``split.safetensors`` and the model (``model.json`` + ``model.safetensors``, or
        ``baseline.safetensors``). No pickle."""
        split = self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.model_name in NEURAL:
            save_model(self.model, directory)
        else:
            save_tensors(directory / BASELINE_FILE,
                         {k: torch.from_numpy(np.ascontiguousarray(v))
                          for k, v in self.model.state().items()})  # fmt: skip
        c, hv, ht = split.clicks, split.val_heldout, split.test_heldout
        tensors: dict[str, Any] = {"train_rows": split.train_rows, "val_rows": split.val_rows,
                                   "test_rows": split.test_rows}  # fmt: skip
        for name, m in (("clicks", c), ("val", hv), ("test", ht)):
            tensors[f"{name}_indptr"] = m.indptr  # type: ignore[attr-defined]
            tensors[f"{name}_indices"] = m.indices  # type: ignore[attr-defined]
        save_tensors(directory / SPLIT_FILE, {k: torch.from_numpy(np.asarray(v, np.int64))
                                              for k, v in tensors.items()})  # fmt: skip
        ids = {"users": [str(u) for u in split.users], "items": [str(i) for i in split.items]}
        atomic_write_text(directory / IDS_JSON, json.dumps(ids))
        meta = {"format": "vaekit-recommender/1", "params": self.params(),
                "fit_seconds": getattr(self, "fit_seconds_", None),
                "validation": getattr(self, "val_scores_", {}),
                "ease_lambda": self.model.lam if self.model_name == "ease" else None}  # fmt: skip
        atomic_write_text(directory / RECOMMENDER_JSON, json.dumps(meta, indent=2))
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> Recommender:
        """A recommender saved by :meth:`save` (or ``vaekit recommend fit``)."""
        from scipy import sparse

        directory = Path(directory)
        path = directory / RECOMMENDER_JSON
        try:
            meta = json.loads(path.read_text())
            rec = cls(**dict(meta["params"], device=device))
            rec.fit_seconds_ = meta.get("fit_seconds")
            rec.val_scores_ = dict(meta.get("validation") or {})
            ids = json.loads((directory / IDS_JSON).read_text())
            users = np.array(ids["users"], dtype=object)
            items = np.array(ids["items"], dtype=object)
        except FileNotFoundError as e:
            raise ModelFileError(f"{directory}: {Path(e.filename).name} not found (is it a "
                                 "`vaekit recommend fit` run?)") from None  # fmt: skip
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: bad recommender settings ({e})") from None
        t, _ = load_tensors(directory / SPLIT_FILE)
        try:
            n_u, n_i = len(users), len(items)

            def csr(prefix: str, n_rows: int) -> Any:
                ind, ptr = t[f"{prefix}_indices"].numpy(), t[f"{prefix}_indptr"].numpy()
                ones = np.ones(len(ind), np.float32)
                return sparse.csr_matrix((ones, ind, ptr), shape=(n_rows, n_i))

            val_rows, test_rows = t["val_rows"].numpy(), t["test_rows"].numpy()
            rec.split_ = StrongSplit(csr("clicks", n_u), users, items, t["train_rows"].numpy(),
                                     val_rows, test_rows, csr("val", len(val_rows)),
                                     csr("test", len(test_rows)))  # fmt: skip
        except (KeyError, ValueError) as e:
            raise ModelFileError(f"{directory / SPLIT_FILE}: bad split ({e})") from None
        if rec.model_name in NEURAL:
            rec.model = load(directory, device=resolve_device(device))
            if rec.model.registry_name != rec.model_name:
                raise ModelFileError(f"{directory}: holds a {rec.model.registry_name!r} model, "
                                     f"not {rec.model_name!r}")  # fmt: skip
        else:
            state, _ = load_tensors(directory / BASELINE_FILE)
            rec.model = Popularity() if rec.model_name == "popularity" else EASE()
            try:
                rec.model.load_state({k: v.numpy() for k, v in state.items()})
            except KeyError as e:
                raise ModelFileError(f"{directory / BASELINE_FILE}: missing {e}") from None
        return rec
