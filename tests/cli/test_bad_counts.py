"""Counts a user can get wrong are refused in one line naming the option, never a traceback:
``impute transform --n-samples 0`` / ``--n-draws -5`` and ``molecules metrics --unique-k``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli


@pytest.fixture(scope="module")
def imputer_run(tmp_path_factory) -> tuple[Path, Path]:
    """A small `vaekit impute fit` run and a CSV with missing cells."""
    root = tmp_path_factory.mktemp("impute")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    lines = ["a,b,c"] + [",".join("" if rng.random() < 0.2 else f"{v:.3f}" for v in row)
                         for row in x]  # fmt: skip
    table = root / "t.csv"
    table.write_text("\n".join(lines) + "\n")
    run = root / "run"
    from vaekit.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["impute", "fit", str(table), "--out", str(run), "--epochs", "2", "-q",
              "--device", "cpu"])  # fmt: skip
    assert done.value.code == 0
    return run, table


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--n-samples", "0"], "--n-samples must be >= 1, got 0"),
        (["--n-draws", "-5"], "--n-draws must be >= 0"),
    ],
)
def test_impute_transform_refuses_bad_counts(imputer_run, tmp_path, capsys, extra, words):
    run, table = imputer_run
    code, _, err = run_cli(["impute", "transform", run, table, "-o", tmp_path / "o.csv",
                            *extra], capsys)  # fmt: skip
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and words in lines[0], err
    assert not (tmp_path / "o.csv").exists()


def test_the_imputer_refuses_zero_importance_samples_from_python(imputer_run):
    from vaekit.errors import ConfigError
    from vaekit.tabular.imputer import VAEImputer

    imp = VAEImputer.load(imputer_run[0])
    imp.n_samples = 0
    with pytest.raises(ConfigError, match="n_samples must be a positive integer"):
        imp.transform(np.array([[np.nan, 1.0, 2.0]]))


@pytest.mark.parametrize("ks", ["0,-3", "0", "1000,-1"])
def test_molecules_metrics_refuses_non_positive_unique_k(tmp_path, capsys, ks):
    generated = tmp_path / "gen.smi"
    generated.write_text("CCO\nc1ccccc1\nCC(=O)O\n")
    code, _, err = run_cli(["molecules", "metrics", generated, "--unique-k", ks], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "--unique-k takes positive integers" in lines[0]


def test_train_reads_a_gzipped_csv_as_its_message_says(tmp_path, capsys):
    """`vaekit train --dataset table.csv.gz` trains (it was refused as an unknown dataset);
    another gzipped array file is refused in one line."""
    import gzip

    rng = np.random.default_rng(0)
    rows = "\n".join(",".join(f"{v:.4f}" for v in r) for r in rng.normal(size=(80, 4)))
    table = tmp_path / "table.csv.gz"
    table.write_bytes(gzip.compress(("a,b,c,d\n" + rows + "\n").encode()))
    code, out, err = run_cli(["train", "--dataset", table, "--epochs", "1", "--hidden", "8",
                              "--latent-dim", "2", "--out", tmp_path / "run", "--device", "cpu",
                              "-q"], capsys)  # fmt: skip
    assert code == 0, err
    assert out.strip().splitlines()[-1] == str(tmp_path / "run")
    bad = tmp_path / "x.npy.gz"
    bad.write_bytes(gzip.compress(b"not an array"))
    code, _, err = run_cli(["train", "--dataset", bad, "--out", tmp_path / "r2"], capsys)
    assert code == 2 and "unknown dataset" in err and ".csv.gz" in err


def test_impute_fit_refuses_zero_epochs(tmp_path, capsys):
    """`impute fit --epochs 0` ran the automatic number of epochs; it is refused, as in
    `synth fit`."""
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n3,\n5,6\n,8\n")
    code, _, err = run_cli(["impute", "fit", table, "--out", tmp_path / "run", "--epochs", "0",
                            "-q"], capsys)  # fmt: skip
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "epochs must be a positive integer" in lines[0]


def test_sample_refuses_a_label_for_a_sequence_model(tmp_path, capsys):
    """`vaekit sample RUN --label 2` on a sequence run drew unconditional samples."""
    text = tmp_path / "lines.txt"
    text.write_text("\n".join(["the cat sat", "a dog ran", "the bird sang"] * 20) + "\n")
    run = tmp_path / "run"
    code, _, err = run_cli(["train", "--model", "seq-vae", "--dataset", text, "--epochs", "1",
                            "--set", "model.embed_dim=8", "--set", "model.rnn_hidden=8",
                            "--set", "model.decoder_hidden=8", "--latent-dim", "2",
                            "--out", run, "--device", "cpu", "-q"], capsys)  # fmt: skip
    assert code == 0, err
    code, _, err = run_cli(["sample", run, "--label", "2", "-o", tmp_path / "s.txt"], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "--label applies to conditional models" in lines[0]
    assert not (tmp_path / "s.txt").exists()


def test_recommend_fit_looks_only_in_the_data_dir_it_is_given(tmp_path, capsys, monkeypatch):
    """`recommend fit --dataset ml-100k --data-dir DIR` with DIR lacking the data used
    $VAEKIT_DATA_DIR's copy without a word; it now says DIR has none."""
    elsewhere = tmp_path / "elsewhere" / "ml-100k"
    elsewhere.mkdir(parents=True)
    (elsewhere / "u.data").write_text("".join(f"{u}\t{i}\t5\t0\n" for u in range(1, 30)
                                              for i in range(1, 12)))  # fmt: skip
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path / "elsewhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(["recommend", "fit", "--dataset", "ml-100k", "--data-dir", empty,
                            "--out", tmp_path / "run", "--epochs", "1", "-q"], capsys)  # fmt: skip
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "not found" in lines[0] and f"looked in {empty}" in lines[0]


def test_synth_report_names_the_missing_column(tmp_path, capsys):
    """`synth report --real` with a column fewer than fitted said "types given for unknown
    columns" although no types were given; it names the missing column."""
    rng = np.random.default_rng(0)
    rows = [f"{g},{v:.3f},{c}" for g, v, c in zip(rng.choice(["a", "b"], 60),
                                                  rng.normal(size=60), rng.poisson(3, 60),
                                                  strict=True)]  # fmt: skip
    table = tmp_path / "t.csv"
    table.write_text("group,x,income\n" + "\n".join(rows) + "\n")
    run = tmp_path / "run"
    code, _, err = run_cli(["synth", "fit", table, "--out", run, "--epochs", "2",
                            "--batch-size", "30", "-q", "--device", "cpu"], capsys)  # fmt: skip
    assert code == 0, err
    fewer = tmp_path / "fewer.csv"
    fewer.write_text("group,x\n" + "\n".join(r.rsplit(",", 1)[0] for r in rows) + "\n")
    code, _, err = run_cli(["synth", "report", run, "--real", fewer, "-q"], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "missing ['income']" in lines[0] and "types given" not in lines[0]
