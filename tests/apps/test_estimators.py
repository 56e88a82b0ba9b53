"""The estimator base under VAEDetector and VAEImputer: scikit-learn's own checks, clone and
check_is_fitted, run directories (save/load, older formats, other kinds), rows that score
alike in any company, and fits interrupted and resumed bit for bit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_is_fitted

import vaekit.estimators.fitting as fitting
from vaekit.anomaly import VAEDetector
from vaekit.errors import ConfigError, DataError, TrainingInterrupted
from vaekit.io.model_io import save_model
from vaekit.io.run import write_run_json
from vaekit.io.safe import save_tensors
from vaekit.tabular import VAEImputer


def small_detector(**kw: Any) -> VAEDetector:
    return VAEDetector(**{"epochs": 3, "hidden": [8], "n_samples": 4, "device": "cpu", **kw})


def small_imputer(**kw: Any) -> VAEImputer:
    return VAEImputer(**{"epochs": 3, "hidden": (8,), "k": 2, "n_samples": 8, "device": "cpu",
                         **kw})  # fmt: skip


def rows(n: int = 60, seed: int = 0) -> np.ndarray:
    """Correlated rows: one factor behind five columns."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1)) @ np.array([[1.0, -2.0, 0.5, 3.0, 1.5]]) + 0.1 * rng.normal(
        size=(n, 5)
    )


def with_holes(x: np.ndarray, seed: int = 1) -> np.ndarray:
    out = x.copy()
    out[np.random.default_rng(seed).random(x.shape) < 0.3] = np.nan
    out[np.isnan(out).all(1), 0] = 1.0  # no row without an observed value
    return out


@pytest.fixture
def fixed_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One fixed CPU thread: bit-identical results need the same order of float sums."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("est", [small_detector(epochs=2), small_imputer(epochs=2)],
                         ids=["detector", "imputer"])  # fmt: skip
def test_scikit_learn_estimator_checks_pass(est: Any) -> None:
    results = check_estimator(est, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]  # fmt: skip
    assert not failed
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= {"check_array_api_input"}  # scikit-learn's own: needs SCIPY_ARRAY_API
    assert len(results) >= 40


def test_clone_and_check_is_fitted() -> None:
    x = rows()
    for est, data in ((small_detector(contamination=0.2), x), (small_imputer(), with_holes(x))):
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
        c = clone(est)
        assert c.get_params() == est.get_params()
        est.fit(data)
        check_is_fitted(est)
        assert est.n_features_in_ == 5
        fresh = clone(est)
        with pytest.raises(NotFittedError):
            check_is_fitted(fresh)
        assert not hasattr(fresh, "model_")


def test_score_is_now_scoring_with_a_deprecation_path() -> None:
    with pytest.warns(FutureWarning, match="scoring"):
        det = VAEDetector(score="iwae")
    assert det.scoring == "iwae" and "score" not in det.get_params()
    with pytest.warns(FutureWarning, match="scoring"):
        assert det.set_params(score="recon").scoring == "recon"
    with pytest.raises(TypeError, match="unexpected keyword argument 'scor'"):
        VAEDetector(scor="elbo")
    assert not hasattr(VAEDetector(), "score")  # scikit-learn's ``score`` is not shadowed


