"""Synthesizer and Recommender on the estimator base: scikit-learn conventions, save/load
through run directories, earlier directories, and exact resume."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from vaekit.data.interactions import read_interactions
from vaekit.data.table import Table, from_cells, write_csv
from vaekit.errors import ConfigError, DataError, TrainingInterrupted
from vaekit.io.run import Run, write_run_json
from vaekit.recsys import Recommender
from vaekit.tabular import Synthesizer
from vaekit.train.trainer import Trainer

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(autouse=True)
def _fixed_threads(monkeypatch):
    """One thread, not following the load: fits are bit-for-bit repeatable."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_table(n: int = 40, seed: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    return from_cells({
        "group": list(rng.choice(["a", "b", "c"], n)),
        "x": [f"{v:.3f}" for v in rng.normal(size=n)],
        "count": [str(v) for v in rng.poisson(3, n)],
        "flag": list(rng.choice(["true", "false"], n)),
    })  # fmt: skip


def click_log(path: Path, n_users: int = 60, seed: int = 0) -> Path:
    """Two groups of users, each clicking 5-8 of its own 8 items."""
    rng = np.random.default_rng(seed)
    lines = ["user,item"]
    for u in range(n_users):
        for i in rng.choice(8, size=rng.integers(5, 9), replace=False):
            lines.append(f"u{u},i{(u % 2) * 8 + i}")
    path.write_text("\n".join(lines) + "\n")
    return path


def small_synth(**kw) -> Synthesizer:
    args = dict(epochs=4, batch_size=10, embedding_dim=4, hidden=(8,), max_modes=3,
                random_state=0, device="cpu")  # fmt: skip
    return Synthesizer(**{**args, **kw})


def small_rec(**kw) -> Recommender:
    args = dict(model="mult-vae", epochs=4, batch_size=10, latent_dim=4, hidden=[8],
                heldout_users=6, total_anneal_steps=20, random_state=1, device="cpu")  # fmt: skip
    return Recommender(**{**args, **kw})


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    return click_log(tmp_path_factory.mktemp("clicks") / "log.csv")


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


@contextmanager
def interrupted_at(epoch: int) -> Iterator[None]:
    """Ctrl-C as the Trainer starts epoch ``epoch + 1`` (after ``epoch`` completed); the
    fit inside raises ``TrainingInterrupted``."""
    original = Trainer._train_epoch

    def train_epoch(self, progress):
        if self.state.epoch == epoch:
            raise KeyboardInterrupt
        return original(self, progress)

    with pytest.MonkeyPatch.context() as mp, pytest.raises(TrainingInterrupted):
        mp.setattr(Trainer, "_train_epoch", train_epoch)
        yield


@contextmanager
def counting_epochs() -> Iterator[list[int]]:
    """The epochs (1-based) the Trainer trains inside the block."""
    seen: list[int] = []
    original = Trainer._train_epoch

    def train_epoch(self, progress):
        seen.append(self.state.epoch + 1)
        return original(self, progress)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Trainer, "_train_epoch", train_epoch)
        yield seen


# ---------------------------------------------------------------- scikit-learn conventions
@pytest.mark.parametrize("make", [small_synth, small_rec])
def test_clone_gives_an_unfitted_copy_with_equal_params(make):
    est = make()
    copy = clone(est)
    assert type(copy) is type(est) and copy is not est
    assert copy.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    est.set_params(epochs=7)
    assert clone(est).epochs == 7


def test_not_fitted_error_before_fit():
    for est in (Synthesizer(), Recommender()):
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    with pytest.raises(NotFittedError):
        Synthesizer().sample(3)
    with pytest.raises(NotFittedError):
        Recommender().recommend("u1")
    with pytest.raises(NotFittedError):
        Recommender().save("anywhere")


def test_parameters_are_validated_in_fit_not_in_init(log_path):
    rec = Recommender("svd")  # scikit-learn: __init__ only stores
    assert rec.model == "svd"
    with pytest.raises(ConfigError, match="unknown recommender model 'svd'"):
        rec.fit(log_path)
    with pytest.raises(ConfigError, match="epochs must be a positive integer"):
        small_synth(epochs=0).fit(tiny_table())
    with pytest.raises(ConfigError, match="random_state"):
        small_rec(random_state=-1).fit(log_path)


def test_fitted_attributes_and_features(log_path):
    t = tiny_table()
    synth = small_synth(epochs=1).fit(t)
    check_is_fitted(synth)
    assert synth.n_features_in_ == 4
    assert list(synth.feature_names_in_) == ["group", "x", "count", "flag"]
    assert synth.transformed(t).shape == (40, synth.transformer_.output_dim)
    with pytest.raises(DataError, match="columns differ"):
        synth.transformed(Table({"x": t.columns["x"]}, {"x": "numeric"}))
    rec = small_rec(model="popularity").fit(log_path)
    check_is_fitted(rec)
    assert rec.n_features_in_ == len(rec.items) == 16
    with pytest.raises(DataError, match="expected 16 item columns"):
        rec.score(np.zeros((2, 15)))


