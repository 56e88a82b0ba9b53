"""Files vaekit writes atomically get the permissions a plain ``open`` would give (the
umask's), not the 0600 of ``tempfile.mkstemp``: run directories can be shared."""

from __future__ import annotations

import os
import stat

import pytest
import torch

from vaekit.io.safe import atomic_write_text, save_tensors


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    yield set_mask
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_writes_follow_the_umask(tmp_path, umask):
    atomic_write_text(tmp_path / "a.json", "{}")
    save_tensors(tmp_path / "w.safetensors", {"w": torch.zeros(2)})
    assert mode(tmp_path / "a.json") == 0o644 and mode(tmp_path / "w.safetensors") == 0o644
    umask(0o077)
    atomic_write_text(tmp_path / "b.json", "{}")
    assert mode(tmp_path / "b.json") == 0o600  # a private umask stays private
    assert not list(tmp_path.glob(".*.tmp"))


def test_run_directory_files_are_shareable(stripes_file, tmp_path, umask):
    import vaekit

    cfg = vaekit.Config()
    cfg.data.dataset = str(stripes_file)
    cfg.model.hidden = [16]
    cfg.model.latent_dim = 2
    cfg.train.epochs = 1
    cfg.out = str(tmp_path / "run")
    run = vaekit.fit(cfg, quiet=True)
    files = [p for p in run.rglob("*") if p.is_file()]
    assert len(files) >= 5
    assert {p.name: mode(p) for p in files} == {p.name: 0o644 for p in files}