def test_feature_names_are_recorded_and_checked() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(rows(), columns=list("abcde"))
    det = small_detector().fit(df)
    assert list(det.feature_names_in_) == list("abcde")
    det.decision_function(df)
    with pytest.raises(DataError, match="feature names should match"):
        det.decision_function(df.rename(columns={"a": "z"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        det.decision_function(df.to_numpy())
    imp = small_imputer().fit(with_holes(rows()))
    with pytest.raises(DataError, match="X has 4 features, but VAEImputer is expecting 5"):
        imp.transform(with_holes(rows())[:, :4])


def test_sparse_and_complex_input_are_refused_in_one_line() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    x = rows()
    for est in (small_detector(), small_imputer()):
        with pytest.raises(DataError, match="sparse input is not supported"):
            est.fit(sparse.csr_matrix(x))
        with pytest.raises(DataError, match="Complex data not supported"):
            est.fit(x + 1j)


# ---------------------------------------------------------------------- rows in any company
def test_a_rows_result_does_not_depend_on_the_other_rows() -> None:
    x = rows(80)
    det = small_detector(n_models=2).fit(x)
    for scoring in ("elbo", "iwae", "recon", "elbo-complexity"):
        det.scoring = scoring
        full = det.decision_function(x)
        alone = np.array([det.decision_function(x[i : i + 1])[0] for i in range(10)])
        np.testing.assert_allclose(alone, full[:10], rtol=1e-6)
        order = np.random.default_rng(0).permutation(len(x))
        np.testing.assert_allclose(det.decision_function(x[order]), full[order], rtol=1e-6)
    xm = with_holes(x)
    imp = small_imputer().fit(xm)
    full = imp.transform(xm)
    close = {"rtol": 1e-6, "atol": 1e-6}  # float32 networks: rounding differs with the batch
    alone = np.concatenate([imp.transform(xm[i : i + 1]) for i in range(10)])
    np.testing.assert_allclose(alone, full[:10], **close)
    order = np.random.default_rng(1).permutation(len(x))
    np.testing.assert_allclose(imp.transform(xm[order]), full[order], **close)
    draws = imp.sample_imputations(xm, n_draws=3)
    np.testing.assert_allclose(imp.sample_imputations(xm[order], n_draws=3), draws[:, order],
                               **close)  # fmt: skip
    np.testing.assert_allclose(imp.sample_imputations(xm[:1], n_draws=3), draws[:, :1], **close)
    assert np.array_equal(imp.transform(xm), full)  # and the same every time


# ---------------------------------------------------------------------- run directories
def test_save_load_round_trips_are_identical(tmp_path: Path) -> None:
    x = rows()
    det = small_detector(n_models=2, scoring="iwae").fit(x)
    back = VAEDetector.load(det.save(tmp_path / "det"))
    assert json.loads((tmp_path / "det" / "run.json").read_text())["kind"] == "detector"
    assert back.get_params() == det.get_params()
    assert np.array_equal(back.decision_function(x), det.decision_function(x))
    assert np.array_equal(back.predict(x), det.predict(x)) and back.threshold_ == det.threshold_
    xm = with_holes(x)
    imp = small_imputer().fit(xm)
    back = VAEImputer.load(imp.save(tmp_path / "imp"))
    assert back.get_params() == imp.get_params()
    assert np.array_equal(back.transform(xm), imp.transform(xm))
    assert np.array_equal(back.sample_imputations(xm, 2), imp.sample_imputations(xm, 2))


def test_a_run_of_another_kind_is_refused_in_one_line(tmp_path: Path) -> None:
    x = rows()
    small_detector().fit(x, out=tmp_path / "det")
    with pytest.raises(ConfigError, match=r"is a detector run \(made by 'vaekit anomaly fit'\)"):
        VAEImputer.load(tmp_path / "det")
    small_imputer().fit(with_holes(x)).save(tmp_path / "imp")
    with pytest.raises(ConfigError, match="is an imputer run") as e:
        VAEDetector.load(tmp_path / "imp")
    assert "\n" not in str(e.value)
    write_run_json(tmp_path / "train", "train")
    with pytest.raises(ConfigError, match="is a train run"):
        VAEDetector.load(tmp_path / "train")
    with pytest.raises(ConfigError, match="not a vaekit run directory"):
        VAEDetector.load(tmp_path)


def save_detector_as_before(det: VAEDetector, directory: Path) -> None:
    """What ``VAEDetector.save`` wrote before run directories had ``run.json``."""
    save_model(det.models_[0], directory)
    for i, member in enumerate(det.models_[1:], 1):
        save_model(member, directory / f"member-{i}")
    tensors = {"decision_scores": torch.from_numpy(det.decision_scores_)}
    if det.data_kind_ == "tabular":
        tensors["mean"] = torch.from_numpy(np.asarray(det.mean_, dtype=np.float64))
        tensors["scale"] = torch.from_numpy(np.asarray(det.scale_, dtype=np.float64))
    save_tensors(directory / "detector.safetensors", tensors)
    params = det.get_params()
    params["score"] = params.pop("scoring")  # the parameter's name then
    meta = {"params": params, "data_kind": det.data_kind_, "input_shape": list(det.input_shape_),
            "threshold": det.threshold_, "epochs": det.epochs_, "batch_size": det.batch_size_}
    (directory / "detector.json").write_text(json.dumps(meta, indent=2))


def save_imputer_as_before(imp: VAEImputer, directory: Path) -> None:
    """What ``VAEImputer.save`` wrote before run directories had ``run.json``."""
    save_model(imp.model_, directory)
    meta = {"params": {**imp.get_params(), "hidden": list(imp.hidden)},
            "data_kind": imp.data_kind_, "likelihood": imp.likelihood_,
            "shape": list(imp.shape_), "mean": imp.mean_.tolist(),
            "scale": imp.scale_.tolist(), "epochs": imp.epochs_,
            "layout": imp.layout_.to_json() if imp.layout_ is not None else None}  # fmt: skip
    (directory / "imputer.json").write_text(json.dumps(meta))


def test_directories_saved_before_run_json_still_load(tmp_path: Path) -> None:
    x = rows()
    det = small_detector(n_models=2, random_state=3).fit(x)
    save_detector_as_before(det, tmp_path / "det")
    back = VAEDetector.load(tmp_path / "det")
    assert back.get_params() == det.get_params() and back.n_features_in_ == 5
    assert np.array_equal(back.decision_function(x), det.decision_function(x))
    assert np.array_equal(back.labels_, det.labels_)
    xm = with_holes(x)
    imp = small_imputer().fit(xm)
    save_imputer_as_before(imp, tmp_path / "imp")
    back = VAEImputer.load(tmp_path / "imp")
    assert back.get_params() == imp.get_params()
    assert np.array_equal(back.transform(xm), imp.transform(xm))
    with pytest.raises(ConfigError, match="is a detector run"):
        VAEImputer.load(tmp_path / "det")


# ---------------------------------------------------------------------- resume
def stop_after(monkeypatch: pytest.MonkeyPatch, epoch: int, training: int = 0) -> list[int]:
    """Make the ``training``-th model trained from now on stop (as Ctrl-C would) after
    ``epoch``; returns the list that counts the trainings started."""
    started: list[int] = []

    class Stopping(fitting.Trainer):
        def __init__(self, *args: Any, on_epoch: Any = None, **kwargs: Any) -> None:
            index = len(started)
            started.append(index)

            def stop(record: dict[str, Any]) -> None:
                if on_epoch is not None:
                    on_epoch(record)
                if index == training and record["epoch"] == epoch:
                    raise KeyboardInterrupt

            super().__init__(*args, on_epoch=stop, **kwargs)

    monkeypatch.setattr(fitting, "Trainer", Stopping)
    return started


def weights(models: list[Any]) -> list[torch.Tensor]:
    return [t for m in models for t in m.state_dict().values()]


def test_detector_fit_resumes_bit_identical(tmp_path: Path, fixed_threads: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    x = rows(90)
    straight = small_detector(n_models=2, epochs=4).fit(x, out=tmp_path / "straight")
    run = tmp_path / "run"
    stop_after(monkeypatch, epoch=2, training=1)  # member 1, after its epoch 2
    with pytest.raises(TrainingInterrupted):
        small_detector(n_models=2, epochs=4).fit(x, out=run)
    assert (run / "member-1" / "checkpoint" / "state.safetensors").is_file()
    assert (run / "model.safetensors").is_file()  # member 0 had finished
    with pytest.raises(Exception, match="did not finish"):
        VAEDetector.load(run)
    started = stop_after(monkeypatch, epoch=-1)  # count the trainings, stop none
    det = VAEDetector.resume(run, x)
    assert started == [0]  # only member 1 trained again: the finished member was kept
    assert all(torch.equal(a, b) for a, b in zip(weights(det.models_), weights(straight.models_),
                                                 strict=True))  # fmt: skip
    assert np.array_equal(det.decision_scores_, straight.decision_scores_)
    assert np.array_equal(det.decision_function(x), straight.decision_function(x))
    assert np.array_equal(VAEDetector.load(run).decision_function(x), det.decision_function(x))
    lines = (run / "member-1" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == [1, 2, 3, 4]
    with pytest.raises(ConfigError, match="other data"):
        VAEDetector.resume(run, x[:-1])
    with pytest.raises(ConfigError, match="not empty"):
        small_detector(n_models=2, epochs=4).fit(x, out=run)


def test_detector_resumes_from_the_data_recorded_in_run_json(
    tmp_path: Path, fixed_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    np.save(tmp_path / "x.npy", rows(50))
    source = {"path": str(tmp_path / "x.npy")}
    x = small_detector()._read_source(source)  # the rows as `vaekit anomaly fit` reads them
    run = tmp_path / "run"
    write_run_json(run, "detector", data=source)  # as the command line records its data
    stop_after(monkeypatch, epoch=1)
    with pytest.raises(TrainingInterrupted):
        small_detector().fit(x, out=run)
    monkeypatch.undo()
    det = VAEDetector.resume(run)
    straight = small_detector().fit(x)
    assert np.array_equal(det.decision_function(x), straight.decision_function(x))


def test_imputer_fit_resumes_bit_identical(tmp_path: Path, fixed_threads: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    xm = with_holes(rows(90))
    straight = small_imputer(epochs=4).fit(xm)
    run = tmp_path / "run"
    stop_after(monkeypatch, epoch=2)
    with pytest.raises(TrainingInterrupted):
        small_imputer(epochs=4).fit(xm, out=run)
    assert (run / "checkpoint" / "state.safetensors").is_file()
    monkeypatch.undo()
    imp = VAEImputer.resume(run, xm)
    assert all(torch.equal(a, b) for a, b in zip(weights([imp.model_]),
                                                 weights([straight.model_]), strict=True))
    assert np.array_equal(imp.transform(xm), straight.transform(xm))
    assert np.array_equal(VAEImputer.load(run).transform(xm), straight.transform(xm))
