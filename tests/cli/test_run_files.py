"""Damaged run files: each gives one line naming the file and exit status 2, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from safetensors.torch import save_file

import vaekit
from conftest import stripes
from vaekit.cli.app import main
from vaekit.io.safe import load_tensors


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("runfiles")
    x, y = stripes(192)
    data = d / "stripes.npz"
    np.savez(data, x=x[:, 0].numpy(), y=y.numpy(), x_test=x[:32, 0].numpy(), y_test=y[:32].numpy())
    cfg = vaekit.Config()
    cfg.data.dataset = str(data)
    cfg.model.hidden = [16]
    cfg.model.latent_dim = 2
    cfg.train.epochs = 1
    cfg.out = str(d / "run")
    return vaekit.fit(cfg, quiet=True)


@pytest.fixture
def run(finished_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def _fails(args: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("vaekit: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _rewrite_tensors(path: Path, change) -> None:
    tensors, meta = load_tensors(path)
    change(tensors)
    save_file(tensors, str(path), metadata=meta)


def test_truncated_weights(run, capsys):
    path = run / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    line = _fails(["sample", str(run), "-n", "4", "-o", str(run / "s.png")], capsys)
    assert str(path) in line and "safetensors" in line


def test_weights_with_a_missing_tensor(run, capsys):
    path = run / "model.safetensors"
    _rewrite_tensors(path, lambda t: t.pop(sorted(t)[0]))
    line = _fails(["evaluate", str(run)], capsys)
    assert str(path) in line and "missing" in line


def test_weights_with_a_wrong_shape(run, capsys):
    path = run / "model.safetensors"
    name = next(k for k in load_tensors(path)[0] if k.endswith("weight"))
    _rewrite_tensors(path, lambda t: t.__setitem__(name, t[name][:, :-1].contiguous()))
    line = _fails(["sample", str(run), "-n", "4", "-o", str(run / "s.png")], capsys)
    assert str(path) in line and name in line and "shape" in line


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"config": {}}, "expected keys 'model' and 'config'"),
        ({"model": "vae"}, "expected keys 'model' and 'config'"),
        ({"model": "no-such-model", "config": {}}, "no-such-model"),
        ({"model": "vae", "config": {"input_shape": [1, 8, 8], "wings": 2}}, "wings"),
        ("not json", "invalid JSON"),
    ],
)
def test_bad_model_json(run, capsys, spec, words):
    path = run / "model.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    for args in (["sample", str(run), "-o", str(run / "s.png")], ["train", "--resume", str(run)]):
        line = _fails(args, capsys)
        assert str(path) in line and words in line


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda c: c["train"].update(wings=2), "unknown option 'train.wings'"),
        (lambda c: c["train"].update(epochs="many"), "bad value for train.epochs"),
        (lambda c: c.update(extra={}), "unknown config section 'extra'"),
        (lambda c: c["model"].update(hidden="wide"), "bad value for model.hidden"),
    ],
)
def test_bad_config_yaml(run, capsys, edit, words):
    path = run / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    edit(cfg)
    path.write_text(yaml.safe_dump(cfg))
    for args in (["train", "--resume", str(run), "--epochs", "2"], ["evaluate", str(run)]):
        line = _fails(args, capsys)
        assert str(path) in line and words in line, line


def test_config_yaml_not_yaml(run, capsys):
    path = run / "config.yaml"
    path.write_text("train: [unclosed")
    line = _fails(["train", "--resume", str(run)], capsys)
    assert str(path) in line and "invalid YAML" in line


def test_checkpoint_truncated_or_with_wrong_tensors(run, capsys):
    path = run / "checkpoint" / "state.safetensors"
    good = path.read_bytes()
    path.write_bytes(good[:100])
    line = _fails(["train", "--resume", str(run), "--epochs", "2"], capsys)
    assert str(path) in line
    path.write_bytes(good)
    _rewrite_tensors(path, lambda t: t.pop("rng.cpu"))
    line = _fails(["train", "--resume", str(run), "--epochs", "2"], capsys)
    assert str(path) in line and "rng.cpu" in line
    path.write_bytes(good)
    key = next(k for k in load_tensors(path)[0] if k.startswith("optim.") and "exp_avg" in k)
    _rewrite_tensors(path, lambda t: t.__setitem__(key, t[key].flatten()[:3].contiguous()))
    line = _fails(["train", "--resume", str(run), "--epochs", "2"], capsys)
    assert str(path) in line and "optimizer" in line


def test_unwritable_out(run, tmp_path, capsys, stripes_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = _fails(["train", "--dataset", str(stripes_file), "--out", str(blocker / "run")], capsys)
    assert str(blocker / "run") in line and "cannot write the run directory" in line


def test_resume_of_a_folder_that_is_no_run(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    line = _fails(["train", "--resume", str(tmp_path)], capsys)
    assert "not a vaekit run directory" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _fails(["train", "--resume", str(empty)], capsys)
    assert "stopped before it started" in line and "--out" in line
