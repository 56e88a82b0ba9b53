"""Synthetic tables: the tvae model, the Synthesizer, SDMetrics' quality score, privacy,
ML efficacy, bad tables and the ``vaekit synth`` commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vaekit.cli.app import main
from vaekit.data.table import Table, from_cells, read_csv, write_csv
from vaekit.errors import ConfigError, DataError
from vaekit.models import create_model
from vaekit.tabular import Synthesizer, dcr, ml_efficacy, quality_report
from vaekit.tabular.privacy import copy_share
from vaekit.tabular.quality import (
    contingency_similarity,
    correlation_similarity,
    cramers_v,
    ks_complement,
    tv_complement,
)


def small_table(n: int = 400, seed: int = 0) -> Table:
    """A numeric column that follows a category, an integer, a constant, a boolean."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    x = np.where(group == "a", rng.normal(-3, 0.3, n), rng.normal(4, 1.0, n))
    cells = {
        "group": list(group),
        "x": [f"{v:.4f}" for v in x],
        "count": [str(v) for v in rng.poisson(4, n)],
        "const": ["7"] * n,
        "flag": list(rng.choice(["true", "false"], n)),
    }
    return from_cells(cells)


@pytest.fixture(scope="module")
def fitted() -> tuple[Synthesizer, Table]:
    t = small_table()
    return Synthesizer(epochs=100, batch_size=50, random_state=0, device="cpu").fit(t), t


# ---------------------------------------------------------------- metrics, known answers
def test_ks_and_tv_complements_on_hand_cases():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    assert ks_complement(a, a.copy()) == 1.0
    assert ks_complement(a, a + 10) == 0.0
    # one of four values moved past the others: the CDFs differ by 1/4 on [4, 5)
    assert ks_complement(a, np.array([1.0, 2.0, 3.0, 5.0])) == pytest.approx(0.75)
    assert ks_complement(a, np.array([2.5, 2.5, 3.0, 4.0])) == pytest.approx(0.5)
    assert ks_complement(np.array([1.0, np.nan]), np.array([1.0])) == 1.0  # NaN dropped
    r = np.array(["x", "x", "y", "z"], dtype=object)
    s = np.array(["x", "y", "y", None], dtype=object)  # None dropped: x 1/3, y 2/3
    # TVD = 1/2 (|1/2 - 1/3| + |1/4 - 2/3| + |1/4 - 0|) = 5/12
    assert tv_complement(r, s) == pytest.approx(1 - 5 / 12, abs=1e-6)


def test_pair_metrics_on_hand_cases():
    x = np.arange(10.0)
    score, r = correlation_similarity((x, 2 * x), (x, -x))
    assert r == pytest.approx(1.0) and score == pytest.approx(0.0)
    score, _ = correlation_similarity((x, x**2), (x, x**2))
    assert score == pytest.approx(1.0)
    assert np.isnan(correlation_similarity((x, np.ones(10)), (x, x))[0])  # constant column
    a = np.array(["p", "p", "q", "q"], dtype=object)
    b = np.array(["u", "u", "v", "v"], dtype=object)
    same, v = contingency_similarity((a, b), (a, b))
    assert same == 1.0 and v == pytest.approx(1.0)
    flipped, _ = contingency_similarity((a, b), (a, b[::-1].copy()))
    assert flipped == pytest.approx(0.0)
    assert cramers_v(np.array([[10, 10], [10, 10]])) == pytest.approx(0.0)
    assert cramers_v(np.array([[10, 0], [0, 10]])) == pytest.approx(1.0)


def test_quality_of_a_table_against_itself_is_one_and_shuffling_breaks_pairs():
    t = small_table()
    q = quality_report(t, t)
    assert q["score"] == pytest.approx(1.0) and q["score_all_pairs"] == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    shuffled = Table({k: v[rng.permutation(len(t))] for k, v in t.columns.items()}, t.types)
    q2 = quality_report(t, shuffled)
    assert q2["column_shapes"] == pytest.approx(1.0)  # same marginals
    assert q2["column_pair_trends"] < 0.8  # the group/x dependence is gone


