"""The MNIST, disentanglement and training-at-scale tutorials run top to bottom at smoke size
and write every figure their pages show."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vaekit.data.mnist import locate_mnist
from vaekit.errors import DataError

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _have_mnist() -> bool:
    try:
        locate_mnist(download_ok=False)
    except DataError:
        return False
    return True


needs_local_mnist = pytest.mark.skipif(
    not _have_mnist(), reason="MNIST not found locally (no bundled copy, no VAEKIT_DATA_DIR)"
)


def referenced_figures(name: str) -> list[str]:
    """The PNG files the tutorial's markdown cells show, ``figures/<name>/<file>.png``."""
    text = (TUTORIALS / f"{name}.py").read_text(encoding="utf-8")
    return sorted(set(re.findall(rf"\]\(figures/{name}/([\w.-]+\.png)\)", text)))


def run_tutorial(name: str, out: Path, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "VAEKIT_TUTORIAL_SMOKE": "1", "VAEKIT_TUTORIAL_OUT": str(out),
           "MPLBACKEND": "Agg"}  # fmt: skip
    return subprocess.run(
        [sys.executable, str(TUTORIALS / f"{name}.py")],
        cwd=out, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


# CI runs every tutorial at smoke size before the tests (.ci/run), so this test is left out
# of CI (slow) and serves to check one tutorial locally: pytest -m slow -k mnist
@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize(
    ("name", "timeout"),
    [
        pytest.param("mnist", 300, marks=needs_local_mnist),
        pytest.param("at_scale", 300, marks=needs_local_mnist),
        # the first use of dSprites renders and caches its 737,280 images (minutes)
        pytest.param("disentanglement", 900),
    ],
)
def test_tutorial_runs_and_writes_its_figures(name: str, timeout: float, tmp_path: Path) -> None:
    figures = referenced_figures(name)
    assert figures, f"{name}.py shows no figure"
    done = run_tutorial(name, tmp_path, timeout)
    assert done.returncode == 0, f"{name}.py failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    for file in figures:
        path = tmp_path / name / file
        assert path.is_file(), f"{name}.py shows {file} but did not write it"
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000, f"{path} is not a PNG image"
