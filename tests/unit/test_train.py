from __future__ import annotations

import math
import types

import pytest
import torch

import vaekit
from conftest import stripes
from helpers import metrics, small_config, weights
from vaekit.errors import ConfigError, TrainingError
from vaekit.train import Trainer, resume, train
from vaekit.train import checkpoint as checkpoint_mod
from vaekit.train import trainer as trainer_mod


def test_run_directory_contents(stripes_file, tmp_path):
    run = train(small_config(stripes_file, tmp_path / "r"), quiet=True)
    for name in (
        "config.yaml",
        "model.json",
        "model.safetensors",
        "checkpoint/state.safetensors",
        "metrics.jsonl",
    ):
        assert (run / name).is_file(), name
    rows = metrics(run)
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]
    keys = {
        "train_loss",
        "train_recon",
        "train_kl",
        "val_loss",
        "val_recon",
        "val_kl",
        "beta",
        "lr",
        "seconds",
        "samples_per_s",
    }
    assert keys <= set(rows[0])
    # the linear warm-up reaches beta at epoch 3 and the loss improves
    assert rows[0]["beta"] < rows[1]["beta"] < 1.0 and rows[3]["beta"] == 1.0
    assert rows[-1]["val_loss"] < rows[0]["val_loss"]
    # resolved config: auto likelihood became bernoulli, and it reloads
    cfg = vaekit.Config.from_yaml(run / "config.yaml")
    assert cfg.model.likelihood == "bernoulli" and cfg.data.standardize is False
    model = vaekit.load(run)
    assert model.sample(3).shape == (3, 1, 8, 8)


def test_resume_after_interruption_is_bit_identical(stripes_file, tmp_path):
    """A run stopped after epoch 2 and resumed ends with the same bits as an uninterrupted one."""
    full = train(small_config(stripes_file, tmp_path / "full", lr_schedule="cosine"), quiet=True)
    cfg = small_config(stripes_file, tmp_path / "cut", lr_schedule="cosine")
    cut = train(cfg, quiet=True, stop_after_epoch=2)
    assert not (cut / "model.safetensors").exists()  # interrupted runs have only the checkpoint
    assert len(metrics(cut)) == 2
    resume(cut, quiet=True)
    a, b = weights(full), weights(cut)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["train_loss"] for r in metrics(full)] == [r["train_loss"] for r in metrics(cut)]


def test_resume_with_more_epochs_equals_longer_run(stripes_file, tmp_path):
    long = train(small_config(stripes_file, tmp_path / "long"), quiet=True)
    short_cfg = small_config(stripes_file, tmp_path / "short")
    short_cfg.train.epochs = 2
    short = train(short_cfg, quiet=True)
    resume(short, epochs=4, quiet=True)
    a, b = weights(long), weights(short)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert vaekit.Config.from_yaml(short / "config.yaml").train.epochs == 4


def test_nan_loss_stops_with_epoch_step_and_checkpoint(stripes_file, tmp_path, monkeypatch):
    cfg = small_config(stripes_file, tmp_path / "nan")
    calls = {"n": 0}
    real_loss = vaekit.VAE.loss

    def flaky(self, *args, **kwargs):
        calls["n"] += self.training
        out = real_loss(self, *args, **kwargs)
        if self.training and calls["n"] == 7:  # 5 steps per epoch: the 7th step is in epoch 2
            out.total = out.total * float("nan")
        return out

    monkeypatch.setattr(vaekit.VAE, "loss", flaky)
    with pytest.raises(TrainingError) as e:
        train(cfg, quiet=True)
    msg = str(e.value)
    assert "loss became NaN at epoch 2, step 7" in msg
    assert "checkpoint" in msg and "(epoch 1)" in msg
    assert e.value.hint_option == "train.grad_clip" and "--" not in msg  # the CLI words hints
    assert len(metrics(tmp_path / "nan")) == 1


