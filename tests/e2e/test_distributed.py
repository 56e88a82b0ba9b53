"""Data-parallel training: sharding, noise, and real 2-process gloo jobs under torchrun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

import vaekit
from vaekit.data import global_batches, iterate_batches, shard_bounds
from vaekit.data.base import Split
from vaekit.distributions.noise import batch_shard, standard_normal
from vaekit.errors import TrainingError
from vaekit.io.run_dir import read_metrics
from vaekit.io.safe import load_tensors
from vaekit.train import distributed

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available(), reason="this PyTorch has no torch.distributed"
)

# -------------------------------------------------------------------- pieces in one process


@pytest.mark.parametrize("n,world", [(16, 2), (7, 2), (10, 3), (3, 3)])
def test_shard_bounds_tile_the_batch(n: int, world: int) -> None:
    bounds = [shard_bounds(n, r, world) for r in range(world)]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    sizes = [hi - lo for lo, hi in bounds]
    assert max(sizes) - min(sizes) <= 1


def test_global_batches_drop_a_last_batch_smaller_than_the_world() -> None:
    assert global_batches(70, 16) == [16, 16, 16, 16, 6]
    assert global_batches(65, 16, world=2) == [16, 16, 16, 16]
    assert global_batches(66, 16, world=2) == [16, 16, 16, 16, 2]


def test_sharded_batches_are_the_single_process_rows() -> None:
    """Concatenating the ranks' rows gives the single-process batch, dynamic binarization
    included (same seed, same draws)."""
    x = torch.rand(50, 6)
    split = Split(x, torch.arange(50))  # labels follow their rows

    def batches(shard: tuple[int, int] | None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        torch.manual_seed(5)
        it = iterate_batches(split, 8, shuffle=True, dynamic_binarize=True, shard=shard)
        return [(b, y) for b, y in it]

    single = batches(None)
    ranks = [batches((r, 3)) for r in range(3)]
    assert len(single) == 7  # 6 full batches and one of 2
    assert [len(r) for r in ranks] == [6, 6, 6]  # the batch of 2 < 3 ranks is dropped
    for step in range(6):
        xs = torch.cat([ranks[r][step][0] for r in range(3)])
        ys = torch.cat([ranks[r][step][1] for r in range(3)])
        assert torch.equal(xs, single[step][0]) and torch.equal(ys, single[step][1])


def test_noise_in_a_shard_is_the_slice_of_the_global_noise() -> None:
    torch.manual_seed(1)
    full = torch.randn(3, 10, 4)  # (k, B, D)
    torch.manual_seed(1)
    with batch_shard(4, 7, 10):
        part = standard_normal((3, 3, 4), torch.float32, "cpu")
        other = standard_normal((3, 5, 4), torch.float32, "cpu")  # not the shard's size
    assert torch.equal(part, full[:, 4:7])
    assert other.shape == (3, 5, 4)
    with pytest.raises(ValueError):
        with batch_shard(5, 3, 10):
            pass


def test_single_process_needs_no_process_group(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    info, owned = distributed.setup(torch.device("cpu"))
    assert (info.rank, info.world_size, info.enabled, info.is_main, owned) == (
        0, 1, False, True, False
    )  # fmt: skip
    assert distributed.broadcast_text("runs/x", info) == "runs/x"


def _lonely_rank(rank: int, port: int, out: str) -> None:
    """Rank 1 leaves right after joining; rank 0's next collective must fail, not hang."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group(
        "gloo", rank=rank, world_size=2, timeout=timedelta(seconds=5)
    )
    info = distributed.current()
    if rank == 1:
        os._exit(0)
    t0 = time.perf_counter()
    try:
        distributed.all_reduce_sum(torch.ones(3), info)
        msg = "no error"
    except TrainingError as e:
        msg = str(e)
    Path(out).write_text(f"{time.perf_counter() - t0:.1f}\n{msg}")
    os._exit(0)


def test_a_collective_without_its_peer_fails_clearly_within_the_timeout(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "rank0.txt"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_lonely_rank, args=(r, port, str(out))) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    seconds, msg = out.read_text().split("\n", 1)
    assert "rank 0: lost contact with the other ranks" in msg
    assert float(seconds) < 30


# -------------------------------------------------------------------- torchrun jobs

TINY = ["--hidden", "16", "--latent-dim", "3", "--binarize", "dynamic", "--batch-size", "16",
        "--val-size", "0", "--seed", "3", "-q"]  # fmt: skip


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    return env


