"""CPU threads: the default share, following the load, --threads, warnings, the wait policy
and sweep --jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from rich.console import Console

import vaekit
from vaekit import cpu_load
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


def test_busy_machine_warning_and_free_cores(monkeypatch, restore_threads):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(th.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.setattr(th, "busy_cores", lambda interval=0.1: 1.9)
    console = Console(record=True, width=400)
    assert th.set_threads(None, console) == 1  # only the free core
    text = console.export_text()
    assert "other programs keep 1.9 of 2 cores busy; vaekit uses 1 thread(s)" in text
    console = Console(record=True, width=400)
    assert th.set_threads(2, console) == 2  # a count the user gave is kept
    assert "training shares them and runs slower" in console.export_text()


def test_others_busy_leaves_out_this_process(monkeypatch):
    monkeypatch.setattr(cpu_load.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    # (busy, total, cpus, own) ticks: 200 busy ticks of which 100 were ours, in 200 ticks
    # of wall time on 2 CPUs -> other programs used half a core
    assert cpu_load.others_busy((100, 400, 2, 50.0), (300, 800, 2, 150.0)) == 0.5
    assert cpu_load.others_busy((100, 400, 2, 50.0), (300, 800, 2, 250.0)) == 0.0
    # a process allowed 2 of 8 CPUs counts the load on its share of them
    assert cpu_load.others_busy((0, 0, 8, 0.0), (800, 1600, 8, 0.0)) == pytest.approx(1.0)


def test_free_threads(monkeypatch):
    monkeypatch.setattr(cpu_load.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert [cpu_load.free_threads(b, 2) for b in (0.0, 0.29, 0.31, 1.0, 1.9, 3.0)] == [
        2, 2, 1, 1, 1, 1
    ]  # fmt: skip
    assert cpu_load.free_threads(0.0, 1) == 1
    monkeypatch.setattr(cpu_load.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert cpu_load.free_threads(3.5, 8) == 4 and cpu_load.free_threads(3.5, 2) == 2


def scripted_load(monkeypatch, others: list[float]):
    """Make snapshot() report other programs using ``others[i]`` cores in window i."""
    monkeypatch.setattr(cpu_load.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    state = {"t": 0}

    def snapshot():  # 100 ticks per window on 2 CPUs, none of them ours
        i = state["t"]
        state["t"] += 1
        used = sum(others[: max(0, i)]) * 100
        return (int(used), 200 * i, 2, 0.0)

    monkeypatch.setattr(cpu_load, "snapshot", snapshot)
    monkeypatch.setattr(cpu_load, "machine_ticks", lambda: (0, 0, 2))


def test_load_follower_follows_and_restores(monkeypatch, restore_threads):
    torch.set_num_threads(2)
    scripted_load(monkeypatch, [1.0, 0.0, 1.5, 0.1])
    with cpu_load.LoadFollower(interval=0.0) as load:
        assert [load.poll() for _ in range(4)] == [1, 2, 1, 2]
        assert load.changes == 4
        load.poll()  # the script ran out: no load
        torch.set_num_threads(1)
    assert torch.get_num_threads() == 2  # the starting count is back
    scripted_load(monkeypatch, [1.0, 1.0])
    with cpu_load.LoadFollower(enabled=False, interval=0.0) as load:
        assert load.poll() == 2 and torch.get_num_threads() == 2
    with cpu_load.LoadFollower(interval=3600.0) as load:  # not due: nothing read
        assert load.poll() == 2


def test_follows_load_only_when_threads_are_vaekits(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert cpu_load.follows_load(0) and cpu_load.follows_load(None)
    assert not cpu_load.follows_load(2)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert not cpu_load.follows_load(0)
    monkeypatch.delenv("LOCAL_WORLD_SIZE")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert not cpu_load.follows_load(0)


def test_training_follows_the_load(stripes_file, tmp_path, monkeypatch, restore_threads):
    """On a machine whose other programs hold 1.9 of 2 cores, an auto-threaded run trains on
    one thread (recorded per epoch) and gives the thread count back at the end; a count
    the user fixed is kept."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.setattr(cpu_load, "FIRST_LOOK", 0.0)
    scripted_load(monkeypatch, [1.9] * 10_000)
    monkeypatch.setattr(th, "busy_cores", lambda interval=0.1: 1.9)

    def run(name: str, threads: int) -> list[dict]:
        cfg = vaekit.Config()
        cfg.data.dataset = str(stripes_file)
        cfg.model.hidden = [16]
        cfg.model.latent_dim = 2
        cfg.train.epochs = 2
        cfg.train.threads = threads
        cfg.train.device = "cpu"
        cfg.out = str(tmp_path / name)
        torch.set_num_threads(2)
        out = vaekit.fit(cfg, quiet=True)
        return [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]

    assert [r["threads"] for r in run("auto", 0)] == [1, 1]
    assert torch.get_num_threads() == 1  # what set_threads chose for the free core
    assert [r["threads"] for r in run("fixed", 2)] == [2, 2]


def test_own_work_is_not_counted_as_others():
    """This process keeping both cores busy reads as (almost) no load from others."""
    first = cpu_load.snapshot()
    if first is None:
        pytest.skip("no /proc/stat on this system")
    a = torch.randn(512, 512)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.6:
        a = torch.tanh(a @ a)
    after = cpu_load.snapshot()
    assert after[3] - first[3] >= 0.3 * (after[1] - first[1]) / after[2]  # we did work
    assert cpu_load.others_busy(first, after) < 0.6


@pytest.mark.e2e  # a fresh process
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


@pytest.mark.e2e  # a fresh process
def test_short_spin_unless_the_user_chose_a_wait_policy(tmp_path):
    code = "import vaekit, os; print(os.environ.get('GOMP_SPINCOUNT'))"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}

    def spin(**extra: str) -> str:
        run = subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True
        )
        return run.stdout.strip()

    assert spin() == "3000"
    assert spin(OMP_WAIT_POLICY="PASSIVE") == "None"  # the user's policy stands
    assert spin(GOMP_SPINCOUNT="100") == "100"
    # it is set before torch loads its OpenMP runtime: vaekit imports it first, whichever
    # of its modules is imported
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import vaekit.train"],
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
