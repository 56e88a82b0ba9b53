"""End to end through the command line, on a 600-image MNIST subset."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib.image as mpimg
import pytest
import torch

from helpers import run_cli
from vaekit.models import list_models

TRAIN = ["--hidden", "64,32", "--latent-dim", "4", "--batch-size", "64", "--device", "cpu", "-q"]


def test_train_evaluate_sample_resume(mnist_subset, tmp_path, capsys):
    run = tmp_path / "run"
    code, out, err = run_cli(
        ["train", "--data-dir", mnist_subset, "--epochs", "2", "--out", run, *TRAIN], capsys
    )
    assert code == 0, err
    assert out.strip().endswith(str(run))
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2

    code, out, err = run_cli(["evaluate", run], capsys)
    assert code == 0, err
    ev = json.loads((run / "evaluation.json").read_text())["test"]
    assert ev["n"] == 200 and ev["kl"] >= 0
    assert ev["loss"] == pytest.approx(ev["reconstruction"] + ev["kl"])
    assert 0 <= ev["active_units"] <= 4 and 0 <= ev["probe_accuracy"] <= 1
    assert "reconstruction" in out and "active_units" in out

    code, out, err = run_cli(
        ["evaluate", run, "--iw", "20", "--metrics", "elbo", "--split", "val"], capsys
    )
    assert code == 0, err
    ev = json.loads((run / "evaluation.json").read_text())
    assert ev["val"]["iw_k"] == 20 and ev["val"]["nll"] <= ev["val"]["loss"] + 0.5
    assert "nll" not in ev["test"]  # each split keeps its own results

    png = tmp_path / "s.png"
    code, _, err = run_cli(["sample", run, "-n", "16", "-o", png], capsys)
    assert code == 0, err
    img = mpimg.imread(png)
    assert img.shape[:2] == (4 * 30 + 2, 4 * 30 + 2) and img.std() > 0.01

    code, _, err = run_cli(["train", "--resume", run, "--epochs", "3", "-q"], capsys)
    assert code == 0, err
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3


def test_cvae_sample_label_and_config_file(mnist_subset, tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"model:\n  name: cvae\ndata:\n  data_dir: {mnist_subset}\n  binarize: static\n"
        "train:\n  epochs: 1\n"
    )
    run = tmp_path / "cv"
    code, _, err = run_cli(
        ["train", "--config", cfg, "--out", run, "--set", "model.latent_dim=3", *TRAIN[:2], "-q"],
        capsys,
    )
    assert code == 0, err
    spec = json.loads((run / "model.json").read_text())
    assert (
        spec["model"] == "cvae"
        and spec["config"]["num_classes"] == 10
        and spec["config"]["latent_dim"] == 3
    )
    code, _, err = run_cli(
        ["sample", run, "-n", "8", "--label", "7", "-o", tmp_path / "seven.png"], capsys
    )
    assert code == 0, err
    code, _, err = run_cli(["sample", run, "--label", "12", "-o", tmp_path / "x.png"], capsys)
    assert code == 2 and "--label must be in [0, 10)" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--bogus"], "No such option: --bogus"),
        (["train", "--epochs", "many"], "Invalid value for '--epochs'"),
        (["train", "--binarize", "sometimes"], "bad value for data.binarize: 'sometimes'"),
        (["train", "--model", "gan"], "unknown model 'gan'"),
        (["train", "--arch", "rnn"], "bad value for model.arch"),
        (["train", "--set", "train.epochs=-1"], "train.epochs"),
        (["train", "--dataset", "nowhere.csv"], "nowhere.csv: file not found"),
        (
            ["train", "--resume", "x", "--lr", "1"],
            "with --resume only --epochs, --device and --threads",
        ),
        (["evaluate", "not-a-run"], "not-a-run is not a vaekit run directory"),
        (["evaluate", "x", "--iw", "0"], "--iw must be >= 1"),
        (["train", "--model", "iwae", "--iw-samples", "0"], "bad value for model.iw_samples: 0"),
        (["sample", "not-a-run", "-o", "a.gif"], "output must end in .png, .npy or .csv"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_non_safetensors_model_is_refused_by_the_cli(mnist_subset, tmp_path, capsys):
    run = tmp_path / "r"
    assert (
        run_cli(
            ["train", "--data-dir", mnist_subset, "--epochs", "1", "--out", run, *TRAIN], capsys
        )[0]
        == 0
    )
    torch.save({"w": torch.zeros(2)}, run / "model.safetensors")
    code, _, err = run_cli(["sample", run, "-o", tmp_path / "s.png"], capsys)
    assert code == 2 and "not a safetensors file" in err


def test_tabular_csv_with_labels_and_sample_values(tmp_path, capsys):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 3, generator=g) * torch.tensor([1.0, 10.0, 100.0]) + 50
    rows = "\n".join(
        ",".join(f"{v:.4f}" for v in r) + f",{i % 2}" for i, r in enumerate(x.tolist())
    )
    (tmp_path / "t.csv").write_text("a,b,c,label\n" + rows + "\n")
    run = tmp_path / "tab"
    code, _, err = run_cli(
        [
            "train",
            "--dataset",
            tmp_path / "t.csv",
            "--set",
            "data.label_column=label",
            "--epochs",
            "2",
            "--out",
            run,
            "--hidden",
            "16",
            "--latent-dim",
            "2",
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    text = (run / "config.yaml").read_text()
    assert "likelihood: gaussian-learned" in text and "standardize: true" in text
    out = tmp_path / "gen.csv"
    assert run_cli(["sample", run, "-n", "500", "-o", out], capsys)[0] == 0
    import numpy as np

    gen = np.loadtxt(out, delimiter=",")
    assert gen.shape == (500, 3)
    # samples come back in the data's units (means near 50, spreads ordered like the data)
    assert np.allclose(gen.mean(0), 50, atol=30)
    assert gen.std(0)[0] < gen.std(0)[1] < gen.std(0)[2]


@pytest.mark.e2e  # a fresh process
def test_python_dash_m_and_models_listing():
    out = subprocess.run(
        [sys.executable, "-m", "vaekit", "models"], capture_output=True, text=True, check=True
    )
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names == [e.name for e in list_models()] and {"vae", "iwae", "cvae"} <= set(names)


def test_iwae_from_the_cli(mnist_subset, tmp_path, capsys):
    run = tmp_path / "iw"
    args = ["train", "--model", "iwae", "--iw-samples", "3", "--data-dir", mnist_subset]
    code, _, err = run_cli([*args, "--epochs", "1", "--out", run, *TRAIN], capsys)
    assert code == 0, err
    assert json.loads((run / "model.json").read_text())["config"]["iw_samples"] == 3
    code, _, err = run_cli(["evaluate", run, "--metrics", "nope"], capsys)
    assert code == 2 and "unknown metric 'nope'" in err


@pytest.mark.parametrize(
    "flags",
    [
        ["--posterior", "iaf", "--flow-steps", "2"],
        ["--prior", "mog"],
        ["--prior", "vamp", "--prior-components", "20"],
        ["--posterior", "planar"],
    ],  # fmt: skip
)
def test_flow_posteriors_and_learned_priors_from_the_cli(flags, mnist_subset, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--data-dir", mnist_subset, "--epochs", "1", "--out", run, *TRAIN, *flags]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    config = json.loads((run / "model.json").read_text())["config"]
    assert config[flags[0][2:]] == flags[1]
    code, out, err = run_cli(["evaluate", run, "--iw", "20", "--metrics", "elbo"], capsys)
    assert code == 0, err
    result = json.loads((run / "evaluation.json").read_text())["test"]
    assert result["nll"] <= result["loss"] + 1.0  # L_20 is no looser than the ELBO (+ MC noise)
    code, _, err = run_cli(["sample", run, "-n", "4", "-o", tmp_path / "s.png"], capsys)
    assert code == 0, err


def test_unknown_prior_is_one_line(capsys, tmp_path):
    code, _, err = run_cli(["train", "--prior", "gamma", "--out", tmp_path / "r"], capsys)
    assert code == 2 and "bad value for model.prior: 'gamma'" in err and err.count("\n") == 1


def test_hvae_without_warmup_gets_advice(mnist_subset, tmp_path, capsys):
    args = ["train", "--model", "hvae", "--data-dir", mnist_subset, "--epochs", "1", *TRAIN]
    code, _, err = run_cli([*args, "--out", tmp_path / "constant"], capsys)
    assert code == 0, err
    assert "note: hvae with a constant KL weight" in " ".join(err.split())
    assert "--kl-schedule linear --warmup-epochs N" in " ".join(err.split())
    warm = ["--kl-schedule", "linear", "--warmup-epochs", "1", "--out", tmp_path / "warm"]
    code, _, err = run_cli([*args, *warm], capsys)
    assert code == 0, err
    assert "note:" not in err
    code, _, err = run_cli([*args[:2], "vae", *args[3:], "--out", tmp_path / "vae"], capsys)
    assert code == 0, err
    assert "note:" not in err


def test_train_reads_and_prepares_its_data_once(mnist_subset, tmp_path, capsys, monkeypatch):
    """Training and the held-out loss at the end share one read of the data (so does a
    resume)."""
    import importlib

    import vaekit.data

    real, calls = vaekit.data.build_data, []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    for module in list(sys.modules.values()):  # every module that bound the name
        if getattr(module, "__name__", "").startswith("vaekit") and (
            getattr(module, "build_data", None) is real
        ):
            monkeypatch.setattr(module, "build_data", counted)
    for name in ("vaekit.train.api", "vaekit.eval.evaluate"):  # bound on import, if not yet
        monkeypatch.setattr(importlib.import_module(name), "build_data", counted)
    run = tmp_path / "once"
    args = ["train", "--data-dir", mnist_subset, "--epochs", "1", "--out", run, *TRAIN]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert len(calls) == 1
    assert "test loss" in err and "test" in json.loads((run / "evaluation.json").read_text())
    code, _, err = run_cli(["train", "--resume", run, "--epochs", "2", "-q"], capsys)
    assert code == 0, err
    assert len(calls) == 2 and "test loss" in err
