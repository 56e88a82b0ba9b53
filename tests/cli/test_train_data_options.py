"""Data options of ``vaekit train`` act on every kind of data, never accepted and ignored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from vaekit.config import Config
from vaekit.data.setup import build_data
from vaekit.errors import ConfigError

DATA = Path(os.environ.get("VAEKIT_DATA_DIR", "../shared/data"))


def _csv(path: Path, n: int = 100) -> Path:
    rng = np.random.default_rng(0)
    rows = ["a,b,c"] + [",".join(f"{v:.4f}" for v in r) for r in rng.random((n, 3))]
    path.write_text("\n".join(rows) + "\n")
    return path


def _cfg(dataset: Path, max_examples: int, seed: int = 0) -> Config:
    cfg = Config()
    cfg.data.dataset = str(dataset)
    cfg.data.max_examples = max_examples
    cfg.data.val_size = 0.2
    cfg.train.seed = seed
    return cfg


def test_max_examples_takes_a_seeded_subset_of_array_data(tmp_path):
    table = _csv(tmp_path / "t.csv")
    whole = build_data(_cfg(table, 0))
    assert (len(whole.train), len(whole.val)) == (80, 20)
    part = build_data(_cfg(table, 30))
    assert (len(part.train), len(part.val)) == (24, 6)
    rows = {tuple(r) for r in whole.train.x.tolist() + whole.val.x.tolist()}
    kept = part.train.x.tolist() + part.val.x.tolist()
    assert len({tuple(r) for r in kept}) == 30 and all(tuple(r) in rows for r in kept)
    again = build_data(_cfg(table, 30))
    assert part.train.x.equal(again.train.x) and part.val.x.equal(again.val.x)
    other = build_data(_cfg(table, 30, seed=1))
    assert not part.train.x.equal(other.train.x)
    assert build_data(_cfg(table, 1000)).train.x.equal(whole.train.x)  # more than there is: all
    with pytest.raises(ConfigError, match="max_examples"):
        build_data(_cfg(table, -1))


@pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason="MNIST not in VAEKIT_DATA_DIR")
def test_max_examples_on_mnist_sets_the_steps_per_epoch(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(
        ["train", "--dataset", "mnist", "--set", "data.max_examples=500", "--epochs", "1",
         "--batch-size", "50", "--hidden", "16", "--latent-dim", "2", "--val-size", "0.1",
         "--device", "cpu", "--threads", "1", "--out", out, "-q"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert record["step"] == 9  # 450 examples / 50 per batch; all 54,000 would be 1,080


def _train(tmp_path: Path, capsys, *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / "run"
    code, _, err = run_cli(
        ["train", "--dataset", _csv(tmp_path / "t.csv"), "--val-size", "40", "--epochs", "1",
         "--hidden", "8", "--latent-dim", "2", "--device", "cpu", "--threads", "1", "--out", out,
         "-q", *extra],
        capsys,
    )  # fmt: skip
    return code, err, out


def test_held_out_loss_after_training_is_capped_and_says_so(tmp_path, capsys):
    code, err, out = _train(tmp_path, capsys, "--set", "train.held_out_examples=15")
    assert code == 0, err
    assert "held-out loss on 15 of 40 val examples (a seeded subset" in err
    assert "val loss" in err and "(-ELBO on 15 of 40, evaluation.json)" in err
    record = json.loads((out / "evaluation.json").read_text())["val"]
    assert (record["n"], record["of"]) == (15, 40)


def test_held_out_loss_uncapped_measures_the_whole_split(tmp_path, capsys):
    code, err, out = _train(tmp_path, capsys, "--set", "train.held_out_examples=0")
    assert code == 0, err
    assert "seeded subset" not in err and "(-ELBO, evaluation.json)" in err
    record = json.loads((out / "evaluation.json").read_text())["val"]
    assert record["n"] == 40 and "of" not in record


def test_ctrl_c_during_the_held_out_loss_keeps_the_trained_run(tmp_path, capsys, monkeypatch):
    import vaekit.eval

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(vaekit.eval, "evaluate_run", interrupted)
    code, err, out = _train(tmp_path, capsys)
    assert code == 130
    assert f"the trained run {out} is complete" in err and f"vaekit evaluate {out}" in err
    assert (out / "model.safetensors").is_file() and not (out / "evaluation.json").exists()
    assert json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["epoch"] == 1


def test_every_preset_says_what_its_full_schedule_costs(capsys):
    from vaekit.config import PRESET_HELP, PRESETS

    assert set(PRESET_HELP) == set(PRESETS)
    code, out, _ = run_cli(["train", "--help"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "moses-vae (the MOSES VAE; its 100 epochs take about 4 hours each on 2 CPU cores" in flat
