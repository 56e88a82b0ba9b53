"""The six disentanglement metrics: hand-computed values, perfect and random codes, invariances,
and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vaekit.errors import DataError
from vaekit.eval import disentanglement as dis

SIZES = (3, 6, 10, 8, 8)  # at most 20 levels: the 20-bin discretizer can keep them apart


class Toy:
    """Factors drawn uniformly from SIZES; the "image" of a factor row is the row itself."""

    factor_sizes = SIZES

    def sample_factors(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        return np.stack([rng.randint(s, size=n) for s in self.factor_sizes], axis=1)

    def images_from_factors(self, factors: np.ndarray) -> np.ndarray:
        return factors.astype(np.float64)


def _perfect(noise: float = 0.05, seed: int = 1):
    g = np.random.default_rng(seed)
    return lambda x: x + noise * g.standard_normal(x.shape)


def _random(seed: int = 2):
    g = np.random.default_rng(seed)
    return lambda x: g.standard_normal((len(x), 5))


def _points(represent, n: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    train = dis.sample_codes(represent, Toy(), n, rng)
    test = dis.sample_codes(represent, Toy(), n // 2, rng)
    return (*train, *test)


# ------------------------------------------------------------------ known answers
# four points, two binary factors; code 0 copies factor 0, code 1 is their AND, code 2 is
# constant. I(c0; f0) = ln 2, I(c1; f0) = I(c1; f1) = 0.5 ln(4/3) + 0.25 ln(2/3) + 0.25 ln 2
F = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 2)
C = np.array([[0.0, 0.0, 7.0], [0.0, 0.0, 7.0], [1.0, 0.0, 7.0], [1.0, 1.0, 7.0]] * 2)
I_AND = 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * math.log(2)


def test_mutual_information_matrix_by_hand():
    m = dis.discrete_mutual_info(dis.histogram_discretize(C), F)
    np.testing.assert_allclose(m, [[math.log(2), 0.0], [I_AND, I_AND], [0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(dis.discrete_entropy(F), [math.log(2)] * 2)


def test_mig_and_modularity_by_hand():
    # factor 0: (ln 2 - I_AND) / ln 2; factor 1: (I_AND - 0) / ln 2; their mean is 1/2
    assert dis.mig(C, F) == pytest.approx(0.5, abs=1e-12)
    # code 0 informs one factor (1), code 1 both equally (0), code 2 nothing (0)
    m = dis.discrete_mutual_info(dis.histogram_discretize(C), F)
    assert dis.modularity(m) == pytest.approx(1 / 3, abs=1e-12)


def test_dci_scores_of_importance_matrices_by_hand():
    assert dis.dci_disentanglement(np.eye(3)) == pytest.approx(1.0, abs=1e-9)
    assert dis.dci_disentanglement(np.ones((3, 3))) == pytest.approx(0.0, abs=1e-9)
    # code 0 only factor 0, code 1 both factors equally: D = 1/3 * 1 + 2/3 * 0
    r = np.array([[1.0, 0.0], [1.0, 1.0]])
    assert dis.dci_disentanglement(r) == pytest.approx(1 / 3, abs=1e-9)
    # factor 0 spread over both codes (0), factor 1 on one (1), weights 2/3 and 1/3
    assert dis.dci_completeness(r) == pytest.approx(1 / 3, abs=1e-9)
    # no importance at all: the library's uniform weights, score 0
    assert dis.dci_disentanglement(np.zeros((2, 2))) == pytest.approx(0.0, abs=1e-9)


def test_histogram_discretizer_bins_like_the_library():
    x = np.array([[0.0], [0.5], [1.0], [0.049], [0.051]])
    # 20 equal bins over [0, 1]; the maximum lands in the last bin
    np.testing.assert_array_equal(dis.histogram_discretize(x)[:, 0], [1, 11, 20, 1, 2])


def test_sap_continuous_by_hand():
    f = np.array([[0, 0], [1, 0], [2, 1], [3, 1]] * 3)
    c = np.c_[f[:, 0] * 2.0 + 1.0, -f[:, 0] * 1.0]  # both codes carry factor 0 only
    s = dis.sap_score_matrix(c, f, c, f, continuous_factors=True)
    corr = np.corrcoef(f[:, 0], f[:, 1])[0, 1] ** 2
    np.testing.assert_allclose(s, [[1.0, corr], [1.0, corr]], atol=1e-12)
    assert dis.sap(c, f, c, f, continuous_factors=True) == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------ perfect vs random codes
def test_perfect_codes_score_high_and_random_codes_low():
    good = _points(_perfect(), 3000)
    bad = _points(_random(), 3000)
    assert dis.mig(*good[:2]) > 0.9 and dis.mig(*bad[:2]) < 0.05
    g_dci, b_dci = dis.dci(*good), dis.dci(*bad)
    assert g_dci["disentanglement"] > 0.9 and b_dci["disentanglement"] < 0.3
    assert g_dci["completeness"] > 0.9 and b_dci["completeness"] < 0.3
    assert g_dci["informativeness_test"] > 0.95 and b_dci["informativeness_test"] < 0.4
    g_mod, b_mod = dis.modularity_explicitness(*good), dis.modularity_explicitness(*bad)
    assert g_mod["modularity"] > 0.95 and g_mod["explicitness_test"] > 0.95
    assert b_mod["explicitness_test"] < 0.6
    assert g_mod["modularity_score"] == g_mod["modularity"]
    assert dis.mig(*good[:2])["discrete_mig"] == float(dis.mig(*good[:2]))
    assert dis.sap(*good) > dis.sap(*bad) + 0.1 and dis.sap(*bad) < 0.05


def test_perfect_codes_win_both_intervention_scores_and_random_ones_guess():
    kw = {"num_train": 1000, "num_eval": 500}
    rs = np.random.RandomState
    assert dis.beta_vae_score(_perfect(0.01), Toy(), rs(0), **kw) > 0.95
    assert dis.beta_vae_score(_random(), Toy(), rs(0), **kw) < 0.35  # chance: 1 / 5
    fv = dis.factor_vae_score(_perfect(0.01), Toy(), rs(0), details=True, **kw)
    assert fv["eval_accuracy"] > 0.95 and fv["num_active_dims"] == 5
    assert dis.factor_vae_score(_random(), Toy(), rs(0), **kw) < 0.35
    # codes that never move are all pruned: the score is 0
    flat = dis.factor_vae_score(lambda x: np.zeros((len(x), 3)), Toy(), rs(0), **kw)
    assert flat == 0.0


class NoisyToy:
    """A dataset in the library's form: observations are drawn with the metric's rng."""

    num_factors = len(SIZES)

    def sample_factors(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        return np.stack([rng.randint(s, size=n) for s in SIZES], axis=1)

    def sample_observations_from_factors(self, f: np.ndarray, rng) -> np.ndarray:
        return f + 0.3 * rng.standard_normal(f.shape)


def test_intervention_scores_draw_in_the_librarys_order():
    """Against the library's loops written out one draw at a time (observations consume the
    same rng, so any change of order changes the numbers)."""
    from sklearn.linear_model import LogisticRegression

    ds, rep, k = NoisyToy(), lambda x: x * 2.0, len(SIZES)

    def beta_points(rs, n):
        xs, ys = [], []
        for _ in range(n):
            j = rs.randint(k)
            f1, f2 = ds.sample_factors(64, rs), ds.sample_factors(64, rs)
            f2[:, j] = f1[:, j]
            z1 = rep(ds.sample_observations_from_factors(f1, rs))
            z2 = rep(ds.sample_observations_from_factors(f2, rs))
            xs.append(np.mean(np.abs(z1 - z2), axis=0))
            ys.append(j)
        return np.array(xs), np.array(ys)

    rs = np.random.RandomState(0)
    x, y = beta_points(rs, 200)
    clf = LogisticRegression(random_state=rs).fit(x, y)
    xe, ye = beta_points(rs, 100)
    got = dis.beta_vae_score(rep, ds, np.random.RandomState(0), num_train=200, num_eval=100)
    assert got == pytest.approx(clf.score(xe, ye), abs=1e-12)
    assert got["train_accuracy"] == pytest.approx(np.mean(clf.predict(x) == y), abs=1e-12)

    def votes(rs, n, var, active):
        v = np.zeros((k, len(var)), dtype=np.int64)
        for _ in range(n):
            j = rs.randint(k)
            f = ds.sample_factors(64, rs)
            f[:, j] = f[0, j]
            local = np.var(rep(ds.sample_observations_from_factors(f, rs)), axis=0, ddof=1)
            v[j, np.argmin(local[active] / var[active])] += 1
        return v

    rs = np.random.RandomState(4)
    f = ds.sample_factors(1000, rs)
    var = np.var(rep(ds.sample_observations_from_factors(f, rs)), axis=0, ddof=1)
    active = np.sqrt(var) >= 0.05
    train = votes(rs, 300, var, active)
    cls = np.argmax(train, axis=0)
    ev = votes(rs, 150, var, active)
    expected = ev[cls, np.arange(len(var))].sum() / ev.sum()
    got = dis.factor_vae_score(
        rep, ds, np.random.RandomState(4), num_train=300, num_eval=150, num_variance_estimate=1000
    )
    assert got == pytest.approx(expected, abs=1e-12)
    assert got["num_active_dims"] == 5


def test_intervention_scores_follow_the_seed():
    kw = {"num_train": 300, "num_eval": 150, "details": True}
    a = dis.factor_vae_score(_perfect(0.3, 1), Toy(), np.random.RandomState(5), **kw)
    b = dis.factor_vae_score(_perfect(0.3, 1), Toy(), np.random.RandomState(5), **kw)
    assert a == b


# -------------------------------------------------------------------- invariances
def test_mig_and_dci_ignore_order_and_scale_of_code_dimensions():
    rng = np.random.default_rng(3)
    c, f, ct, ft = _points(lambda x: x @ rng.standard_normal((5, 5)) * 0.3 + x, 1500)
    perm = np.array([3, 0, 4, 1, 2])
    scale = np.array([2.0, -0.5, 10.0, 1e-3, -7.0])
    shift = np.array([1.0, -3.0, 0.0, 5.0, 2.0])
    c2, ct2 = c[:, perm] * scale + shift, ct[:, perm] * scale + shift
    assert dis.mig(c2, f) == pytest.approx(dis.mig(c, f), abs=1e-9)
    a, b = dis.dci(c, f, ct, ft), dis.dci(c2, f, ct2, ft)
    # the trees split at mirrored thresholds, so only near-ties may go the other way
    for key in ("disentanglement", "completeness", "informativeness_train"):
        assert b[key] == pytest.approx(a[key], abs=5e-3), key
    assert b["informativeness_test"] == pytest.approx(a["informativeness_test"], abs=0.02)


# ------------------------------------------------------------------------- errors
def test_bad_inputs_are_clear_errors():
    c, f = C, F
    with pytest.raises(DataError, match="one row per code"):
        dis.mig(c, f[:-1])
    with pytest.raises(DataError, match="NaN"):
        dis.mig(np.where(c == 7.0, np.nan, c), f)
    with pytest.raises(DataError, match="at least 2 code dimensions"):
        dis.mig(c[:, :1], f)
    with pytest.raises(DataError, match="constant"):
        dis.mig(c, np.c_[f, np.zeros(len(f), int)])
    with pytest.raises(DataError, match="integer levels"):
        dis.mig(c, f + 0.5)
    with pytest.raises(DataError, match="differ in width"):
        dis.sap(c, f, c[:, :2], f)
    with pytest.raises(DataError, match=r"\(n, d\)"):
        dis.beta_vae_score(lambda x: x[:, 0], Toy(), np.random.RandomState(0), num_train=2)