def test_privacy_distances():
    t = small_table(50)
    assert np.all(dcr(t, t) == 0) and copy_share(t, t) == 1.0
    other = Table({k: v.copy() for k, v in t.columns.items()}, t.types)
    other.columns["group"] = np.array(["zzz"] * len(t), dtype=object)  # one column of 5 differs
    assert dcr(other, t) == pytest.approx(np.full(len(t), 0.2))
    assert copy_share(other, t) == 0.0


def test_ml_efficacy_trains_on_real_and_synthetic():
    t = small_table(600)
    out = ml_efficacy(t, t, "group", t)
    assert out["task"] == "classification" and out["metric"] == "f1_macro"
    assert out["real"] == out["synthetic"] > 0.6  # x separates "a" from the rest
    one_class = t.select(np.flatnonzero(t.columns["group"] == "a"))
    assert np.isnan(ml_efficacy(t, t, "group", one_class)["synthetic"])
    with pytest.raises(ConfigError, match="target 'nope'"):
        ml_efficacy(t, t, "nope")


# ---------------------------------------------------------------- model
def test_tvae_loss_weights_the_reconstruction_by_the_loss_factor():
    spans = [["tanh", 1], ["softmax", 3], ["softmax", 2]]
    model = create_model("tvae", spans=spans, latent_dim=4, hidden=[16], loss_factor=2.0)
    x = torch.zeros(8, 6)
    x[:, 0], x[:, 1], x[:, 5] = 0.3, 1.0, 1.0
    torch.manual_seed(0)
    out = model.loss(x)
    torch.manual_seed(0)
    _, _, _, log_px = model.one_sample_terms(x)
    assert out.reconstruction.item() == pytest.approx(-log_px.mean().item(), rel=1e-6)
    assert out.total.item() == pytest.approx(
        2 * out.reconstruction.item() + out.kl.item(), rel=1e-5
    )
    assert create_model("tvae", **model.config).config == model.config


# ---------------------------------------------------------------- synthesizer
def test_samples_follow_the_table(fitted):
    synth, t = fitted
    out = synth.sample_table(2000, seed=1)
    assert out.names == t.names and out.types == t.types and len(out) == 2000
    assert set(out.columns["group"]) <= {"a", "b", "c"}
    assert np.all(out.columns["const"] == 7)  # a one-value column stays that value
    counts = out.columns["count"]
    assert np.all(counts == np.round(counts)) and counts.min() >= t.columns["count"].min()
    assert quality_report(t, out)["column_shapes"] > 0.9
    # the dependence is learned: x is negative for group a, positive otherwise
    a = out.columns["group"] == "a"
    assert np.median(out.columns["x"][a]) < 0 < np.median(out.columns["x"][~a])


def test_conditions_seeds_and_save_load(fitted, tmp_path):
    synth, _ = fitted
    only_c = synth.sample_table(50, where=["group=c"])
    assert set(only_c.columns["group"]) == {"c"}
    assert set(synth.sample_table(20, where={"flag": "true"}).columns["flag"]) == {True}
    a, b = synth.sample_table(100, seed=5), synth.sample_table(100, seed=5)
    assert quality_report(a, b)["score"] == pytest.approx(1.0)  # same seed, same rows
    synth.save(tmp_path)
    loaded = Synthesizer.load(tmp_path)
    c = loaded.sample_table(100, seed=5)
    for k in a.names:
        assert list(a.columns[k]) == list(c.columns[k]), k
    with pytest.raises(ConfigError, match="unknown column 'nope'"):
        synth.sample_table(5, where=["nope=1"])
    with pytest.raises(DataError, match="no such value"):
        synth.sample_table(5, where=["group=d"])
    with pytest.raises(ConfigError, match="is numeric"):
        synth.sample_table(5, where=["x=1"])


def test_pandas_in_pandas_out(fitted):
    pd = pytest.importorskip("pandas")
    _, t = fitted
    synth = Synthesizer(epochs=2, batch_size=200, device="cpu").fit(t.to_pandas())
    df = synth.sample(10)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == t.names