def test_deprecated_names_still_work(log_path, tmp_path):
    t = tiny_table()
    with pytest.warns(DeprecationWarning, match="random_state"):
        synth = Synthesizer(epochs=1, batch_size=20, embedding_dim=4, hidden=(8,), seed=4,
                            device="cpu")  # fmt: skip
    assert synth.random_state == 4 and "seed" not in synth.get_params()
    with pytest.warns(DeprecationWarning, match=r"fit\(out=...\)"):
        synth.fit(t, run_dir=tmp_path / "s")
    assert (tmp_path / "s" / "run.json").is_file()
    with pytest.warns(DeprecationWarning):
        assert synth.model is synth.model_
    with pytest.warns(DeprecationWarning):
        assert synth.transformer is synth.transformer_
    with pytest.warns(DeprecationWarning):
        assert synth.seed == 4
    with pytest.warns(DeprecationWarning):
        assert synth.params() == synth.get_params()
    with pytest.warns(DeprecationWarning):
        rec = Recommender("popularity", heldout_users=6, seed=3)
    assert rec.random_state == 3
    with pytest.warns(DeprecationWarning):
        assert rec.model_name == "popularity"
    with pytest.warns(DeprecationWarning):
        assert rec.params()["random_state"] == 3
    with pytest.raises(TypeError, match="unexpected keyword argument 'sed'"):
        Recommender(sed=3)


# ---------------------------------------------------------------- save / load
def test_synthesizer_save_load_gives_identical_samples(tmp_path):
    synth = small_synth().fit(tiny_table())
    synth.save(tmp_path / "s")
    info = json.loads((tmp_path / "s" / "run.json").read_text())
    assert info["kind"] == "synthesizer"
    loaded = Synthesizer.load(tmp_path / "s")
    assert loaded.get_params() == {**synth.get_params(), "hidden": [8]}
    a, b = synth.sample(50, seed=7), loaded.sample(50, seed=7)
    for k in a.names:
        assert list(a.columns[k]) == list(b.columns[k]), k
    assert list(loaded.feature_names_in_) == list(synth.feature_names_in_)


@pytest.mark.parametrize("model", ["mult-vae", "popularity"])
def test_recommender_save_load_gives_identical_scores(model, log_path, tmp_path):
    rec = small_rec(model=model).fit(log_path)
    rec.save(tmp_path / "r")
    loaded = Recommender.load(tmp_path / "r")
    assert loaded.model == model and loaded.n_features_in_ == rec.n_features_in_
    q = [["i1", "i2"], ["i9", "i10", "i11"]]
    np.testing.assert_array_equal(loaded.score(q), rec.score(q))
    assert loaded.evaluate() == rec.evaluate()
    assert loaded.val_scores_ == rec.val_scores_


def test_loading_another_kind_is_refused_in_one_line(log_path, tmp_path):
    small_rec(model="popularity").fit(log_path, out=tmp_path / "rec")
    small_synth(epochs=1).fit(tiny_table(), out=tmp_path / "syn")
    for cls, path, kind in ((Synthesizer, tmp_path / "rec", "recommender"),
                            (Recommender, tmp_path / "syn", "synthesizer"),
                            (Synthesizer, FIXTURES / "recsys_v1" / "mult-vae", "recommender"),
                            (Recommender, FIXTURES / "synth_v1", "synthesizer")):  # fmt: skip
        with pytest.raises(ConfigError) as e:
            cls.load(path)
        assert f"is a {kind} run" in str(e.value) and "\n" not in str(e.value)


def test_directories_of_the_previous_format_still_load():
    synth = Synthesizer.load(FIXTURES / "synth_v1")
    assert synth.random_state == 0 and synth.n_features_in_ == 4
    expected = json.loads((FIXTURES / "synth_v1" / "expected.json").read_text())
    rows = synth.sample_table(expected["n"], seed=expected["sample_seed"])
    assert {k: list(rows.columns[k]) for k in rows.names} == expected["columns"]
    for model in ("mult-vae", "ease"):
        d = FIXTURES / "recsys_v1" / model
        rec = Recommender.load(d)
        assert rec.model == model and rec.random_state == 1
        expected = json.loads((d / "expected.json").read_text())
        np.testing.assert_array_equal(rec.score(expected["query"]),
                                      np.asarray(expected["scores"], np.float32))  # fmt: skip
        assert rec.recommend("u3", 3) == [tuple(p) for p in expected["top"]]
        assert rec.evaluate() == expected["evaluate"]


