"""dSprites: the factor grid, deterministic procedural rendering, packed storage, training and
the disentanglement evaluation of a run."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import vaekit
from helpers import run_cli
from vaekit.data import iterate_batches
from vaekit.data.base import Split
from vaekit.data.dsprites import (
    FACTOR_SIZES,
    N_IMAGES,
    NPZ_NAME,
    PROCEDURAL_SHA256,
    DSprites,
    _digest,
    _read_npz_images,
    factors_of,
    index_of,
    render,
)
from vaekit.data.packed import PackedImages
from vaekit.errors import DataError

ORIGINAL = Path(os.environ.get("VAEKIT_DATA_DIR", "/nonexistent")) / "dsprites" / NPZ_NAME


@pytest.fixture(scope="module")
def dsprites(dsprites_rendering: tuple[Path, np.ndarray]) -> DSprites:
    """All 737,280 images rendered from scratch this session (the determinism check) and
    cached in a private cache directory that the training tests of this module read."""
    cache, bits = dsprites_rendering
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        yield DSprites(bits)


def _centroid(img: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(img)
    return cols.mean() + 0.5, rows.mean() + 0.5  # x, y of pixel centres


# ------------------------------------------------------------------------ the grid
def test_index_and_factors_are_inverse_over_the_whole_grid():
    idx = np.arange(N_IMAGES)
    f = factors_of(idx)
    assert f.shape == (N_IMAGES, 5)
    assert [int(f[:, k].max()) + 1 for k in range(5)] == list(FACTOR_SIZES)
    np.testing.assert_array_equal(index_of(f), idx)
    # the original's layout: row-major, pos_y fastest
    assert index_of(np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0]])).tolist() == [
        245760, 1, 32,
    ]  # fmt: skip


def test_sample_factors_draws_like_disentanglement_lib():
    got = DSprites().sample_factors(16, np.random.RandomState(3))
    rs = np.random.RandomState(3)
    expected = np.stack([rs.randint(s, size=16) for s in FACTOR_SIZES], axis=1)
    np.testing.assert_array_equal(got, expected)


def test_bad_factors_are_one_clear_error():
    with pytest.raises(DataError, match="'orientation' must be in 0..39"):
        render(np.array([[0, 0, 40, 0, 0]]))
    with pytest.raises(DataError, match=r"\(n, 5\)"):
        render(np.zeros((3, 4), dtype=int))
    with pytest.raises(DataError, match="integer levels"):
        index_of(np.array([[0, 0.5, 0, 0, 0]]))


# ------------------------------------------------------------------------ geometry
def test_geometry_follows_the_originals_measurements():
    # centre 16 + 32 * pos pixels, x to the right and y down
    for kx, ky in [(0, 0), (31, 0), (10, 25)]:
        (img,) = render(np.array([[0, 5, 0, kx, ky]]))
        cx, cy = _centroid(img)
        assert abs(cx - (16 + 32 * kx / 31)) < 0.5 and abs(cy - (16 + 32 * ky / 31)) < 0.5
    # square half-side 9.6 * scale: side 19.2 px at scale 1, area within a pixel border
    sq = render(np.array([[0, 5, 0, 16, 16], [0, 0, 0, 16, 16]])).sum((1, 2))
    assert 19.2**2 - 2 * 19.2 <= sq[0] <= 21**2 and 9.6**2 - 2 * 9.6 <= sq[1] <= 11**2
    # ellipse semi-axes 12.8 x 7.2 at scale 1, long axis horizontal at angle 0
    (e,) = render(np.array([[1, 5, 0, 16, 16]]))
    assert abs(e.sum() - np.pi * 12.8 * 7.2) < 0.05 * np.pi * 12.8 * 7.2
    assert np.any(e, 0).sum() > 1.6 * np.any(e, 1).sum()
    # heart of about 58 px at scale 0.5, lobes up: more of it above its centre than below
    (h,) = render(np.array([[2, 0, 0, 16, 16]]))
    assert 50 <= h.sum() <= 68
    rows = np.nonzero(h)[0] + 0.5
    assert (rows < rows.mean()).sum() > (rows > rows.mean()).sum()


def test_orientation_turns_counter_clockwise_and_wraps_at_2_pi():
    ell = render(np.array([[1, 5, 5, 16, 16], [1, 5, 10, 16, 16]]))  # ~46 and ~92 degrees
    rows, cols = np.nonzero(ell[0])
    # counter-clockwise on screen: the long axis goes up and to the right (y grows downward)
    assert np.cov(cols, rows)[0, 1] < 0
    assert np.any(ell[1], 1).sum() > 1.6 * np.any(ell[1], 0).sum()  # near vertical
    for shape in range(3):
        a, b = render(np.array([[shape, 3, 0, 7, 9], [shape, 3, 39, 7, 9]]))
        np.testing.assert_array_equal(a, b)  # 0 and 2 pi: the same image


# --------------------------------------------------------------- rendering, storage
def test_all_images_render_deterministically(dsprites: DSprites):
    assert dsprites.images.bits.shape == (N_IMAGES, 512)
    assert _digest(dsprites.images.bits.numpy()) == PROCEDURAL_SHA256
    assert dsprites.images.bits.numel() <= 400 * 2**20  # packed: under 400 MB


def test_packed_images_equal_rendering_on_demand(dsprites: DSprites):
    f = dsprites.sample_factors(300, np.random.RandomState(0))
    packed = dsprites.images_from_factors(f)
    assert packed.shape == (300, 1, 64, 64) and packed.dtype == np.float32
    np.testing.assert_array_equal(packed, DSprites().images_from_factors(f))
    assert set(np.unique(packed)) <= {0.0, 1.0}


def test_packed_images_round_trip_and_batching():
    rng = np.random.default_rng(0)
    imgs = rng.random((50, 1, 5, 7)) < 0.3  # 35 pixels: a ragged last byte
    packed = PackedImages(np.packbits(imgs.reshape(50, -1), axis=1), (1, 5, 7))
    np.testing.assert_array_equal(packed[:], imgs.astype(np.float32))
    np.testing.assert_array_equal(packed[np.array([4, -1])], imgs[[4, 49]].astype(np.float32))
    with pytest.raises(IndexError):
        packed[np.array([50])]
    with pytest.raises(ValueError, match="uint8"):
        PackedImages(np.zeros((3, 4), dtype=np.uint8), (1, 5, 7))
    split = Split(packed, torch.arange(50), indices=np.arange(10, 40))
    torch.manual_seed(1)
    got = list(iterate_batches(split, 8, shuffle=True))
    xs, ys = torch.cat([b[0] for b in got]), torch.cat([b[1] for b in got])
    assert xs.shape == (30, 1, 5, 7)
    # every row exactly once, each with its own label
    rows = ys.numpy()
    assert sorted(rows.tolist()) == list(range(30))
    np.testing.assert_array_equal(xs.numpy(), imgs[10 + rows].astype(np.float32))


def test_npz_reader_refuses_what_is_not_dsprites(tmp_path: Path):
    bad = tmp_path / NPZ_NAME
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable dSprites"):
        _read_npz_images(bad)
    np.savez(bad, imgs=np.zeros((4, 64, 64), np.uint8))
    with pytest.raises(DataError, match=r"must be \(737280, 64, 64\)"):
        _read_npz_images(bad)
    bad.write_bytes(b"")
    np.savez(bad, imgs=np.full((3, 64, 64), 2, np.uint8))
    with pytest.raises(DataError, match="other than 0 and 1"):
        _read_npz_images(bad, n_images=3)
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("other.npy", b"")
    with pytest.raises(DataError, match="not a readable"):
        DSprites.load(bad)


def test_npz_reader_streams_the_images_into_packed_bits(tmp_path: Path):
    imgs = render(factors_of(np.arange(9000, 9000 + 9000, 1)))  # more than one read chunk
    path = tmp_path / NPZ_NAME
    np.savez_compressed(path, imgs=imgs.astype(np.uint8), latents_classes=factors_of(np.arange(9)))
    bits = _read_npz_images(path, n_images=len(imgs))
    np.testing.assert_array_equal(bits, np.packbits(imgs.reshape(len(imgs), -1), axis=1))


@pytest.mark.skipif(not ORIGINAL.exists(), reason=f"the original {NPZ_NAME} is not in "
                    "$VAEKIT_DATA_DIR/dsprites")  # fmt: skip
def test_procedural_images_match_the_original(dsprites: DSprites):
    original = DSprites.load(ORIGINAL.parent)
    f = dsprites.sample_factors(2000, np.random.RandomState(0))
    a, b = original.images_from_factors(f)[:, 0] > 0, dsprites.images_from_factors(f)[:, 0] > 0
    iou = (a & b).sum((1, 2)) / np.maximum((a | b).sum((1, 2)), 1)
    assert np.median(iou) > 0.75
    shift = [np.hypot(*np.subtract(_centroid(x), _centroid(y))) for x, y in zip(a, b, strict=True)]
    assert np.median(shift) < 1.5


# ------------------------------------------------------------- training, evaluation
def test_train_and_evaluate_disentanglement_from_the_cli(dsprites, tmp_path, capsys):
    # the module fixture points the cache at its rendering: nothing is rendered again
    run = tmp_path / "run"
    code, _, err = run_cli(
        ["train", "--dataset", "dsprites", "--model", "beta-vae", "--arch", "burgess",
         "--latent-dim", "10", "--batch-size", "64", "--epochs", "2", "--set",
         "train.steps_per_epoch=4", "--set", "data.val_size=256", "--device", "cpu",
         "--out", str(run)], capsys,
    )  # fmt: skip
    assert code == 0, err
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    assert json.loads((run / "model.json").read_text())["config"]["arch"] == "burgess"
    args = ["evaluate", run, "--metrics", "disentanglement", "--disentanglement-points", "200"]
    code, out, err = run_cli([*args, "--device", "cpu"], capsys)
    assert code == 0, err
    assert "factor_vae_score" in out
    ev = json.loads((run / "evaluation.json").read_text())["val"]  # no test split: val
    for key in ("mig", "sap", "dci_disentanglement", "dci_completeness", "modularity",
                "explicitness_test", "beta_vae_score", "factor_vae_score"):  # fmt: skip
        assert 0.0 <= ev[key] <= 1.0, key
    assert ev["disentanglement_train_points"] == 200 and ev["disentanglement_test_points"] == 100


def test_disentanglement_metric_refuses_data_without_factors(tmp_path, stripes_file, capsys):
    from helpers import small_config

    run = vaekit.fit(small_config(stripes_file, tmp_path / "r", epochs=1), quiet=True)
    with pytest.raises(DataError, match="known generative factors"):
        vaekit.evaluate_run(run, metrics=["disentanglement"])


def test_first_use_says_it_renders_then_reads_the_cache_silently(monkeypatch, capsys):
    """Rendering takes a minute or more: a line before and after, also when piped (the bar
    only draws on a terminal); a cached read prints nothing."""
    import vaekit.data.dsprites as ds

    small = np.zeros((8, 512), dtype=np.uint8)
    saved = []
    monkeypatch.setattr(ds, "find_original", lambda data_dir=None: None)
    monkeypatch.setattr(ds, "cached_bits", lambda: None)
    monkeypatch.setattr(ds, "render_packed", lambda progress=None: small)
    monkeypatch.setattr(ds, "save_cache", saved.append)
    ds.load_dsprites()
    err = capsys.readouterr().err
    assert "rendering the 737,280 dSprites images once" in err and "rendered dSprites in" in err
    assert saved and saved[0] is small
    monkeypatch.setattr(ds, "cached_bits", lambda: small)
    raw = ds.load_dsprites()
    assert capsys.readouterr().err == "" and len(raw.x_train) == 8
