"""Every application's fit, stopped by SIGINT or killed by SIGKILL at a random moment after
its run directory exists, is continued by the command its message names (after SIGKILL:
``vaekit resume RUN``) and ends with the same weights, bit for bit, as a fit never stopped
(CPU, one fixed thread)."""

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

from vaekit.io.safe import load_tensors

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


def _table_csv(path: Path, n: int = 600, seed: int = 0, missing: float = 0.0) -> Path:
    """Eight correlated numeric columns (a shared factor plus noise), some cells empty."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    x = z @ rng.standard_normal((2, 8)) + 0.3 * rng.standard_normal((n, 8))
    cells = np.array([[f"{v:.5f}" for v in row] for row in x], dtype=object)
    cells[rng.random(cells.shape) < missing] = ""
    lines = [",".join(f"f{j}" for j in range(8))] + [",".join(row) for row in cells]
    path.write_text("\n".join(lines) + "\n")
    return path


def _mixed_csv(path: Path, n: int = 400, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    x = np.where(group == "a", rng.normal(-3, 0.3, n), rng.normal(4, 1.0, n))
    rows = [f"{g},{v:.4f},{c}" for g, v, c in zip(group, x, rng.poisson(4, n), strict=True)]
    path.write_text("group,x,count\n" + "\n".join(rows) + "\n")
    return path


def _click_log(path: Path, n_users: int = 300, n_items: int = 80, seed: int = 0) -> Path:
    """Users in four taste groups, each clicking 8-20 items mostly from its group's block."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        block = np.arange(n_items)[(u % 4) * 20 : (u % 4 + 1) * 20]
        k = int(rng.integers(8, 20))
        items = set(rng.choice(block, k - 2, replace=False)) | set(rng.choice(n_items, 2))
        rows += [f"u{u},i{i},5" for i in sorted(items)]
    path.write_text("user,item,rating\n" + "\n".join(rows) + "\n")
    return path


def _series_csv(path: Path, n: int = 400, seed: int = 0) -> Path:
    """Four daily channels (two shared waves plus noise), some cells empty."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    x = np.sin(t / 7 + rng.uniform(0, 6, 4)) + 0.2 * rng.standard_normal((n, 4))
    cells = np.array([[f"{v:.4f}" for v in row] for row in x], dtype=object)
    cells[rng.random(cells.shape) < 0.1] = ""
    days = np.datetime64("2000-01-01") + np.arange(n)
    rows = [f"{d}," + ",".join(row) for d, row in zip(days, cells, strict=True)]
    path.write_text("date,a,b,c,d\n" + "\n".join(rows) + "\n")
    return path


#: kind -> (data maker, fit arguments after the data file); small fits of many epochs
FITS = {
    "detector": (_table_csv, ["anomaly", "fit", "{data}", "--epochs", "20",
                              "--batch-size", "64", "--n-models", "2"]),
    "imputer": (lambda p: _table_csv(p, missing=0.2),
                ["impute", "fit", "{data}", "--epochs", "40"]),
    "synthesizer": (_mixed_csv, ["synth", "fit", "{data}", "--epochs", "40",
                                 "--batch-size", "50"]),
    "recommender": (_click_log, ["recommend", "fit", "{data}", "--epochs", "40",
                                 "--batch-size", "50", "--hidden", "32", "--latent-dim", "16"]),
    "timeseries": (_series_csv, ["timeseries", "fit", "{data}", "--epochs", "40",
                                 "--window", "12"]),
}  # fmt: skip


def _args(kind: str, data: Path, out: Path) -> list[str]:
    fit = [a.replace("{data}", str(data)) for a in FITS[kind][1]]
    return [*fit, "--out", str(out), "--device", "cpu", "--threads", "1", "-q"]


def _vaekit(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vaekit", *args], env=ENV, timeout=timeout,
                          capture_output=True, text=True)  # fmt: skip


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vaekit", *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _weights(run: Path) -> dict[str, torch.Tensor]:
    tensors = {}
    for path in sorted(run.glob("**/model.safetensors")):
        got, _ = load_tensors(path)
        tensors.update({f"{path.parent.relative_to(run)}/{k}": v for k, v in got.items()})
    return tensors


def _assert_same_weights(run: Path, ref: Path) -> None:
    got, want = _weights(run), _weights(ref)
    assert got and got.keys() == want.keys()
    different = [k for k in want if not torch.equal(got[k], want[k])]
    assert not different, different


@pytest.fixture(scope="module", params=sorted(FITS))
def reference(request, tmp_path_factory) -> tuple[str, Path, Path, float]:
    """(kind, data file, the uninterrupted fit's run directory, the seconds from its
    run.json appearing to the end of the fit)."""
    kind = request.param
    root = tmp_path_factory.mktemp(kind)
    data = FITS[kind][0](root / "data.csv")
    ref = root / "reference"
    proc = _start(_args(kind, data, ref))
    _wait_for(ref / "run.json", proc)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return kind, data, ref, time.monotonic() - t0


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_sigint_says_how_to_continue_and_that_command_ends_bit_identical(reference, tmp_path):
    kind, data, ref, _ = reference
    run = tmp_path / "run"
    proc = _start(_args(kind, data, run))
    # at least one epoch is done (the detector: of its second model, in member-1/)
    _wait_for(run / ("member-1/metrics.jsonl" if kind == "detector" else "metrics.jsonl"), proc)
    assert proc.poll() is None, "the fit ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("vaekit: error: interrupted"), err
    assert lines[0].endswith(f"continue with: vaekit resume {run}"), lines[0]
    assert json.loads((run / "run.json").read_text())["kind"] == kind
    done = _vaekit(lines[0].split("continue with: vaekit ")[1].split() + ["-q"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(run)
    _assert_same_weights(run, ref)


def test_sigkill_at_a_random_moment_then_vaekit_resume_ends_bit_identical(reference, tmp_path):
    kind, data, ref, duration = reference
    run = tmp_path / "run"
    moment = random.Random(kind).uniform(0.0, 0.5 * duration)  # within the fit itself
    proc = _start(_args(kind, data, run))
    _wait_for(run / "run.json", proc)  # the run directory exists
    time.sleep(moment)
    assert proc.poll() is None, "the fit ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    done = _vaekit(["resume", str(run), "--threads", "1", "-q"])
    assert done.returncode == 0, done.stderr
    _assert_same_weights(run, ref)


def test_a_fit_stopped_before_it_started_is_run_again_by_vaekit_resume(tmp_path):
    """Killed after the command line wrote run.json but before the fit wrote its settings:
    `vaekit resume RUN` runs the recorded command again, in the directory it ran in."""
    from vaekit.io.run import write_run_json

    data = _mixed_csv(tmp_path / "data.csv", n=120)
    run = tmp_path / "run"
    args = ["synth", "fit", "data.csv", "--out", "run", "--epochs", "3", "--batch-size", "40",
            "--device", "cpu", "--threads", "1", "-q"]  # fmt: skip
    write_run_json(run, "synthesizer", command=["vaekit", *args], cwd=str(tmp_path),
                   data={"path": str(data)})  # fmt: skip
    done = _vaekit(["resume", str(run), "-q"])
    assert done.returncode == 0, done.stderr
    assert "stopped before its fit started" in done.stderr
    assert (run / "model.safetensors").is_file() and (run / "estimator.json").is_file()
    ref = tmp_path / "reference"
    straight = subprocess.run([sys.executable, "-m", "vaekit", *args[:4], str(ref), *args[5:]],
                              env=ENV, cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert straight.returncode == 0, straight.stderr
    _assert_same_weights(run, ref)
