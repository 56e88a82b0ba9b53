"""Kill `vaekit train` at any moment: every resume succeeds, no file is corrupt, and the final
weights equal an uninterrupted run's bit for bit (CPU)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from vaekit.config import Config
from vaekit.io.safe import load_tensors

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 rows of 256 values in [0, 1]: a model big enough that a checkpoint write takes
    a few milliseconds, so that kills can land inside one."""
    rng = np.random.default_rng(0)
    centres = rng.random((8, 256))
    x = np.clip(centres[rng.integers(0, 8, 2000)] + 0.1 * rng.standard_normal((2000, 256)), 0, 1)
    path = tmp_path_factory.mktemp("kill") / "table.npy"
    np.save(path, x.astype(np.float32))
    return path


def _train_args(table: Path, out: Path) -> list[str]:
    return ["train", "--dataset", str(table), "--hidden", "512,512", "--latent-dim", "8",
            "--epochs", "3", "--batch-size", "32", "--threads", "1",
            "--out", str(out), "-q"]  # fmt: skip


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "vaekit", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _check_files(run: Path) -> None:
    """Every file a kill may have left is whole: it parses, or it is absent."""
    if (run / "config.yaml").exists():
        Config.from_yaml(run / "config.yaml")
    if (run / "model.json").exists():
        assert json.loads((run / "model.json").read_text())["model"] == "vae"
    if (run / "metrics.jsonl").exists():
        records = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
        assert [r["epoch"] for r in records] == list(range(1, len(records) + 1))
    for name in ("checkpoint/state.safetensors", "model.safetensors"):
        if (run / name).exists():
            load_tensors(run / name)


def _resume_args(table: Path, run: Path) -> list[str]:
    if (run / "config.yaml").exists():
        return ["train", "--resume", str(run), "-q"]
    return _train_args(table, run)  # stopped before it started: the same command again


def _kill_during_checkpoint_write(proc: subprocess.Popen, run: Path, limit: float) -> bool:
    """SIGKILL as soon as a temporary checkpoint file appears; False if none did."""
    ckpt = run / "checkpoint"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpt.is_dir() and any(p.name.endswith(".tmp") for p in os.scandir(ckpt)):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
    return False


def test_sigkill_at_random_moments_then_resume_is_bit_identical(table, tmp_path):
    ref = tmp_path / "reference"
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "vaekit", *_train_args(table, ref)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    duration = time.monotonic() - t0

    run = tmp_path / "killed"
    rng = random.Random(0)
    moments = [0.05] + sorted(rng.uniform(0.2, duration) for _ in range(8))
    kinds = []
    args = _train_args(table, run)
    for i in range(10):
        proc = _start(args)
        if i == 5:  # one kill inside a checkpoint write
            hit = _kill_during_checkpoint_write(proc, run, limit=duration * 2)
            kinds.append("during checkpoint write" if hit else "finished first")
        else:
            moment = moments[i if i < 5 else i - 1]
            try:
                proc.wait(timeout=moment)
                kinds.append("finished first")
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kinds.append(f"at {moment:.2f} s")
        out, err = proc.communicate()
        if proc.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"attempt {i} failed: {err}")
        _check_files(run)
        if (run / "model.safetensors").exists():  # it finished: start it over to kill again
            break
        args = _resume_args(table, run)
    assert kinds[0] == "at 0.05 s"  # killed before anything was written
    assert "during checkpoint write" in kinds, kinds
    assert sum(k.startswith("at") for k in kinds) >= 5, kinds
    final = subprocess.run([sys.executable, "-m", "vaekit", *_resume_args(table, run)],
                           capture_output=True, text=True)  # fmt: skip
    assert final.returncode == 0, final.stderr
    _check_files(run)
    assert not list(run.glob("**/.*.tmp"))  # leftovers of killed writes are gone
    got, _ = load_tensors(run / "model.safetensors")
    want, _ = load_tensors(ref / "model.safetensors")
    assert got.keys() == want.keys()
    assert all(torch.equal(got[k], want[k]) for k in want)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == [1, 2, 3]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_saves_and_says_how_to_continue(table, tmp_path, sig):
    run = tmp_path / "run"
    args = _train_args(table, run)
    args[args.index("--epochs") + 1] = "50"
    args += ["--set", "train.checkpoint_every=100"]  # only the interrupt writes a checkpoint
    proc = _start(args)
    deadline = time.monotonic() + 120
    while not (run / "metrics.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not (run / "checkpoint" / "state.safetensors").exists()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("vaekit: error: interrupted in epoch"), err
    assert lines[0].endswith(f"; continue with: vaekit resume {run}")
    state, _ = load_tensors(run / "checkpoint" / "state.safetensors")
    epochs_done = json.loads(
        load_tensors(run / "checkpoint" / "state.safetensors")[1]["train_state"]
    )["epoch"]
    assert epochs_done >= 1 and f"after epoch {epochs_done} of 50" in lines[0]
    assert len(state) > 0
    more = ["resume", str(run), "--epochs", str(epochs_done + 1), "-q"]  # as the hint says
    res = subprocess.run([sys.executable, "-m", "vaekit", *more], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == list(range(1, epochs_done + 2))


def test_rerun_into_an_unstarted_run_directory(table, tmp_path):
    """A directory left by a run stopped in its first epoch is started over, by the same
    command or by --resume; a directory with a checkpoint is not overwritten."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(Config().to_yaml())
    (run / ".metrics.jsonl.abc.tmp").write_text("half")
    args = _train_args(table, run)
    args[args.index("--epochs") + 1] = "1"
    res = subprocess.run([sys.executable, "-m", "vaekit", *args], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "starting it over" in res.stderr
    assert (run / "model.safetensors").exists()
    res = subprocess.run([sys.executable, "-m", "vaekit", *args], capture_output=True, text=True)
    assert res.returncode == 2 and "already exists and is not empty" in res.stderr
