"""The VAE outlier detector: scikit-learn / PyOD conventions, scores, files, CLI, errors."""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils import estimator_checks

from vaekit.anomaly import VAEDetector
from vaekit.anomaly.columns import NamedRows
from vaekit.anomaly.metrics import detection_report, precision_at_n
from vaekit.cli.app import main
from vaekit.errors import ConfigError, DataError

ODDS = Path(os.environ.get("VAEKIT_DATA_DIR", "/nonexistent")) / "odds"


def blobs(n: int = 300, n_out: int = 15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inliers near a fixed 2-D plane in 6-D (correlated features); outliers off the plane."""
    basis = np.random.default_rng(100).normal(size=(2, 6))
    rng = np.random.default_rng(seed)
    inl = rng.normal(size=(n, 2)) @ basis + 0.05 * rng.normal(size=(n, 6))
    out = rng.normal(size=(n_out, 6)) * 2.0
    x = np.concatenate([inl, out])
    y = np.r_[np.zeros(n), np.ones(n_out)].astype(int)
    return x, y


@pytest.fixture
def fixed_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One fixed CPU thread: a thread count that follows the machine's load changes the
    order of floating-point sums, and with it the last bits of the weights."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fitted() -> tuple[VAEDetector, np.ndarray, np.ndarray]:
    x, y = blobs()
    return VAEDetector(contamination=0.05, epochs=60, random_state=1).fit(x), x, y


def test_finds_points_off_the_inlier_plane(fitted) -> None:
    det, x, y = fitted
    assert det.data_kind_ == "tabular" and det.n_features_in_ == 6
    for score in ("elbo", "iwae", "recon"):
        det.scoring = score
        assert roc_auc_score(y, det.decision_function(x)) > 0.95, score
    det.scoring = "elbo"
    x2, y2 = blobs(n=200, n_out=10, seed=7)  # fresh rows from the same plane
    assert roc_auc_score(y2, det.decision_function(x2)) > 0.95


def test_threshold_is_the_contamination_quantile_of_training_scores(fitted) -> None:
    det, x, _ = fitted
    s = det.decision_scores_
    assert s.shape == (len(x),)
    assert det.threshold_ == pytest.approx(np.quantile(s, 0.95))
    assert np.array_equal(det.labels_, (s > det.threshold_).astype(int))
    assert abs(det.labels_.mean() - 0.05) <= 1.0 / len(x)
    pred = det.predict(x)
    assert set(np.unique(pred)) <= {0, 1}
    assert np.array_equal(pred, (det.decision_function(x) > det.threshold_).astype(int))


def test_scores_are_deterministic_and_iwae_bounds_elbo(fitted) -> None:
    det, x, _ = fitted
    a, b = det.decision_function(x), det.decision_function(x)
    assert np.array_equal(a, b)
    det.scoring = "iwae"
    iw = det.decision_function(x)
    det.scoring = "elbo"
    # the same seeded draws: -log mean exp(log w) <= -mean(log w) row by row (Jensen)
    assert np.all(iw <= a + 1e-9) and np.mean(a - iw) > 0


def test_same_random_state_gives_the_same_detector(fixed_threads: None) -> None:
    x, _ = blobs(n=120, n_out=5)
    a = VAEDetector(epochs=5, random_state=3).fit(x).decision_function(x)
    b = VAEDetector(epochs=5, random_state=3).fit(x).decision_function(x)
    c = VAEDetector(epochs=5, random_state=4).fit(x).decision_function(x)
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_predict_proba_follows_the_scores(fitted) -> None:
    det, x, _ = fitted
    s = det.decision_function(x)
    for method in ("linear", "unify"):
        p = det.predict_proba(x, method=method)
        assert p.shape == (len(x), 2)
        assert np.allclose(p.sum(1), 1.0) and p.min() >= 0 and p.max() <= 1
        order = np.argsort(s)
        assert np.all(np.diff(p[order, 1]) >= -1e-12)  # monotone in the score
    with pytest.raises(ConfigError, match="unknown method"):
        det.predict_proba(x, method="rank")


def test_sklearn_conventions() -> None:
    det = VAEDetector(contamination=0.2, scoring="recon", epochs=3, hidden=[8])
    assert det.get_params()["contamination"] == 0.2
    c = clone(det)
    assert c.get_params() == det.get_params() and not hasattr(c, "model_")
    assert c.set_params(scoring="iwae") is c and c.scoring == "iwae"
    x, _ = blobs(n=60, n_out=3)
    assert det.fit(x) is det
    assert not hasattr(clone(det), "threshold_")
    name = "VAEDetector"
    estimator_checks.check_get_params_invariance(name, VAEDetector(epochs=2))
    estimator_checks.check_set_params(name, VAEDetector(epochs=2))
    estimator_checks.check_estimators_overwrite_params(name, VAEDetector(epochs=2))
    estimator_checks.check_dont_overwrite_parameters(name, VAEDetector(epochs=2))
    with pytest.raises(NotFittedError):
        VAEDetector().decision_function(x)


def test_save_load_round_trip(fitted, tmp_path: Path) -> None:
    det, x, _ = fitted
    det.save(tmp_path / "det")
    files = sorted(p.name for p in (tmp_path / "det").iterdir())
    assert files == ["estimator.json", "estimator.safetensors", "model.json",
                     "model.safetensors", "run.json"]  # fmt: skip
    back = VAEDetector.load(tmp_path / "det")
    assert back.get_params() == {**det.get_params(), "device": "cpu"}
    assert back.threshold_ == det.threshold_
    assert np.array_equal(back.decision_function(x), det.decision_function(x))
    assert np.array_equal(back.predict(x), det.predict(x))


def test_bad_inputs_get_one_clear_error(fitted) -> None:
    det, x, _ = fitted
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(DataError, match="NaN/inf value.*row 3, column 2"):
        det.decision_function(bad)
    with pytest.raises(DataError, match="X has 5 features, but VAEDetector is expecting 6"):
        det.decision_function(NamedRows(x[:, :5]))  # no names: the count alone
    mixed = x.astype(object)
    mixed[4, 1] = "abc"
    with pytest.raises(DataError, match="column 1 is not numeric"):
        det.decision_function(mixed)
    with pytest.raises(DataError, match="empty"):
        det.decision_function(np.empty((0, 6)))
    with pytest.raises(DataError, match="2-D"):
        det.decision_function(x[0])
    with pytest.raises(DataError, match="NaN/inf"):
        VAEDetector().fit(np.full((10, 3), np.inf))
    with pytest.raises(ConfigError, match="contamination"):
        VAEDetector(contamination=0.7).fit(x)
    with pytest.raises(ConfigError, match="unknown score"):
        VAEDetector(scoring="mahalanobis").fit(x)


def test_images_in_unit_interval_get_a_bernoulli_model() -> None:
    rng = np.random.default_rng(0)
    normal = np.zeros((120, 8, 8))
    normal[:, 2:6, 3:5] = 1.0  # a bar
    normal = np.clip(normal + 0.05 * rng.random(normal.shape), 0, 1)
    odd = rng.random((6, 8, 8))
    x = np.concatenate([normal, odd])
    y = np.r_[np.zeros(120), np.ones(6)]
    det = VAEDetector(epochs=30, latent_dim=2, hidden=[32]).fit(x)
    assert det.data_kind_ == "image" and det.model_.likelihood.needs_unit_interval
    assert roc_auc_score(y, det.decision_function(x)) > 0.95
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        VAEDetector().fit(x * 255)


def test_precision_at_n_and_report() -> None:
    y = np.array([0, 1, 0, 1, 0])
    s = np.array([0.1, 0.9, 0.8, 0.7, 0.0])
    assert precision_at_n(y, s) == 0.5
    rep = detection_report(y, s)
    assert rep["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    with pytest.raises(DataError, match="0 \\(inlier\\) or 1"):
        detection_report(np.array([0, 2, 1, 0, 0]), s)


@pytest.mark.skipif(not (ODDS / "ionosphere.mat").exists(), reason="ODDS data not found")
def test_ionosphere_with_the_pyod_protocol() -> None:
    from scipy.io import loadmat

    m = loadmat(ODDS / "ionosphere.mat")
    x, y = m["X"], m["y"].ravel()
    idx = np.random.default_rng(0).permutation(len(x))
    tr, te = idx[: int(0.6 * len(x))], idx[int(0.6 * len(x)) :]
    det = VAEDetector(random_state=0).fit(x[tr])
    assert roc_auc_score(y[te], det.decision_function(x[te])) > 0.85  # IForest: about 0.85


def test_cli_fit_and_score(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from scipy.io import savemat

    x, y = blobs()
    train_csv = tmp_path / "train.csv"
    with train_csv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{i}" for i in range(6)] + ["is_outlier"])
        w.writerows([[*row, int(lab)] for row, lab in zip(x, y, strict=True)])
    out = tmp_path / "det"
    with pytest.raises(SystemExit) as e:
        main(["anomaly", "fit", str(train_csv), "--out", str(out), "--label-column",
              "is_outlier", "--epochs", "40", "--contamination", "0.05", "-q"])  # fmt: skip
    assert e.value.code == 0
    err = capsys.readouterr().err
    assert "training ROC-AUC" in err
    savemat(tmp_path / "test.mat", {"X": x, "y": y.reshape(-1, 1).astype(float)})
    with pytest.raises(SystemExit) as e:
        main(["anomaly", "score", str(out), str(tmp_path / "test.mat"), "-o",
              str(tmp_path / "scores.csv")])  # fmt: skip
    assert e.value.code == 0
    out_text, err = capsys.readouterr()
    assert out_text.strip() == str(tmp_path / "scores.csv")  # stdout: the file written
    auc = float(err.split("ROC-AUC ")[1].split(",")[0])
    assert auc > 0.95
    with pytest.raises(SystemExit) as e:  # the old spelling still works, with a note
        main(["anomaly", "score", str(out), str(tmp_path / "test.mat"), "--out",
              str(tmp_path / "old.csv")])  # fmt: skip
    assert e.value.code == 0 and "--out is deprecated" in capsys.readouterr().err
    assert len((tmp_path / "old.csv").read_text().splitlines()) == len(x) + 1
    rows = list(csv.reader((tmp_path / "scores.csv").open()))
    assert rows[0] == ["score", "outlier", "label"] and len(rows) == len(x) + 1
    scores = np.array([float(r[0]) for r in rows[1:]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):  # fitted on f0..
        direct = VAEDetector.load(out).decision_function(x)
    assert np.allclose(scores, direct, rtol=1e-5)  # the CLI reads float32
    np.save(tmp_path / "narrow.npy", x[:, :4])
    with pytest.raises(SystemExit) as e:
        main(["anomaly", "score", str(out), str(tmp_path / "narrow.npy")])
    assert e.value.code == 2
    assert "X has 4 features, but VAEDetector is expecting 6" in capsys.readouterr().err


def test_ensemble_scores_are_the_mean_of_its_members(tmp_path: Path) -> None:
    x, y = blobs(n=200, n_out=10)
    ens = VAEDetector(n_models=3, epochs=40, random_state=4).fit(x)
    assert len(ens.models_) == 3
    singles = [VAEDetector(epochs=40, random_state=4 + i).fit(x) for i in range(3)]
    want = np.mean([d.decision_function(x) for d in singles], axis=0)
    assert np.allclose(ens.decision_function(x), want, rtol=1e-6, atol=1e-6)
    back = VAEDetector.load(ens.save(tmp_path / "ens"))
    assert (tmp_path / "ens" / "member-2" / "model.safetensors").is_file()
    assert np.array_equal(back.decision_function(x), ens.decision_function(x))
    assert roc_auc_score(y, ens.decision_function(x)) > 0.9
    with pytest.raises(ConfigError, match="n_models"):
        VAEDetector(n_models=0).fit(x)


def test_cli_ensemble_and_complexity_score(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    x, _ = blobs(n=120, n_out=5)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "det"
    with pytest.raises(SystemExit) as e:
        main(["anomaly", "fit", str(tmp_path / "x.npy"), "--out", str(out), "--n-models", "2",
              "--scoring", "elbo-complexity", "--epochs", "5", "-q"])  # fmt: skip
    assert e.value.code == 0, capsys.readouterr().err
    det = VAEDetector.load(out)
    assert det.n_models == 2 and det.scoring == "elbo-complexity" and len(det.models_) == 2
    with pytest.raises(SystemExit) as e:
        main(["anomaly", "fit", str(tmp_path / "x.npy"), "--out", str(tmp_path / "d2"),
              "--n-models", "0"])  # fmt: skip
    assert e.value.code == 2 and "n_models" in capsys.readouterr().err


def test_cli_fit_output_is_short_and_its_hints_name_its_options(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """No line per epoch (one progress bar), and a collapse warning (forced by a huge KL
    weight) that names options `vaekit anomaly fit` has."""
    x, _ = blobs(n=120, n_out=5)
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(SystemExit) as e:
        main(["anomaly", "fit", str(tmp_path / "x.npy"), "--out", str(tmp_path / "det"),
              "--epochs", "30", "--beta", "200", "--device", "cpu"])  # fmt: skip
    err = capsys.readouterr().err
    assert e.value.code == 0, err
    assert "posterior collapse" in err and "--beta" in err
    assert "--kl-schedule" not in err and "--free-bits" not in err
    assert "epoch 1:" not in err and len(err.strip().splitlines()) <= 6, err
    assert VAEDetector.load(tmp_path / "det").beta == 200.0


# ---------------------------------------------------------------------- the fitted columns
COLUMNS = [f"f{i}" for i in range(6)]


@pytest.fixture(scope="module")
def named_rows() -> tuple[VAEDetector, np.ndarray]:
    """A detector fitted on rows named f0..f5 (NamedRows, as a CSV header gives them)."""
    x, _ = blobs(n=60, n_out=3)
    return VAEDetector(epochs=2, hidden=[8], random_state=0).fit(NamedRows(x, tuple(COLUMNS))), x


def _changed_columns() -> list[tuple[list[int], list[str], str]]:
    """(columns taken from the data, their names, words of the refusal)."""
    return [
        ([0, 1, 3, 4, 5], ["f0", "f1", "f3", "f4", "f5"], "missing 'f2'"),
        ([0, 1, 2, 3, 4, 5, 0], [*COLUMNS, "g"], "extra 'g'"),
        (list(range(6)), ["f0", "F1", "f2", "f3", "f4", "f5"], "'f1' is now 'F1'"),
        ([1, 0, 2, 3, 4, 5], ["f1", "f0", "f2", "f3", "f4", "f5"],
         "same columns in a different order: 'f1', 'f0'"),
    ]  # fmt: skip


@pytest.mark.parametrize(("take", "names", "words"), _changed_columns(),
                         ids=["dropped", "extra", "renamed", "reordered"])  # fmt: skip
def test_named_rows_with_other_columns_are_refused(named_rows, take, names, words) -> None:
    det, x = named_rows
    assert list(det.feature_names_in_) == COLUMNS and det.n_features_in_ == 6
    rows = NamedRows(x[:, take], tuple(names), "new.csv")
    for method in (det.decision_function, det.predict, det.predict_proba):
        with pytest.raises(DataError, match=f"^new.csv: .*{words}") as e:
            method(rows)
        assert "\n" not in str(e.value)
    det.decision_function(NamedRows(x, tuple(COLUMNS)))
    with pytest.warns(UserWarning, match="does not have valid feature names"):  # as sklearn
        det.decision_function(x)  # no names: the count is checked
    with pytest.raises(DataError, match="X has 5 features, but VAEDetector is expecting 6"):
        det.decision_function(NamedRows(x[:, :5]))  # no names: the count alone


@pytest.mark.parametrize(("take", "names", "words"), _changed_columns(),
                         ids=["dropped", "extra", "renamed", "reordered"])  # fmt: skip
def test_data_frames_with_other_columns_are_refused(take, names, words) -> None:
    pd = pytest.importorskip("pandas")
    x, _ = blobs(n=60, n_out=3)
    det = VAEDetector(epochs=2, hidden=[8], random_state=0).fit(pd.DataFrame(x, columns=COLUMNS))
    assert list(det.feature_names_in_) == COLUMNS
    with pytest.raises(DataError, match=f"^X: .*{words}"):
        det.decision_function(pd.DataFrame(x[:, take], columns=names))


def test_a_label_column_in_the_features_gets_a_warning() -> None:
    x, y = blobs(n=60, n_out=3)
    xy = np.c_[x, y]
    with pytest.warns(UserWarning, match="'is_outlier' holds only 0 and 1.*--label-column"):
        VAEDetector(epochs=2, hidden=[8]).fit(NamedRows(xy, (*COLUMNS, "is_outlier")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        VAEDetector(epochs=2, hidden=[8]).fit(xy)  # no names: nothing to go by
        VAEDetector(epochs=2, hidden=[8]).fit(NamedRows(xy, (*COLUMNS, "flag")))
    pd = pytest.importorskip("pandas")
    with pytest.warns(UserWarning, match="'y' holds only 0 and 1"):
        VAEDetector(epochs=2, hidden=[8]).fit(pd.DataFrame(xy, columns=[*COLUMNS, "y"]))


def test_saved_detectors_keep_the_column_names(named_rows, tmp_path: Path) -> None:
    det, x = named_rows
    back = VAEDetector.load(det.save(tmp_path / "det"))
    assert list(back.feature_names_in_) == COLUMNS and back.n_features_in_ == 6
    with pytest.raises(DataError, match="same columns in a different order"):
        back.decision_function(NamedRows(x[:, ::-1], tuple(COLUMNS[::-1])))
