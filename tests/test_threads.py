"""CPU threads: the default share, --threads, warnings, the wait policy and sweep --jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from rich.console import Console

import vaekit
from vaekit.cli.app import main
from vaekit.train import threads as th


@pytest.fixture
def restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_default_is_cores_over_local_processes(monkeypatch):
    monkeypatch.setattr(th.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5}, raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert th.usable_cores() == 6 and th.default_threads() == 6
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert th.default_threads() == 1  # 6 // 4
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")
    assert th.default_threads() == 1  # at least one
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert th.default_threads() == 3


def test_set_threads_and_oversubscription_warning(monkeypatch, restore_threads):
    monkeypatch.setattr(th.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert th.set_threads(0, Console(record=True)) == 1  # the user's OpenMP setting
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr(th, "busy_cores", lambda interval=0.1: 0.0)
    console = Console(record=True, width=400)
    assert th.set_threads(1, console) == 1 and torch.get_num_threads() == 1
    assert th.set_threads(0, console) == 2 and torch.get_num_threads() == 2
    assert console.export_text() == ""
    th.set_threads(4, console)
    text = console.export_text()
    assert text.count("\n") == 1 and "oversubscribed" in text and "--threads 2" in text
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    console = Console(record=True, width=400)
    th.set_threads(2, console)
    assert "2 threads x 2 process(es) on 2 usable cores" in console.export_text()
    with pytest.raises(vaekit.ConfigError, match="train.threads"):
        th.set_threads(-1, console)


def test_busy_machine_warning(monkeypatch, restore_threads):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(th.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.setattr(th, "busy_cores", lambda interval=0.1: 1.9)
    console = Console(record=True, width=400)
    th.set_threads(None, console)
    assert "other programs keep 1.9 of 2 cores busy" in console.export_text()


def test_busy_cores_sees_a_spinning_process():
    if th.busy_cores() is None:
        pytest.skip("no /proc/stat on this system")
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = th.busy_cores(0.5)
    finally:
        spin.kill()
        spin.wait()
    assert busy is not None and busy >= 0.7  # one whole core (some scheduling noise)


def test_wait_policy_is_passive_unless_the_user_chose(tmp_path):
    code = "import vaekit, os; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ACTIVE"
    # it is set before torch loads its OpenMP runtime: vaekit imports it first
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import vaekit"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    names = [ln.rsplit("|", 1)[-1].strip() for ln in out.stderr.splitlines() if "|" in ln]
    assert names.index("vaekit._omp") < min(i for i, n in enumerate(names) if n.startswith("torch"))


def test_threads_flag_is_recorded_and_applied(stripes_file, tmp_path, restore_threads, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", str(stripes_file), "--hidden", "16", "--latent-dim", "2",
              "--epochs", "1", "--threads", "1", "--out", str(out), "-q"])  # fmt: skip
    assert e.value.code == 0, capsys.readouterr().err
    assert vaekit.Config.from_yaml(out / "config.yaml").train.threads == 1
    assert torch.get_num_threads() == 1
    with pytest.raises(SystemExit) as e:
        main(["train", "--resume", str(out), "--epochs", "2", "--threads", "2", "-q"])
    assert e.value.code == 0, capsys.readouterr().err
    assert vaekit.Config.from_yaml(out / "config.yaml").train.threads == 2
    with pytest.raises(SystemExit) as e:
        main(
            [
                "train",
                "--dataset",
                str(stripes_file),
                "--threads",
                "-2",
                "--out",
                str(tmp_path / "x"),
            ]
        )
    assert e.value.code == 2
    assert "train.threads" in capsys.readouterr().err


def test_sweep_jobs_runs_in_parallel_processes_with_the_same_results(stripes_file, tmp_path):
    def run(jobs: int) -> list[dict]:
        cfg = vaekit.Config()
        cfg.data.dataset = str(stripes_file)
        cfg.model.hidden = [16]
        cfg.model.latent_dim = 2
        cfg.train.epochs = 2
        cfg.train.threads = 2
        return vaekit.sweep(cfg, "beta", [1, 4], tmp_path / f"j{jobs}", jobs=jobs)

    one, two = run(1), run(2)
    for a, b in zip(one, two, strict=True):
        assert a["beta"] == b["beta"]
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
        assert b["kl"] == pytest.approx(a["kl"], rel=1e-3)
        cfg = vaekit.Config.from_yaml(Path(b["run"]) / "config.yaml")
        assert cfg.train.threads == 1  # 2 threads shared by 2 jobs
    assert json.loads((tmp_path / "j2" / "sweep.json").read_text())["runs"][1]["beta"] == 4.0


def test_sweep_job_failure_is_one_line(stripes_file, tmp_path):
    cfg = vaekit.Config()
    cfg.data.dataset = str(stripes_file)
    cfg.model.name = "cvae"  # fine
    cfg.model.hidden = [16]
    cfg.train.epochs = 1
    cfg.data.label_column = None
    (tmp_path / "s" / "lr=0.001").mkdir(parents=True)  # an existing run directory
    with pytest.raises(vaekit.ConfigError, match="already exists"):
        vaekit.sweep(cfg, "lr", ["0.001", "0.01"], tmp_path / "s", jobs=2)
    cfg.train.lr = 1e30  # training diverges in the child process
    with pytest.raises(vaekit.TrainingError) as e:
        vaekit.sweep(cfg, "beta", [1, 2], tmp_path / "t", jobs=2)
    assert "sweep run" in str(e.value) and "\n" not in str(e.value)
