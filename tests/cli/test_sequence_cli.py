"""Sequence runs end to end: train, resume, evaluate, sample, text views, the Python API."""

from __future__ import annotations

import json

import pytest
import torch

import vaekit
from helpers import run_cli
from vaekit.config import Config, apply_preset
from vaekit.io.safe import load_tensors
from vaekit.text import Tokenizer

WORDS = ["the", "a", "cat", "dog", "bird", "sat", "ran", "sang", "on", "mat", "tree", "moon"]
SMALL = ["--set", "model.embed_dim=16", "--set", "model.rnn_hidden=16", "--set",
         "model.decoder_hidden=24", "--latent-dim", "4", "--batch-size", "32", "--device", "cpu",
         "-q"]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    g = torch.Generator().manual_seed(0)
    lines = []
    for _ in range(300):
        n = int(torch.randint(2, 9, (1,), generator=g))
        lines.append(" ".join(WORDS[int(i)] for i in torch.randint(0, 12, (n,), generator=g)))
    path = tmp_path_factory.mktemp("text") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_train_evaluate_sample_plot(corpus, tmp_path, capsys):
    run = tmp_path / "run"
    code, out, err = run_cli(["train", "--model", "seq-vae", "--dataset", corpus, "--epochs", "2",
                              "--kl-schedule", "logistic", "--warmup-epochs", "2",
                              "--word-dropout", "0.25", "--out", run, *SMALL], capsys)  # fmt: skip
    assert code == 0, err
    assert Tokenizer.load(run / "tokenizer.json").kind == "word"
    records = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["tokens_per_s"] > 0 and records[-1]["train_tokens"] > 2

    code, out, err = run_cli(["evaluate", run, "--metrics", "elbo,iw,sequence,latent",
                              "--iw", "20"], capsys)  # fmt: skip
    assert code == 0, err
    ev = json.loads((run / "evaluation.json").read_text())["val"]
    assert ev["nll"] <= ev["loss"] + 1e-6  # L_k is at least the ELBO
    assert ev["perplexity"] == pytest.approx(torch.tensor(ev["nll_per_token"]).exp().item())
    assert 0 <= ev["recon_exact"] <= ev["recon_token_accuracy"] <= 1

    code, out, err = run_cli(["sample", run, "-n", "7", "-o", tmp_path / "s.txt", "--top-p",
                              "0.9", "--temperature", "0.8"], capsys)  # fmt: skip
    assert code == 0, err
    lines = (tmp_path / "s.txt").read_text().splitlines()
    assert len(lines) == 7 and all(set(ln.split()) <= {*WORDS, "<unk>"} for ln in lines)
    code, out, err = run_cli(["sample", run, "-o", tmp_path / "s.png"], capsys)
    assert code != 0 and ".txt or .smi" in err

    code, out, err = run_cli(["plot", run, "interpolation", "--from", "the cat sat",
                              "--to", "a dog ran on the mat", "--steps", "4"], capsys)  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[0] == "from: the cat sat" and len(out.splitlines()) == 7
    assert (run / "plots" / "interpolation.txt").is_file()
    code, out, err = run_cli(["plot", run, "reconstructions", "--text", "the cat sat",
                              "--text", "a bird sang"], capsys)  # fmt: skip
    assert code == 0 and out.count(" in: ") == 2, err
    code, out, err = run_cli(["plot", run, "curves"], capsys)
    assert code == 0 and out.strip().endswith("curves.png"), err
    code, out, err = run_cli(["plot", run, "manifold"], capsys)  # it said "inputs have shape ()"
    assert code == 2, err
    assert "the 'manifold' plot draws images; this run's data are token sequences" in err
    assert "interpolation" in err.split("The plots of this run: ")[1]

    html = vaekit.make_report(run).read_text()
    assert "<h3>samples: " in html and "<h3>interpolation: " in html and "from: " in html

    model = vaekit.load(run)
    q = model.encode(["the cat sat", "a dog ran"])
    assert q.mean.shape == (2, 4)
    assert isinstance(model.sample_text(3)[0], str)


def test_resume_is_bit_identical(corpus, tmp_path, capsys):
    args = ["train", "--model", "seq-vae", "--dataset", corpus, "--epochs", "3",
            "--word-dropout", "0.3", *SMALL]  # fmt: skip
    assert run_cli([*args, "--out", tmp_path / "full"], capsys)[0] == 0
    cfg = vaekit.Config.from_yaml(tmp_path / "full" / "config.yaml")
    cfg.out = str(tmp_path / "cut")
    vaekit.fit(cfg, quiet=True, stop_after_epoch=1)
    vaekit.resume(tmp_path / "cut", quiet=True)
    a, _ = load_tensors(tmp_path / "full" / "model.safetensors")
    b, _ = load_tensors(tmp_path / "cut" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_rnnlm_trains_by_the_same_command_without_a_collapse_warning(corpus, tmp_path, capsys):
    run = tmp_path / "lm"
    code, out, err = run_cli(["train", "--model", "rnnlm", "--dataset", corpus, "--epochs", "3",
                              "--out", run, *SMALL], capsys)  # fmt: skip
    assert code == 0, err
    assert "collapse" not in err and "warning" not in (run / "metrics.jsonl").read_text()
    ev = vaekit.evaluate_run(run, metrics=["elbo", "iw"], iw_samples=3)
    assert ev["kl"] == 0 and ev["nll"] == pytest.approx(ev["loss"], rel=1e-6)


def test_models_and_data_must_match(corpus, mnist_subset, tmp_path, capsys):
    code, _, err = run_cli(["train", "--model", "vae", "--dataset", corpus, "--out",
                            tmp_path / "a", "-q"], capsys)  # fmt: skip
    assert code != 0 and "holds token sequences" in err and "Traceback" not in err
    code, _, err = run_cli(["train", "--model", "seq-vae", "--data-dir", mnist_subset,
                            "--out", tmp_path / "b", "-q"], capsys)  # fmt: skip
    assert code != 0 and "takes token sequences" in err


def test_moses_preset_and_flags_on_top():
    cfg = Config()
    apply_preset(cfg, "moses-vae")
    assert (cfg.model.name, cfg.model.latent_dim, cfg.model.decoder_layers) == ("seq-vae", 128, 3)
    assert (cfg.train.batch_size, cfg.train.lr, cfg.train.grad_clip) == (512, 3e-4, 50.0)
    from vaekit.cli.train import build_config

    cfg = build_config(None, {"latent_dim": 64}, ["train.epochs=5"], "moses-vae")
    assert cfg.model.latent_dim == 64 and cfg.train.epochs == 5 and cfg.data.dataset == "moses"
    with pytest.raises(Exception, match="unknown preset 'moses'; did you mean 'moses-vae'"):
        apply_preset(Config(), "moses")