# ---------------------------------------------------------------- exact resume
def test_synthesizer_resume_is_bit_identical(tmp_path):
    t = tiny_table()
    run = tmp_path / "run"
    with interrupted_at(2):
        small_synth().fit(t, out=run)
    assert (run / "checkpoint" / "state.safetensors").is_file()
    with pytest.raises(Exception, match="did not finish"):
        Synthesizer.load(run)
    with counting_epochs() as trained:
        resumed = Synthesizer.resume(run, t)
    assert trained == [3, 4]  # continued from the checkpoint of epoch 2
    straight = small_synth().fit(t)
    assert_same_weights(resumed.model_, straight.model_)
    assert resumed.transformer_.to_dict() == straight.transformer_.to_dict()
    assert len(Run.open(run, "synthesizer").records()) == 4
    assert_same_weights(Synthesizer.load(run).model_, straight.model_)


def test_recommender_resume_is_bit_identical(log_path, tmp_path):
    run = tmp_path / "run"
    with interrupted_at(2):
        small_rec().fit(log_path, out=run)
    assert (run / "checkpoint" / "state.safetensors").is_file()
    with counting_epochs() as trained:
        resumed = Recommender.resume(run, log_path)
    assert trained == [3, 4]
    straight = small_rec().fit(log_path)
    assert_same_weights(resumed.model_, straight.model_)
    assert resumed.val_scores_ == straight.val_scores_
    assert resumed.epochs_run_ == straight.epochs_run_ == 4
    np.testing.assert_array_equal(Recommender.load(run).score([["i1"]]),
                                  straight.score([["i1"]]))  # fmt: skip


def test_resume_reads_the_data_again_from_run_json(log_path, tmp_path):
    t = tiny_table(50)
    write_csv(t, tmp_path / "t.csv")
    runs = {"synthesizer": tmp_path / "syn", "recommender": tmp_path / "rec"}
    write_run_json(runs["synthesizer"], "synthesizer",
                   data={"path": str(tmp_path / "t.csv"), "types": dict(t.types),
                         "holdout": {"fraction": 0.2, "seed": 0}})  # fmt: skip
    columns = {"user": "user", "item": "item"}
    write_run_json(runs["recommender"], "recommender",
                   data={"path": str(log_path), "columns": columns})  # fmt: skip
    from vaekit.tabular.synthesizer import split_holdout

    rows, _ = split_holdout(50, 0.2, 0)
    table = Synthesizer()._read_source(Run.open(runs["synthesizer"]).info["data"])
    assert len(table) == 40 and list(table.columns["x"]) == list(t.select(rows).columns["x"])
    with interrupted_at(1):
        small_synth(epochs=2).fit(table, out=runs["synthesizer"])
    with interrupted_at(1):
        small_rec(epochs=2).fit(read_interactions(log_path), out=runs["recommender"])
    synth = Synthesizer.resume(runs["synthesizer"])
    rec = Recommender.resume(runs["recommender"], verbose=False)
    assert_same_weights(synth.model_, small_synth(epochs=2).fit(table).model_)
    assert_same_weights(rec.model_, small_rec(epochs=2).fit(log_path).model_)


def test_resume_refuses_other_settings_or_data(log_path, tmp_path):
    run = tmp_path / "run"
    with interrupted_at(1):
        small_rec(epochs=2).fit(log_path, out=run)
    with pytest.raises(ConfigError, match="other settings"):
        small_rec(epochs=3).fit(log_path, out=run, resume=True)
    other = click_log(tmp_path / "other.csv", seed=5)
    with pytest.raises(ConfigError, match="other data"):
        Recommender.resume(run, other)
    with pytest.raises(ConfigError, match="not empty"):
        small_rec(epochs=2).fit(log_path, out=run)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the current names warn about nothing
        small_rec(epochs=2).fit(log_path, out=run, resume=True)


def test_a_fit_stopped_before_its_first_checkpoint_starts_over(tmp_path):
    t = tiny_table()
    run = tmp_path / "run"
    with interrupted_at(0):
        small_synth(epochs=2).fit(t, out=run)
    assert (run / "transformer.json").is_file()
    assert not (run / "checkpoint" / "state.safetensors").exists()
    again = small_synth(epochs=2).fit(t, out=run)  # a fresh fit may take the directory
    assert_same_weights(again.model_, small_synth(epochs=2).fit(t).model_)
    assert Synthesizer.load(run).n_rows_ == 40


def test_random_state_none_or_a_random_state_draws_a_seed(log_path):
    synth = small_synth(epochs=1, random_state=None).fit(tiny_table())
    assert len(synth.sample_table(5)) == 5
    rec = small_rec(model="popularity", random_state=np.random.RandomState(0)).fit(log_path)
    assert len(rec.split_.val_rows) == 6