def test_bad_tables_get_clear_messages(fitted):
    synth, t = fitted
    cells = {"a": ["1", "2", "3"], "empty": ["", "", ""]}
    with pytest.raises(DataError, match="'empty' has no values"):
        Synthesizer(epochs=1).fit(from_cells(cells))
    with pytest.raises(DataError, match="mixed numbers and text"):
        from_cells({"n": ["1", "2", "x"]}, {"n": "numeric"})
    assert from_cells({"n": ["1", "2", "x"]}).types == {"n": "categorical"}  # inferred
    with pytest.raises(DataError, match="columns differ"):
        synth.transformed(Table({"x": t.columns["x"]}, {"x": "numeric"}))
    rng = np.random.default_rng(0)
    many = from_cells({"id": [f"u{i}" for i in rng.integers(0, 10_000, 3000)],
                       "v": [f"{v:.3f}" for v in rng.normal(size=3000)]})  # fmt: skip
    s = Synthesizer(epochs=1, max_categories=50, device="cpu").fit(many)
    assert s.transformer_.spans[-1].size <= 50 + 2  # grouped into an "other" slot
    drawn = set(s.sample_table(500).columns["id"])
    assert drawn <= set(many.columns["id"])  # the grouped levels are drawn back by frequency


# ---------------------------------------------------------------- command line
def run_cli(args, capsys):
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_synth_fit_sample_report(tmp_path, capsys):
    t = small_table(300)
    path = tmp_path / "table.csv"
    write_csv(t, path)
    run = tmp_path / "run"
    code, _, err = run_cli(["synth", "fit", path, "--out", run, "--epochs", "3",
                            "--batch-size", "100", "--device", "cpu", "-q"], capsys)  # fmt: skip
    assert code == 0, err
    data = json.loads((run / "run.json").read_text())["data"]  # what resume reads again
    assert data["rows"] == 300 and data["holdout"] == {"fraction": 0.1, "seed": 0}
    assert data["path"] == str(path.resolve()) and set(data["types"]) == set(t.columns)
    out_csv = tmp_path / "synth.csv"
    code, _, err = run_cli(["synth", "sample", run, "-n", "40", "-o", out_csv,
                            "--where", "group=b"], capsys)  # fmt: skip
    assert code == 0, err
    back = read_csv(out_csv, t.types)
    assert len(back) == 40 and set(back.columns["group"]) == {"b"}
    code, out, err = run_cli(["synth", "sample", run, "--num-rows", "5", "-o", out_csv], capsys)
    assert code == 0 and "--num-rows is deprecated" in err and out.strip() == str(out_csv)
    assert len(read_csv(out_csv, t.types)) == 5
    code, out, err = run_cli(["synth", "report", run, "--real", path, "--target", "group"],
                             capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads((run / "report" / "report.json").read_text())
    assert 0 < report["quality"]["score"] <= 1 and report["rows"]["holdout"] == 30
    assert "ml_efficacy" in report and "dcr_holdout_median" in report["privacy"]
    page = (run / "report" / "report.html").read_text()
    assert page.count("data:image/png;base64") == 2 and "quality score" in err
    assert out.strip() == str(run / "report" / "report.html")  # stdout: the file written
    write_csv(t.select(np.arange(100)), tmp_path / "short.csv")
    code, _, err = run_cli(["synth", "report", run, "--real", tmp_path / "short.csv"], capsys)
    assert code == 2 and "100 rows" in err
    code, _, err = run_cli(["train", "--model", "tvae", "--dataset", "mnist"], capsys)
    assert code == 2 and "vaekit synth fit" in err


def test_samples_keep_the_recorded_precision(fitted):
    """`x` was recorded with 4 decimals: samples had 15-digit values."""
    synth, t = fitted
    x = synth.sample_table(300, seed=1).columns["x"]
    np.testing.assert_array_equal(np.round(x, 4), x)
    assert t.columns["x"].min() <= x.min() and x.max() <= t.columns["x"].max()