def test_early_stopping_restores_best_weights(stripes_file, tmp_path, monkeypatch):
    cfg = small_config(stripes_file, tmp_path / "es", early_stopping=2, epochs=10)
    losses = iter([5.0, 4.0, 4.5, 4.6, 4.7, 4.8])
    real = trainer_mod.elbo_terms

    def scripted(*args, **kwargs):
        r = real(*args, **kwargs)
        r["loss"] = next(losses)
        return r

    best = {}
    real_snapshot = checkpoint_mod.checkpoint_tensors

    def spy(model, optimizer, state, best_weights=None, aux=None):
        if state.epoch == 2:
            best.update({k: v.clone() for k, v in model.state_dict().items()})
        return real_snapshot(model, optimizer, state, best_weights, aux)

    monkeypatch.setattr(trainer_mod, "elbo_terms", scripted)
    monkeypatch.setattr(checkpoint_mod, "checkpoint_tensors", spy)
    run = train(cfg, quiet=True)
    assert len(metrics(run)) == 4  # epochs 3 and 4 did not improve on epoch 2
    w = weights(run)
    assert all(torch.equal(w[k], best[k]) for k in best)


def test_free_bits_and_grad_clip_run(stripes_file, tmp_path):
    cfg = small_config(stripes_file, tmp_path / "fb", free_bits=0.5, grad_clip=1.0, epochs=1)
    cfg.train.kl_schedule = "cyclical"
    run = train(cfg, quiet=True)
    [record] = metrics(run)
    assert all(math.isfinite(record[k]) for k in ("train_loss", "train_recon", "train_kl"))
    # free bits: the objective counts at least 0.5 nats per latent dimension of KL
    assert record["train_loss"] >= record["train_recon"] - 1e-4
    free = run / "free"
    cfg = small_config(stripes_file, free, epochs=1)
    cfg.train.kl_schedule = "cyclical"
    [plain] = metrics(train(cfg, quiet=True))
    assert plain["train_loss"] != record["train_loss"]  # the settings changed the objective


def test_bad_settings_are_refused_before_training(stripes_file, tmp_path):
    cfg = small_config(stripes_file, tmp_path / "bad")
    cfg.train.kl_schedule = "sigmoid"
    with pytest.raises(ConfigError, match="train.kl_schedule"):
        train(cfg, quiet=True)
    cfg = small_config(stripes_file, tmp_path / "bad2")
    cfg.train.device = "cuda" if not torch.cuda.is_available() else "cuda:99"
    with pytest.raises(ConfigError):
        train(cfg, quiet=True)


def test_existing_run_directory_is_not_overwritten(stripes_file, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="already exists"):
        train(small_config(stripes_file, out), quiet=True)
    assert (out / "keep.txt").read_text() == "mine"


def test_trainer_works_without_a_run_directory():
    from vaekit.data import prepare_data
    from vaekit.data.base import RawData

    x, y = stripes(64)
    data = prepare_data(RawData("s", x, y), val_size=0)
    model = vaekit.create_model("vae", input_shape=(1, 8, 8), latent_dim=2, hidden=[16])
    result = Trainer(
        model, data, vaekit.TrainConfig(epochs=2, batch_size=16, device="cpu"), quiet=True
    ).fit()
    assert result.epochs == 2 and result.steps == 8


def test_fit_is_the_function_and_the_package_call_is_deprecated(stripes_file, tmp_path):
    import vaekit.train as train_package

    assert vaekit.fit is train_package.fit and train is train_package.fit
    assert isinstance(vaekit.train, types.ModuleType) and vaekit.train is train_package
    run = vaekit.fit(small_config(stripes_file, tmp_path / "fit", epochs=1), quiet=True)
    with pytest.warns(DeprecationWarning, match=r"vaekit.train\(...\) is now vaekit.fit"):
        old = vaekit.train(small_config(stripes_file, tmp_path / "old", epochs=1), quiet=True)
    assert old == tmp_path / "old" and weights(old).keys() == weights(run).keys()
    a, b = weights(run), weights(old)
    assert all(torch.equal(a[k], b[k]) for k in a)  # same seed, same run