def _torchrun(*args: str, nproc: int = 2, timeout: float = 180) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", "-m", "vaekit", *args]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def _single(*args: str) -> None:
    res = subprocess.run([sys.executable, "-m", "vaekit", *args], capture_output=True,
                         text=True, env=_env(), timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_tensors(run / "model.safetensors")[0]


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """69 rows: global batches of 16 are split 8/8, the last one of 5 is split 3/2."""
    path = tmp_path_factory.mktemp("ddp") / "x.npy"
    np.save(path, np.random.default_rng(0).random((69, 12)).astype(np.float32))
    return path


@pytest.fixture(scope="module")
def reference(table: Path) -> Path:
    """Single-process training, 2 epochs: what every DDP variant must reproduce."""
    out = table.parent / "single"
    _single("train", "--dataset", str(table), *TINY, "--epochs", "2", "--out", str(out))
    return out


def test_two_gloo_processes_match_single_process_training(table: Path, reference: Path) -> None:
    out = table.parent / "ddp"
    res = _torchrun("train", "--dataset", str(table), *TINY, "--epochs", "2", "--out", str(out))
    assert res.stdout.strip() == str(out)  # rank 0 alone reports the run
    _assert_same_weights(out, reference)
    single = read_metrics(reference)
    ddp = read_metrics(out)
    assert [m["step"] for m in ddp] == [m["step"] for m in single] == [5, 10]
    for a, b in zip(ddp, single, strict=True):  # metrics are summed over the ranks
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
        assert a["train_kl"] == pytest.approx(b["train_kl"], rel=1e-4)


def test_checkpoints_cross_between_ddp_and_single_process(table: Path, reference: Path) -> None:
    # DDP for epoch 1, then a single process resumes to epoch 2
    a = table.parent / "ddp-then-single"
    _torchrun("train", "--dataset", str(table), *TINY, "--epochs", "1", "--out", str(a))
    _single("train", "--resume", str(a), "--epochs", "2", "-q")
    _assert_same_weights(a, reference)
    # a single process for epoch 1, then DDP resumes to epoch 2
    b = table.parent / "single-then-ddp"
    _single("train", "--dataset", str(table), *TINY, "--epochs", "1", "--out", str(b))
    _torchrun("train", "--resume", str(b), "--epochs", "2", "-q")
    _assert_same_weights(b, reference)
    assert [m["epoch"] for m in read_metrics(b)] == [1, 2]


def test_sequence_vae_under_ddp_matches_one_process(tmp_path: Path) -> None:
    """Length-bucketed token batches, word dropout and the Gaussian noise all follow the
    global batch: two gloo processes end with the single process's weights."""
    words = ["a", "b", "c", "d", "e", "f"]
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(words, rng.integers(1, 7))) for _ in range(75)]
    text = tmp_path / "t.txt"
    text.write_text("\n".join(lines) + "\n")
    args = ["--model", "seq-vae", "--dataset", str(text), "--latent-dim", "3", "--set",
            "model.embed_dim=8", "--set", "model.rnn_hidden=8", "--set", "model.decoder_hidden=8",
            "--word-dropout", "0.3", "--batch-size", "16", "--val-size", "0", "--seed", "3",
            "--epochs", "2", "-q"]  # fmt: skip
    _single("train", *args, "--out", str(tmp_path / "one"))
    _torchrun("train", *args, "--out", str(tmp_path / "two"))
    _assert_same_weights(tmp_path / "one", tmp_path / "two")


def test_factorvae_with_two_optimizers_trains_under_ddp(table: Path) -> None:
    """The discriminator's own optimizer is averaged across ranks too: the trainer's
    end-of-training check fails the job when the ranks' copies differ."""
    out = table.parent / "factorvae"
    _torchrun("train", "--model", "factorvae", "--dataset", str(table), *TINY, "--epochs", "2",
              "--out", str(out))  # fmt: skip
    metrics = read_metrics(out)
    assert len(metrics) == 2 and 0.0 <= metrics[-1]["train_disc_accuracy"] <= 1.0
    model = vaekit.load(out)
    assert torch.isfinite(model.sample(4)).all()


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the worker processes")
def test_killing_one_rank_ends_the_job_with_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "big.npy"
    np.save(data, np.random.default_rng(0).random((4000, 20)).astype(np.float32))
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
           "-m", "vaekit", "train", "--dataset", str(data), "--epochs", "10000", "--batch-size",
           "8", "--val-size", "0", "-q", "--out", str(out)]  # fmt: skip
    launcher = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=_env())  # fmt: skip
    try:
        deadline = time.time() + 120
        while not (out / "metrics.jsonl").exists():  # training is under way on both ranks
            assert launcher.poll() is None and time.time() < deadline, "the job did not start"
            time.sleep(0.2)
        workers = _children(launcher.pid)
        assert len(workers) == 2
        os.kill(max(workers), signal.SIGKILL)
        t0 = time.time()
        output, _ = launcher.communicate(timeout=60)
        elapsed = time.time() - t0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode != 0
    assert elapsed < 60
    assert "Root Cause" in output and "SIGKILL" in output  # names the rank that died
