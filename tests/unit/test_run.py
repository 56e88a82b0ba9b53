"""``run.json`` and :class:`vaekit.Run`: writing, reading, kinds, formats, older runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from vaekit.errors import ConfigError
from vaekit.io.run import RUN_FORMAT, RUN_JSON, Run, save_data_stats, write_run_json

LEGACY_TRAIN_RUN = Path(__file__).parents[1] / "fixtures" / "train_run_v0"


def test_run_json_records_kind_format_version_time_and_command(tmp_path):
    info = write_run_json(tmp_path, "detector", command=["vaekit", "anomaly", "fit", "x.csv"])
    on_disk = json.loads((tmp_path / RUN_JSON).read_text())
    assert on_disk == info
    assert info["format"] == RUN_FORMAT and info["kind"] == "detector"
    assert info["command"] == ["vaekit", "anomaly", "fit", "x.csv"]
    assert info["created"].endswith("+00:00") and info["vaekit_version"]
    run = Run.open(tmp_path)
    assert run.kind == "detector" and run.command == info["command"]
    assert run.format == RUN_FORMAT


def test_rewriting_keeps_creation_time_and_command_and_merges_extras(tmp_path):
    first = write_run_json(tmp_path, "train", command=["vaekit", "train"], data={"path": "a"})
    again = write_run_json(tmp_path, "train", command=["other"], threads=2)
    assert again["created"] == first["created"] and again["command"] == ["vaekit", "train"]
    assert again["data"] == {"path": "a"} and again["threads"] == 2


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown run kind 'gan'"):
        write_run_json(tmp_path, "gan")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "is not valid JSON"),
        ('{"kind": "train"}', "expected an object with 'format'"),
        ('{"format": "other/1", "kind": "train"}', "unknown format 'other/1'"),
        ('{"format": "vaekit-run/99", "kind": "train"}', "written by a newer vaekit"),
        ('{"format": "vaekit-run/1", "kind": "gan"}', "unknown run kind 'gan'"),
    ],
)
def test_a_bad_run_json_is_one_line_naming_the_file(tmp_path, content, words):
    (tmp_path / RUN_JSON).write_text(content)
    with pytest.raises(ConfigError, match=words) as info:
        Run.open(tmp_path)
    assert str(tmp_path / RUN_JSON) in str(info.value) and "\n" not in str(info.value)


def test_a_run_of_another_kind_is_refused_naming_both_kinds_and_what_to_use(tmp_path):
    write_run_json(tmp_path, "synthesizer")
    with pytest.raises(ConfigError) as info:
        Run.open(tmp_path, "train")
    message = str(info.value)
    assert "is a synthesizer run" in message and "not a train run" in message
    assert "vaekit synth sample" in message
    assert Run.open(tmp_path, ("train", "synthesizer")).kind == "synthesizer"


def test_no_run_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="is empty: the run was stopped before it started"):
        Run.open(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConfigError, match="is not a vaekit run directory"):
        Run.open(tmp_path)
    with pytest.raises(ConfigError, match="is not a vaekit run directory"):
        Run.open(tmp_path / "missing")


def test_data_stats_round_trip_exactly(tmp_path):
    write_run_json(tmp_path, "train")
    stats = {"mean": torch.randn(5, dtype=torch.float64), "std": torch.rand(5) + 0.5}
    save_data_stats(tmp_path, stats)
    back = Run.open(tmp_path).data_stats()
    assert set(back) == {"mean", "std"}
    assert all(torch.equal(back[k], stats[k]) for k in stats)


@pytest.fixture
def legacy_run(tmp_path) -> Path:
    """A run written by vaekit 0.1.0 before run.json existed (a 784-16-2 MLP VAE)."""
    path = tmp_path / "old-run"
    shutil.copytree(LEGACY_TRAIN_RUN, path)
    return path


def test_a_run_from_before_run_json_still_opens(legacy_run):
    run = Run.open(legacy_run, "train")
    assert run.kind == "train" and run.format == "vaekit-run/0"
    cfg = run.config()
    assert cfg.model.name == "vae" and cfg.model.latent_dim == 2
    model = run.model()
    assert sum(p.numel() for p in model.parameters()) > 0
    assert [r["epoch"] for r in run.records()] == [1, 2]
    assert run.evaluation()["test"]["loss"] > 0
    assert run.fitted and run.data_stats() == {}


def test_the_commands_work_on_a_run_from_before_run_json(legacy_run, tmp_path, capsys):
    from vaekit.cli.app import main

    for args in (["sample", str(legacy_run), "-n", "4", "-o", str(tmp_path / "s.npy")],
                 ["evaluate", str(legacy_run), "--device", "cpu"]):  # fmt: skip
        with pytest.raises(SystemExit) as done:
            main(args)
        assert done.value.code == 0, capsys.readouterr().err
    assert (tmp_path / "s.npy").is_file()
    evaluation = json.loads((legacy_run / "evaluation.json").read_text())
    assert evaluation["test"]["loss"] > 0 and evaluation["test"]["n"] == 10000


def test_a_table_run_keeps_its_standardization_and_sampling_does_not_read_the_data(
    tmp_path, monkeypatch, capsys
):
    import numpy as np

    import vaekit
    from vaekit.cli.app import main
    from vaekit.data import build_data

    rng = np.random.default_rng(0)
    table = tmp_path / "table.csv"
    np.savetxt(table, rng.normal(50.0, 7.0, (300, 4)), delimiter=",")
    cfg = vaekit.Config()
    cfg.data.dataset, cfg.out = str(table), str(tmp_path / "run")
    cfg.model.hidden, cfg.model.latent_dim = [16], 2
    cfg.train.epochs, cfg.train.device, cfg.train.threads = 1, "cpu", 1
    run = vaekit.fit(cfg, quiet=True)
    assert cfg.model.likelihood == "gaussian-learned"  # the resolved choice, recorded
    assert vaekit.Run.open(run).config().data.standardize is True
    stats = vaekit.Run.open(run).data_stats()
    prepared = build_data(vaekit.Run.open(run).config())
    assert torch.equal(stats["mean"], prepared.mean) and torch.equal(stats["std"], prepared.std)

    def sample(name: str) -> np.ndarray:
        with pytest.raises(SystemExit) as done:
            main(["sample", str(run), "-n", "50", "-o", str(tmp_path / name), "--seed", "3"])
        assert done.value.code == 0, capsys.readouterr().err
        return np.load(tmp_path / name)

    def no_data(*args, **kwargs):
        raise AssertionError("sampling read the dataset")

    monkeypatch.setattr("vaekit.data.build_data", no_data)
    fast = sample("fast.npy")
    assert abs(fast.mean() - 50.0) < 5.0  # in the data's units, not standardized ones
    monkeypatch.undo()
    (run / "data_stats.safetensors").unlink()  # as a run from before the statistics were kept
    np.testing.assert_array_equal(sample("slow.npy"), fast)


def test_build_data_leaves_the_configuration_alone(tmp_path):
    import numpy as np

    import vaekit
    from vaekit.data import build_data

    table = tmp_path / "table.csv"
    np.savetxt(table, np.random.default_rng(0).normal(size=(40, 3)), delimiter=",")
    cfg = vaekit.Config()
    cfg.data.dataset = str(table)
    before = cfg.to_yaml()
    data = build_data(cfg)
    assert cfg.to_yaml() == before
    assert data.resolved == {"model.likelihood": "gaussian-learned", "data.standardize": True}


@pytest.mark.parametrize(
    ("records", "threads", "omp", "says"),
    [
        ([], None, "", False),  # nothing trained yet: the fit starts over
        ([{"epoch": 1, "threads": 2, "threads_auto": True}], None, "", True),
        ([{"epoch": 1, "threads": 2, "threads_auto": True}], 2, "", True),  # auto before
        ([{"epoch": 1, "threads": 1, "threads_auto": False}], 1, "", False),  # fixed throughout
        ([{"epoch": 1, "threads": 1, "threads_auto": False}], None, "1", False),
        ([{"epoch": 1, "threads": 1, "threads_auto": False}], None, "", True),  # auto now
    ],
)
def test_resuming_says_when_the_thread_count_followed_the_load(
    tmp_path, monkeypatch, records, threads, omp, says
):
    from vaekit.cli.hints import thread_note

    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    write_run_json(tmp_path, "detector")
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    note = thread_note(Run.open(tmp_path), threads)
    assert (note is not None) == says
    if says:
        assert "machine's load" in note and "--threads N" in note
        assert str(records[0]["threads"]) in note and "\n" not in note


def test_default_run_directories_of_one_second_differ(tmp_path, monkeypatch):
    """Two bare `vaekit train` calls within one second were given the same directory, and
    the second was refused as 'already exists and is not empty'."""
    import datetime as dt

    import vaekit
    from vaekit.io import run_dir

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 12, 4, 14, 30, 15)

    monkeypatch.setattr(run_dir, "datetime", Frozen)
    cfg = vaekit.Config()
    first = run_dir.default_run_dir(cfg, tmp_path)
    assert first == tmp_path / "vae-mnist-20261204-143015"
    first.mkdir()
    second = run_dir.default_run_dir(cfg, tmp_path)
    assert second == tmp_path / "vae-mnist-20261204-143015-2"
    second.mkdir()
    assert run_dir.default_run_dir(cfg, tmp_path).name.endswith("-3")
