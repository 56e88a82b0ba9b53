"""Disentanglement metrics, as google-research/disentanglement_lib computes them.

Every function follows the library's source (``evaluation/metrics/*.py``) and the defaults of
its ``unsupervised_study_v1`` configuration (Locatello et al. 2019); each docstring states
the choices. Codes are ``(N, d)`` float arrays (the library stores them transposed),
factors ``(N, K)`` integer levels.

The two intervention scores take a dataset object with ``sample_factors(n, rng) -> (n, K)``,
``images_from_factors(factors)`` (or the library's ``sample_observations_from_factors(factors,
rng)``) and ``factor_sizes`` (or ``num_factors``), such as
:class:`vaekit.data.dsprites.DSprites`, and a ``represent(images) -> (n, d)`` function; they
draw from ``rng`` (a ``numpy.random.RandomState``) in the library's order, so the same seed
gives the same factors as the library.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
import scipy.stats
from sklearn import ensemble, linear_model, metrics, preprocessing, svm
from sklearn.exceptions import ConvergenceWarning

from vaekit.errors import DataError

#: bins per code dimension of the histogram discretizer (the study's value)
NUM_BINS = 20
#: FactorVAE score: code dimensions whose standard deviation is below this are pruned
#: (the study's ``prune_dims.threshold``; the library function's own default is 0)
PRUNE_THRESHOLD = 0.05

Represent = Callable[[np.ndarray], np.ndarray]


class FactorDataset(Protocol):
    """What the intervention scores need from a dataset."""

    factor_sizes: tuple[int, ...]

    def sample_factors(self, n: int, rng: np.random.RandomState) -> np.ndarray: ...

    def images_from_factors(self, factors: np.ndarray) -> np.ndarray: ...


# ----------------------------------------------------------------------------- inputs
def _codes(codes: Any, name: str = "codes") -> np.ndarray:
    c = np.asarray(codes, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] < 2 or c.shape[1] < 1:
        raise DataError(f"{name} must be (N, d) with N >= 2; got shape {c.shape}")
    if not np.isfinite(c).all():
        raise DataError(f"{name} hold {int((~np.isfinite(c)).sum())} NaN/inf value(s)")
    return c


def _factors(factors: Any, n: int, name: str = "factors") -> np.ndarray:
    f = np.asarray(factors)
    if f.ndim != 2 or f.shape[0] != n:
        raise DataError(f"{name} must be (N, K) with N = {n} (one row per code); got {f.shape}")
    if f.size and not np.issubdtype(f.dtype, np.integer):
        if not np.isfinite(f).all() or not np.all(f == np.round(f)):
            raise DataError(f"{name} must be integer levels (discrete factors)")
        f = f.astype(np.int64)
    return f


def _pair(codes: Any, factors: Any, suffix: str = "") -> tuple[np.ndarray, np.ndarray]:
    c = _codes(codes, "codes" + suffix)
    return c, _factors(factors, len(c), "factors" + suffix)


def _same_width(train: np.ndarray, test: np.ndarray, what: str) -> None:
    if train.shape[1] != test.shape[1]:
        raise DataError(
            f"train and test {what} differ in width: {train.shape[1]} vs {test.shape[1]}"
        )


@contextmanager
def _quiet_sklearn() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


class Score(float):
    """A score's headline value (a float) that also holds the library's named results:
    ``score["train_accuracy"]``, ``score["eval_accuracy"]``, ``dict(score.details)``."""

    details: dict[str, float]

    def __new__(cls, value: float, details: dict[str, Any]) -> Score:
        obj = super().__new__(cls, value)
        obj.details = dict(details)
        return obj

    def __getitem__(self, key: str) -> Any:
        return self.details[key]

    def keys(self) -> Any:
        return self.details.keys()


# ------------------------------------------------------------------- shared pieces
def histogram_discretize(codes: np.ndarray, num_bins: int = NUM_BINS) -> np.ndarray:
    """Each column's bin among ``num_bins`` equal-width bins over its range, ``(N, d)``.

    ``np.digitize(x, np.histogram(x, num_bins)[1][:-1])``, as the library's histogram
    discretizer: bins 1..num_bins, the maximum falling in the last; a constant column
    gets one bin.
    """
    c = np.asarray(codes, dtype=np.float64)
    out = np.zeros_like(c)
    for i in range(c.shape[1]):
        out[:, i] = np.digitize(c[:, i], np.histogram(c[:, i], num_bins)[1][:-1])
    return out


def discrete_mutual_info(discrete_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Mutual information (nats) of each code column with each factor, ``(d, K)``, by
    ``sklearn.metrics.mutual_info_score``."""
    d, k = discrete_codes.shape[1], factors.shape[1]
    m = np.zeros((d, k))
    for i in range(d):
        for j in range(k):
            m[i, j] = metrics.mutual_info_score(factors[:, j], discrete_codes[:, i])
    return m


