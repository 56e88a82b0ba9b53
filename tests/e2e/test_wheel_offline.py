"""The built wheel carries MNIST, and `vaekit train` from it trains with the network blocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from vaekit.data.mnist import FILES

ROOT = Path(__file__).resolve().parents[2]

BLOCK_NETWORK = """
import socket

def _refuse(*args, **kwargs):
    raise OSError("network blocked by the test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (dev extra)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (path,) = out.glob("vaekit-*.whl")
    return path


def test_wheel_holds_mnist_and_its_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for stem in FILES:
        assert f"vaekit/data/bundled/mnist/{stem}.gz" in names
    assert "vaekit/data/bundled/mnist/README.md" in names


def test_train_from_the_wheel_offline(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    (site / "sitecustomize.py").write_text(BLOCK_NETWORK)
    env = {k: v for k, v in os.environ.items() if k != "VAEKIT_DATA_DIR"}
    env.update(
        PYTHONPATH=str(site), HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache")
    )
    check = subprocess.run(
        [sys.executable, "-c", "import socket, vaekit; print(vaekit.__file__);"
         "socket.create_connection(('pypi.org', 443))"],
        env=env, cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert check.stdout.startswith(str(site)), check.stdout + check.stderr
    assert "network blocked by the test" in check.stderr
    run = subprocess.run(
        [sys.executable, "-m", "vaekit", "train", "--epochs", "1", "--out", "run", "-q"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert not (tmp_path / "cache" / "vaekit" / "mnist").exists()  # nothing was downloaded
    (line,) = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert json.loads(line)["step"] == 422  # the 54,000 MNIST training images, batch 128
