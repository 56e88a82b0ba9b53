"""The trainer's parts on their own: records and console lines, monitors, interrupts,
configuration checks, and the structured errors the CLI words."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import pytest
import torch

from vaekit.cli.hints import error_message
from vaekit.config import Config, TrainConfig
from vaekit.errors import ConfigError, TrainingError, TrainingInterrupted
from vaekit.train import monitors, records, validation
from vaekit.train.checkpoint import TrainState
from vaekit.train.interrupts import Interrupts, interrupted


def test_interrupted_error_is_structured_and_names_no_command(tmp_path):
    e = interrupted(2, 50, tmp_path / "run")
    assert isinstance(e, TrainingInterrupted)
    assert (e.epoch, e.saved_epoch, e.epochs, e.run_dir) == (3, 2, 50, tmp_path / "run")
    assert str(e) == "interrupted in epoch 3: saved the state after epoch 2 of 50"
    assert "vaekit" not in str(e) and e.exit_code == 130
    assert str(interrupted(0, 5, tmp_path)).endswith("no epoch had completed, nothing to keep")
    assert str(interrupted(1, 5, None)) == (
        "interrupted in epoch 2; nothing was saved (no run directory)"
    )
    again = pickle.loads(pickle.dumps(e))
    assert (again.epoch, again.run_dir, str(again)) == (3, tmp_path / "run", str(e))


def test_cli_words_the_hints(tmp_path):
    run = tmp_path / "run"
    assert error_message(interrupted(2, 50, run), "train") == (
        f"interrupted in epoch 3: saved the state after epoch 2 of 50; "
        f"continue with: vaekit resume {run}"
    )
    assert error_message(interrupted(2, 50, None), "train").endswith("(no run directory)")
    nan = TrainingError("loss became NaN at epoch 2, step 7", hint_option="train.grad_clip")
    assert error_message(nan, "train") == (
        "loss became NaN at epoch 2, step 7. Try a lower --lr or --set train.grad_clip=5"
    )
    assert "--set" not in error_message(nan, "synth") and "train.grad_clip" in error_message(
        nan, "synth"
    )
    plain = TrainingError("sweep run x failed")
    assert error_message(plain, "sweep") == "sweep run x failed"
    assert pickle.loads(pickle.dumps(nan)).hint_option == "train.grad_clip"


def test_interrupts_are_held_back_while_an_epoch_is_recorded():
    ints = Interrupts()
    done = []
    with pytest.raises(KeyboardInterrupt):
        with ints.deferred():
            ints._handler(2, None)  # a signal arrives while the epoch is being saved
            done.append("saved")
    assert done == ["saved"] and not ints.pending
    with pytest.raises(KeyboardInterrupt):
        ints._handler(2, None)


def test_records_round_trip_and_cut_lines(tmp_path):
    path = tmp_path / "metrics.jsonl"
    for epoch in (1, 2, 3):
        records.append_record(path, {"epoch": epoch, "train_loss": float(epoch)})
    path.write_text(path.read_text() + '{"epoch": 4, "tra')  # a kill cut the last line
    assert [r["epoch"] for r in records.read_records(path)] == [1, 2, 3]
    records.keep_records(path, 2)
    assert [json.loads(ln)["epoch"] for ln in path.read_text().splitlines()] == [1, 2]


def test_epoch_lines():
    record = {"epoch": 3, "train_loss": 90.123, "train_recon": 80.0, "train_kl": 10.123,
              "val_loss": 95.5, "active_units": 7, "active_units_z1": 5, "val_kl_z1": 20.1,
              "seconds": 1.25, "samples_per_s": 48000.0}  # fmt: skip
    assert records.epoch_line(record, True, None) == (
        "epoch 3: loss 90.12 (recon 80.00, KL 10.12)  val 95.50  7 AU  (z1: KL 20.10, 5 AU)"
        "  1.2s  48,000 samples/s"
    )
    code = {"epoch": 1, "train_recon": 80.12, "train_perplexity": 76.6, "val_recon": 82.4,
            "val_loss": 313.99, "seconds": 2.0, "samples_per_s": 10.0,
            "tokens_per_s": 300.0}  # fmt: skip
    assert records.epoch_line(code, False, None) == (
        "epoch 1: recon 80.12 (perplexity 76.6)  val recon 82.40 (-ELBO 313.99)  2.0s  300 tokens/s"
    )
    sel = {**record, "val_ndcg@100": 0.41234}
    assert "val 95.50  val ndcg@100 0.4123  7 AU" in records.epoch_line(sel, True, "ndcg@100")


def test_best_epoch_and_patience():
    st = TrainState()
    seen = []
    for epoch, loss in enumerate([5.0, 4.0, 4.5, 4.6], start=1):
        st.epoch = epoch
        seen.append(monitors.track_best(st, loss))
    assert seen == [True, True, False, False]
    assert (st.best_val, st.best_epoch, st.bad_epochs) == (4.0, 2, 2)
    assert monitors.patience_spent(st, 2) and not monitors.patience_spent(st, 3)
    assert not monitors.patience_spent(st, 0)  # off
    assert not monitors.track_best(st, None) and st.bad_epochs == 2


def test_finite_loss_watch():
    cpu = monitors.FiniteLoss(torch.device("cpu"))
    assert cpu.check(torch.tensor(1.0), 1) is None
    value, step = cpu.check(torch.tensor(float("inf")), 2)
    assert (value, step) == (float("inf"), 2) and cpu.poll() is None
    deferred = monitors.FiniteLoss(torch.device("cpu"))
    deferred.now = False  # as on a GPU: no sync per step, the first bad step reported at a poll
    for step, value in enumerate([1.0, float("nan"), float("inf")], start=1):
        assert deferred.check(torch.tensor(value), step) is None
    value, step = deferred.poll()
    assert math.isnan(value) and step == 2
    err = monitors.nonfinite_loss(float("nan"), 1, 7, Path("r/checkpoint"), 1)
    assert str(err) == (
        "loss became NaN at epoch 2, step 7; the last good checkpoint is "
        f"{Path('r/checkpoint')} (epoch 1)"
    )
    assert err.hint_option == "train.grad_clip"
    assert "no checkpoint was written yet" in str(monitors.nonfinite_loss(1e999, 0, 1, None, 0))


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("optimizer", "sgd", "bad value for train.optimizer: 'sgd'; choose one of adam, adamw"),
        ("epochs", 0, "bad value for train.epochs: 0 (must be > 0)"),
        ("lr", 0.0, "bad value for train.lr: 0.0 (must be > 0)"),
        ("free_bits", -1.0, "bad value for train.free_bits: -1.0 (must be >= 0)"),
        ("steps_per_epoch", -1, "bad value for train.steps_per_epoch: -1 (must be >= 0)"),
        ("checkpoint_every", 0, "bad value for train.checkpoint_every: 0 (must be > 0)"),
    ],
)
def test_train_config_is_checked_in_one_place(key, value, message):
    t = TrainConfig(device="cpu")
    setattr(t, key, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validation.validate_train_config(t)
    cfg = Config()
    cfg.train = t
    with pytest.raises(ConfigError, match=f"train.{key}"):
        validation.validate_config(cfg)  # the whole config checks its train part the same way


def test_trainer_checks_its_config_before_touching_anything():
    from vaekit.data import prepare_data
    from vaekit.data.base import RawData
    from vaekit.models import create_model
    from vaekit.train import Trainer

    data = prepare_data(RawData("s", torch.rand(8, 1, 2, 2), None), val_size=0)
    model = create_model("vae", input_shape=(1, 2, 2), latent_dim=2, hidden=[4])
    with pytest.raises(ConfigError, match="train.batch_size"):
        Trainer(model, data, TrainConfig(batch_size=0, device="cpu"), quiet=True)


def test_validate_config_stays_importable_from_the_api():
    from vaekit.train import api

    assert api.validate_config is validation.validate_config