def discrete_entropy(factors: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each factor column, ``(K,)``."""
    return np.array(
        [metrics.mutual_info_score(factors[:, j], factors[:, j]) for j in range(factors.shape[1])]
    )


# ---------------------------------------------------------------------------- MIG
def mig(codes: Any, factors: Any, num_bins: int = NUM_BINS) -> Score:
    """Mutual information gap (Chen et al. 2018), as the library's ``_compute_mig``.

    Each code dimension is discretized into ``num_bins`` (20) histogram bins; the mutual
    information ``m[i, j]`` of code ``i`` with factor ``j`` by ``mutual_info_score``; per
    factor the gap between the two most informative codes, divided by the factor's
    entropy; averaged over factors. The study draws 10,000 points.

    Parameters
    ----------
    codes
        ``(N, d)`` representations, ``d >= 2``.
    factors
        ``(N, K)`` integer factor levels; no factor may be constant.

    Returns
    -------
    Score
        A float; ``["discrete_mig"]`` gives the same under the library's key.
    """
    c, f = _pair(codes, factors)
    if c.shape[1] < 2:
        raise DataError("MIG needs at least 2 code dimensions (it is a gap between two)")
    m = discrete_mutual_info(histogram_discretize(c, num_bins), f)  # (d, K)
    h = discrete_entropy(f)
    if (h == 0).any():
        raise DataError(f"factor {int(np.argmin(h))} is constant: MIG divides by its entropy")
    top = np.sort(m, axis=0)[::-1]
    value = float(np.mean((top[0] - top[1]) / h))
    return Score(value, {"discrete_mig": value})


# ---------------------------------------------------------------------------- SAP
def sap_score_matrix(
    codes: np.ndarray,
    factors: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    continuous_factors: bool = False,
) -> np.ndarray:
    """SAP's ``(d, K)`` score matrix, as the library's ``compute_score_matrix``."""
    d, k = codes.shape[1], factors.shape[1]
    out = np.zeros((d, k))
    with _quiet_sklearn():
        for i in range(d):
            for j in range(k):
                if continuous_factors:
                    cov = np.cov(codes[:, i], factors[:, j], ddof=1)
                    if cov[0, 0] > 1e-12:
                        out[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])
                    continue
                clf = svm.LinearSVC(C=0.01, class_weight="balanced")
                clf.fit(codes[:, i : i + 1], factors[:, j])
                pred = clf.predict(codes_test[:, i : i + 1])
                out[i, j] = np.mean(pred == factors_test[:, j])
    return out


def sap(
    codes: Any,
    factors: Any,
    codes_test: Any,
    factors_test: Any,
    continuous_factors: bool = False,
) -> Score:
    """Separated attribute predictability (Kumar et al. 2018), as the library's ``compute_sap``.

    The study's discrete version: for each (code, factor) pair a
    ``LinearSVC(C=0.01, class_weight="balanced")`` fitted on that one code of the training
    points, scored by accuracy on the test points; per factor the difference between the
    two best codes, averaged over factors. With ``continuous_factors`` the score is the
    squared correlation instead (0 where the code's variance is <= 1e-12). The study draws
    10,000 training and 5,000 test points.

    Returns
    -------
    Score
        A float; ``["SAP_score"]`` gives the same under the library's key.
    """
    c, f = _pair(codes, factors)
    ct, ft = _pair(codes_test, factors_test, "_test")
    _same_width(c, ct, "codes")
    _same_width(f, ft, "factors")
    if c.shape[1] < 2:
        raise DataError("SAP needs at least 2 code dimensions (it is a gap between two)")
    s = np.sort(sap_score_matrix(c, f, ct, ft, continuous_factors), axis=0)
    value = float(np.mean(s[-1] - s[-2]))
    return Score(value, {"SAP_score": value})


# ---------------------------------------------------------------------------- DCI
def dci_importance(
    codes: np.ndarray,
    factors: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    random_state: int | None = 0,
) -> tuple[np.ndarray, float, float]:
    """Importance matrix ``(d, K)`` and mean train / test accuracy of one
    ``GradientBoostingClassifier()`` per factor (the library's ``compute_importance_gbt``;
    ``random_state`` fixes sklearn's tie-breaking, which the library leaves unseeded)."""
    d, k = codes.shape[1], factors.shape[1]
    importance = np.zeros((d, k))
    train_acc, test_acc = [], []
    for j in range(k):
        model = ensemble.GradientBoostingClassifier(random_state=random_state)
        model.fit(codes, factors[:, j])
        importance[:, j] = np.abs(model.feature_importances_)
        train_acc.append(np.mean(model.predict(codes) == factors[:, j]))
        test_acc.append(np.mean(model.predict(codes_test) == factors_test[:, j]))
    return importance, float(np.mean(train_acc)), float(np.mean(test_acc))


def dci_disentanglement(importance: np.ndarray) -> float:
    """``sum_i rho_i (1 - H_K(P_i))``: per code, one minus the entropy (base K) of its
    importances over factors (+1e-11), weighted by its share of the total importance."""
    per_code = 1.0 - scipy.stats.entropy(importance.T + 1e-11, base=importance.shape[1])
    weights = importance if importance.sum() != 0 else np.ones_like(importance)
    return float(np.sum(per_code * weights.sum(axis=1) / weights.sum()))


def dci_completeness(importance: np.ndarray) -> float:
    """The same per factor, with the entropy over codes in base d."""
    per_factor = 1.0 - scipy.stats.entropy(importance + 1e-11, base=importance.shape[0])
    weights = importance if importance.sum() != 0 else np.ones_like(importance)
    return float(np.sum(per_factor * weights.sum(axis=0) / weights.sum()))


def dci(
    codes: Any, factors: Any, codes_test: Any, factors_test: Any, random_state: int | None = 0
) -> dict[str, float]:
    """Disentanglement, completeness and informativeness (Eastwood & Williams 2018), as the
    library's ``_compute_dci``.

    One ``sklearn.ensemble.GradientBoostingClassifier()`` with its defaults (100 trees of
    depth 3, learning rate 0.1) per factor on the training codes; the importance matrix is
    the absolute feature importances. Disentanglement and completeness as
    :func:`dci_disentanglement` and :func:`dci_completeness`; informativeness is the mean
    accuracy over factors (train and test), as the library reports it. The study draws
    10,000 training and 5,000 test points.

    Returns
    -------
    dict
        ``disentanglement``, ``completeness``, ``informativeness_train``,
        ``informativeness_test`` (the library's keys).
    """
    c, f = _pair(codes, factors)
    ct, ft = _pair(codes_test, factors_test, "_test")
    _same_width(c, ct, "codes")
    _same_width(f, ft, "factors")
    importance, train_acc, test_acc = dci_importance(c, f, ct, ft, random_state)
    return {
        "disentanglement": dci_disentanglement(importance),
        "completeness": dci_completeness(importance),
        "informativeness_train": train_acc,
        "informativeness_test": test_acc,
    }


# --------------------------------------------------------- modularity, explicitness
def modularity(mutual_information: np.ndarray) -> float:
    """Per code ``1 - (sum_j m_j^2 - max m^2) / (max m^2 (K - 1))``, 0 where the code
    carries no information, averaged over codes (the library's ``modularity``)."""
    sq = np.square(mutual_information)
    top = np.max(sq, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 1.0 - (np.sum(sq, axis=1) - top) / (top * (sq.shape[1] - 1.0))
    score[top == 0.0] = 0.0
    return float(np.mean(score))


def _explicitness(
    x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> tuple[float, float]:
    with _quiet_sklearn():
        clf = linear_model.LogisticRegression().fit(x, y)
    mlb = preprocessing.MultiLabelBinarizer(classes=clf.classes_)

    def auc(features: np.ndarray, labels: np.ndarray) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # labels unseen in training
            truth = mlb.fit_transform(labels[:, None])
        proba = clf.predict_proba(features)
        both = (truth.min(0) == 0) & (truth.max(0) == 1)  # classes present and absent
        return float(metrics.roc_auc_score(truth[:, both], proba[:, both]))

    return auc(x, y), auc(x_test, y_test)


def modularity_explicitness(
    codes: Any, factors: Any, codes_test: Any, factors_test: Any, num_bins: int = NUM_BINS
) -> dict[str, float]:
    """Modularity and explicitness (Ridgeway & Mozer 2018), as the library's
    ``compute_modularity_explicitness``.

    Modularity from the ``num_bins`` (20) histogram mutual information of the training
    codes (:func:`modularity`). Explicitness: codes z-scored with the training mean and
    standard deviation; per factor a ``LogisticRegression()`` with sklearn's defaults, scored
    by the macro ROC-AUC of its class probabilities against the one-hot labels; averaged
    over factors, on the training and the test points. Where the library would fail, this
    does not: a constant code is scaled by 1 instead of divided by 0, and a class missing
    from the test labels is left out of that AUC. The study draws 10,000 training and 5,000
    test points.

    Returns
    -------
    dict
        ``modularity_score``, ``explicitness_score_train``, ``explicitness_score_test``
        (the library's keys) and the same as ``modularity``, ``explicitness_train``,
        ``explicitness_test``.
    """
    c, f = _pair(codes, factors)
    ct, ft = _pair(codes_test, factors_test, "_test")
    _same_width(c, ct, "codes")
    _same_width(f, ft, "factors")
    mod = modularity(discrete_mutual_info(histogram_discretize(c, num_bins), f))
    mean, std = c.mean(axis=0), c.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    z, zt = (c - mean) / std, (ct - mean) / std
    scores = [_explicitness(z, f[:, j], zt, ft[:, j]) for j in range(f.shape[1])]
    train = float(np.mean([s[0] for s in scores]))
    test = float(np.mean([s[1] for s in scores]))
    return {
        "modularity_score": mod,
        "explicitness_score_train": train,
        "explicitness_score_test": test,
        "modularity": mod,
        "explicitness_train": train,
        "explicitness_test": test,
    }


# --------------------------------------------------------- intervention-based scores
def _num_factors(dataset: FactorDataset) -> int:
    n = getattr(dataset, "num_factors", None)
    return int(n) if n is not None else len(dataset.factor_sizes)


class _Draws:
    """Observations of consecutive factor draws, represented in large chunks.

    A dataset with ``images_from_factors`` (deterministic images) is rendered when the codes
    are asked for; one with only the library's ``sample_observations_from_factors(factors,
    rng)`` is observed at once, so that ``rng`` is drawn from in the library's order.
    """

    def __init__(self, dataset: FactorDataset, rng: np.random.RandomState) -> None:
        self.dataset, self.rng = dataset, rng
        self.deferred = hasattr(dataset, "images_from_factors")
        self.items: list[np.ndarray] = []

    def add(self, factors: np.ndarray) -> None:
        if self.deferred:
            self.items.append(factors)
        else:
            observe = self.dataset.sample_observations_from_factors  # type: ignore[attr-defined]
            self.items.append(np.asarray(observe(factors, self.rng)))

    def codes(self, represent: Represent, chunk: int) -> np.ndarray:
        """Representations ``(n, d)`` of everything added, in order, ``chunk`` per call (a
        deterministic representation gives what batch-by-batch calls give)."""
        data = np.concatenate(self.items)
        self.items = []
        out = []
        for i in range(0, len(data), chunk):
            part = data[i : i + chunk]
            images = self.dataset.images_from_factors(part) if self.deferred else part
            codes = np.asarray(represent(images))
            if codes.ndim != 2 or len(codes) != len(part):
                raise DataError(
                    f"represent must map n images to an (n, d) array; got shape {codes.shape} "
                    f"for {len(part)} images"
                )
            out.append(codes.astype(np.float64))
        return np.concatenate(out)


def sample_codes(
    represent: Represent,
    dataset: FactorDataset,
    num_points: int,
    rng: np.random.RandomState,
    batch_size: int = 16,
    chunk: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``(n, d)`` and factors ``(n, K)`` of ``num_points`` random images, drawn in
    batches of ``batch_size`` as the library's ``generate_batch_factor_code``."""
    draws, parts = _Draws(dataset, rng), []
    for i in range(0, num_points, batch_size):
        parts.append(np.asarray(dataset.sample_factors(min(batch_size, num_points - i), rng)))
        draws.add(parts[-1])
    return draws.codes(represent, chunk), np.concatenate(parts).astype(np.int64)


def beta_vae_score(
    represent: Represent,
    dataset: FactorDataset,
    rng: np.random.RandomState,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
    details: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> Score | dict[str, float]:
    """The BetaVAE score (Higgins et al. 2017), as the library's ``compute_beta_vae_sklearn``.

    Each point: a factor index drawn uniformly, two batches of ``batch_size`` (64) factor
    draws sharing that factor, feature = mean over the batch of ``|z1 - z2|``; label = the
    index. ``LogisticRegression(random_state=rng)`` with sklearn's defaults is fitted on
    ``num_train`` (10,000) points and scored by accuracy on ``num_eval`` (5,000) fresh points.

    Returns
    -------
    Score or dict
        The evaluation accuracy (a float, with ``["train_accuracy"]`` and
        ``["eval_accuracy"]``); with ``details``, the plain dict.
    """
    train_x, train_y = _beta_vae_points(represent, dataset, rng, batch_size, num_train, on_progress)
    with _quiet_sklearn():
        model = linear_model.LogisticRegression(random_state=rng).fit(train_x, train_y)
    train_acc = float(np.mean(model.predict(train_x) == train_y))
    eval_x, eval_y = _beta_vae_points(represent, dataset, rng, batch_size, num_eval, on_progress)
    eval_acc = float(model.score(eval_x, eval_y))
    result = {"train_accuracy": train_acc, "eval_accuracy": eval_acc}
    return result if details else Score(eval_acc, result)


def _beta_vae_points(
    represent: Represent,
    dataset: FactorDataset,
    rng: np.random.RandomState,
    batch_size: int,
    num_points: int,
    on_progress: Callable[[int], None] | None,
    per_call: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    k = _num_factors(dataset)
    labels = np.zeros(num_points, dtype=np.int64)
    points: list[np.ndarray] = []
    draws = _Draws(dataset, rng)
    for start in range(0, num_points, per_call):
        stop = min(start + per_call, num_points)
        for i in range(start, stop):  # the library's draws, in its order
            labels[i] = rng.randint(k)
            f1 = np.asarray(dataset.sample_factors(batch_size, rng))
            f2 = np.asarray(dataset.sample_factors(batch_size, rng))
            f2[:, labels[i]] = f1[:, labels[i]]
            draws.add(f1)
            draws.add(f2)
        codes = draws.codes(represent, 2 * batch_size * per_call)
        codes = codes.reshape(stop - start, 2, batch_size, -1)
        points.append(np.mean(np.abs(codes[:, 0] - codes[:, 1]), axis=1))
        if on_progress is not None:
            on_progress(stop - start)
    return np.concatenate(points), labels


def factor_vae_score(
    represent: Represent,
    dataset: FactorDataset,
    rng: np.random.RandomState,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
    num_variance_estimate: int = 10000,
    prune_threshold: float = PRUNE_THRESHOLD,
    details: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> Score | dict[str, float]:
    """The FactorVAE score (Kim & Mnih 2018), as the library's ``compute_factor_vae``.

    Global variances (``ddof=1``) of each code over ``num_variance_estimate`` (10,000) random
    images; codes whose standard deviation is below ``prune_threshold`` (the study's 0.05)
    are dropped. Each vote: a factor index drawn uniformly, a batch of ``batch_size`` (64)
    images sharing that factor's value (the first draw's), and the active code with the
    smallest ratio of batch variance to global variance. The majority-vote classifier maps
    each code to the factor it got most votes for; its accuracy on ``num_train`` (10,000)
    training votes and ``num_eval`` (5,000) fresh ones. No active code scores 0.

    Returns
    -------
    Score or dict
        The evaluation accuracy (a float, with ``["train_accuracy"]``,
        ``["eval_accuracy"]`` and ``["num_active_dims"]``); with ``details``, the plain dict.
    """
    draws = _Draws(dataset, rng)
    draws.add(np.asarray(dataset.sample_factors(num_variance_estimate, rng)))
    codes = draws.codes(represent, 1024)
    global_var = np.var(codes, axis=0, ddof=1)
    active = np.sqrt(global_var) >= prune_threshold
    if not active.any():
        zero = {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0}
        return zero if details else Score(0.0, zero)
    train_votes = _factor_vae_votes(
        represent, dataset, rng, batch_size, num_train, global_var, active, on_progress
    )
    classifier = np.argmax(train_votes, axis=0)
    cols = np.arange(train_votes.shape[1])
    train_acc = float(np.sum(train_votes[classifier, cols]) / np.sum(train_votes))
    eval_votes = _factor_vae_votes(
        represent, dataset, rng, batch_size, num_eval, global_var, active, on_progress
    )
    eval_acc = float(np.sum(eval_votes[classifier, cols]) / np.sum(eval_votes))
    result = {
        "train_accuracy": train_acc,
        "eval_accuracy": eval_acc,
        "num_active_dims": int(active.sum()),
    }
    return result if details else Score(eval_acc, result)


def _factor_vae_votes(
    represent: Represent,
    dataset: FactorDataset,
    rng: np.random.RandomState,
    batch_size: int,
    num_points: int,
    global_var: np.ndarray,
    active: np.ndarray,
    on_progress: Callable[[int], None] | None,
    per_call: int = 32,
) -> np.ndarray:
    """Votes ``(K, d)``; as in the library, the column is the winner's position among the
    active codes (the accuracy does not depend on the labelling of columns)."""
    k = _num_factors(dataset)
    votes = np.zeros((k, global_var.shape[0]), dtype=np.int64)
    draws = _Draws(dataset, rng)
    for start in range(0, num_points, per_call):
        stop = min(start + per_call, num_points)
        index = []
        for _ in range(start, stop):  # the library's draws, in its order
            j = rng.randint(k)
            f = np.asarray(dataset.sample_factors(batch_size, rng))
            f[:, j] = f[0, j]
            index.append(j)
            draws.add(f)
        codes = draws.codes(represent, batch_size * per_call)
        local_var = np.var(codes.reshape(stop - start, batch_size, -1), axis=1, ddof=1)
        winners = np.argmin(local_var[:, active] / global_var[active], axis=1)
        np.add.at(votes, (np.array(index), winners), 1)
        if on_progress is not None:
            on_progress(stop - start)
    return votes
