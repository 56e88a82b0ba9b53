"""`vaekit timeseries fit|impute|sample|report` on a small wide CSV: outputs, the run
directory and its resume, one-line refusals; and the TimeGAN scores on known cases."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from vaekit.timeseries.generation import (
    discriminative_score,
    minmax_windows,
    predictive_score,
)

FIT = ["--window", "12", "--stride", "2", "--epochs", "2", "--latent-dim", "2", "--device", "cpu"]


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory) -> Path:
    """60 days of 3 channels with a few empty cells and one missing day (2020-01-10)."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("ts") / "s.csv"
    t = np.arange(60)
    values = np.column_stack([np.sin(t / 5), np.cos(t / 5), rng.normal(size=60)]) * 10 + 20
    lines = ["date,a,b,c"]
    for i in t:
        if i == 9:
            continue  # a gap in the time index
        cells = [f"{v:.3f}" if rng.random() > 0.1 else "" for v in values[i]]
        lines.append(f"{np.datetime64('2020-01-01') + i},{','.join(cells)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def fitted(series_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "ts"
    with pytest.MonkeyPatch.context():
        from vaekit.cli.app import main

        with pytest.raises(SystemExit) as done:
            main(["timeseries", "fit", str(series_csv), "--out", str(out), "-q", *FIT])
    assert done.value.code == 0
    return out


def test_fit_writes_a_timeseries_run(fitted, series_csv):
    info = json.loads((fitted / "run.json").read_text())
    assert info["kind"] == "timeseries"
    assert info["data"]["path"] == str(series_csv.resolve())
    assert (fitted / "model.safetensors").is_file() and (fitted / "estimator.json").is_file()
    assert len((fitted / "metrics.jsonl").read_text().splitlines()) == 2


def test_impute_fills_every_step_and_keeps_observed_cells(fitted, series_csv, tmp_path, capsys):
    out = tmp_path / "filled.csv"
    code, stdout, err = run_cli(["timeseries", "impute", fitted, "-o", out, "--n-draws", "4"],
                                capsys)  # fmt: skip
    assert code == 0, err
    assert stdout.strip() == str(out) and "filled" in err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 60 and rows[9]["time"] == "2020-01-10"  # the missing day is a row
    assert all(r[c] != "" for r in rows for c in ("a", "b", "c"))
    source = {r[0]: r for r in csv.reader(series_csv.open())}
    for r in rows:
        old = source.get(r["time"])
        for j, c in enumerate(("a", "b", "c"), start=1):
            if old and old[j]:
                assert float(r[c]) == pytest.approx(float(old[j]), abs=1e-3)  # observed kept
                assert float(r[f"{c}_lo"]) == float(r[f"{c}_hi"]) == pytest.approx(float(r[c]))
            else:
                assert float(r[f"{c}_lo"]) <= float(r[f"{c}_hi"])


def test_sample_writes_windows(fitted, tmp_path, capsys):
    out = tmp_path / "w.csv"
    code, _, err = run_cli(["timeseries", "sample", fitted, "-n", "3", "-o", out], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 3 * 12 and rows[-1]["window"] == "2" and rows[-1]["step"] == "11"
    out = tmp_path / "long.csv"
    code, _, err = run_cli(["timeseries", "sample", fitted, "-n", "2", "--length", "100",
                            "-o", out], capsys)  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 200 and rows[-1]["series"] == "1" and rows[-1]["step"] == "99"
    assert "2 series of 100 steps" in err


def test_report_scores_held_out_entries_beside_baselines(fitted, tmp_path, capsys):
    fig = tmp_path / "f.png"
    code, _, err = run_cli(["timeseries", "report", fitted, "--channel", "b", "-o", fig],
                           capsys)  # fmt: skip
    assert code == 0, err
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("model", "mean", "last observation", "linear interpolation"):
        assert name in err
    report = json.loads((fitted / "report.json").read_text())
    assert set(report["errors"]) == {"model", "mean", "last observation",
                                     "linear interpolation"}  # fmt: skip
    assert 0 <= report["coverage_90"] <= 1 and report["n_hidden"] > 0


@pytest.mark.parametrize(("args", "words"), [
    (["--model", "lstm"], "unknown model 'lstm'"),
    (["--window", "1"], "window must be >= 2"),
    (["--columns", "a,z"], "no column 'z'"),
    (["--freq", "3x"], "unknown --freq '3x'"),
])  # fmt: skip
def test_fit_refuses_bad_options_in_one_line(series_csv, tmp_path, capsys, args, words):
    code, _, err = run_cli(["timeseries", "fit", series_csv, "--out", tmp_path / "x", *args],
                           capsys)  # fmt: skip
    assert code == 2 and words in err and "Traceback" not in err


def test_train_refuses_a_series_model_naming_the_command(capsys, tmp_path):
    code, _, err = run_cli(["train", "--model", "gp-vae", "--out", tmp_path / "t"], capsys)
    assert code == 2 and "vaekit timeseries fit" in err


# ------------------------------------------------------------------ TimeGAN's scores
def _waves(n: int, seed: int) -> np.ndarray:
    """Windows of 6 channels in [0, 1]: five sines of random phase and frequency, and a last
    channel that repeats the first one step later (so it can be predicted one step ahead)."""
    rng = np.random.default_rng(seed)
    t = np.arange(25)[None, :, None]
    x = 0.5 + 0.4 * np.sin(rng.uniform(0.1, 0.3, (n, 1, 5)) * t
                           + rng.uniform(0, 2 * np.pi, (n, 1, 5)))  # fmt: skip
    return np.concatenate([x[:, 1:], x[:, :-1, :1]], axis=2)  # (n, 24, 6)


def test_the_discriminator_tells_noise_from_waves_but_not_waves_from_waves():
    real, same = _waves(400, 0), _waves(400, 1)
    noise = np.random.default_rng(2).random((400, 24, 6))
    assert discriminative_score(real, noise, iterations=500) > 0.25  # 0.31 here
    assert discriminative_score(real, same, iterations=500) < 0.1


def test_the_predictor_trained_on_noise_predicts_worse():
    real = _waves(400, 0)
    noise = np.random.default_rng(2).random((400, 24, 6))
    on_real = predictive_score(real, real, iterations=1000)
    on_noise = predictive_score(noise, real, iterations=1000)
    assert on_real < 0.5 * on_noise


def test_timegan_windows_and_bad_input():
    values = np.arange(60, dtype=float).reshape(30, 2)
    w = minmax_windows(values, 24)  # TimeGAN leaves the last window out: 30 - 24 windows
    assert w.shape == (6, 24, 2) and w.min() == 0
    assert w.max() == pytest.approx(28 / 29, abs=1e-6)
    with pytest.raises(Exception, match="same shape"):
        discriminative_score(w, w[:, :12])


def test_report_with_generation_scores(tmp_path, capsys, monkeypatch, fitted):
    """--generation scores generated windows (TimeGAN protocol; the post-hoc GRUs cut to a
    few steps here) and refuses a series with missing values."""
    from vaekit.timeseries import generation

    for name in ("discriminative_score", "predictive_score"):
        full = getattr(generation, name)
        monkeypatch.setattr(generation, name,
                            lambda a, b, seed=0, _f=full: _f(a, b, seed, iterations=20))
    rng = np.random.default_rng(1)
    days = np.datetime64("2020-01-01") + np.arange(80)
    x = np.cumsum(rng.normal(size=(80, 3)), 0)
    path = tmp_path / "complete.csv"
    path.write_text("date,a,b,c\n" + "\n".join(f"{d}," + ",".join(f"{v:.4f}" for v in row)
                                               for d, row in zip(days, x, strict=True)))
    run = tmp_path / "g"
    code, _, err = run_cli(["timeseries", "fit", path, "--out", run, "--model", "rnn-vae",
                            "--scaling", "minmax", "-q", *FIT], capsys)  # fmt: skip
    assert code == 0, err
    code, _, err = run_cli(["timeseries", "report", run, "--generation"], capsys)
    assert code == 0, err
    scores = json.loads((run / "report.json").read_text())["generation"]
    assert 0 <= scores["discriminative"] <= 0.5 and scores["predictive"] > 0
    assert "discriminative" in err and "real data" in err
    assert set(scores["ks"]) == {"a", "b", "c"} and 0 <= scores["ks_mean"] <= 1
    assert scores["acf_gap"] >= 0
    assert (run / "plots" / "generation.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = run_cli(["timeseries", "sample", run, "--length", "50", "-o",
                            tmp_path / "long.csv"], capsys)  # fmt: skip
    assert code == 2 and "need gp-vae" in err
    code, _, err = run_cli(["timeseries", "report", fitted, "--generation"], capsys)
    assert code == 2 and "complete series" in err
