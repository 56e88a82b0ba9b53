from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import MNIST_DIR, needs_mnist
from vaekit.data import arrays as arrays_mod
from vaekit.data import (
    iterate_batches,
    load_array_file,
    load_mnist,
    prepare_data,
    read_idx,
    write_idx,
)
from vaekit.data.base import RawData
from vaekit.errors import ConfigError, DataError


# ----------------------------------------------------------------------------- IDX
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / f"a{suffix}", arr)
    assert np.array_equal(read_idx(tmp_path / f"a{suffix}"), arr)


def test_idx_truncated_file_is_named(tmp_path):
    write_idx(tmp_path / "imgs", np.zeros((5, 28, 28), np.uint8))
    data = (tmp_path / "imgs").read_bytes()
    (tmp_path / "imgs").write_bytes(data[:-100])
    with pytest.raises(DataError, match=r"imgs: truncated: header says 5x28x28"):
        read_idx(tmp_path / "imgs")


def test_idx_bad_magic_and_bad_gzip(tmp_path):
    (tmp_path / "x").write_bytes(b"\x12\x34\x08\x01" + b"\0" * 8)
    with pytest.raises(DataError, match="bad magic number"):
        read_idx(tmp_path / "x")
    (tmp_path / "y.gz").write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(DataError, match="y.gz: corrupt gzip"):
        read_idx(tmp_path / "y.gz")
    (tmp_path / "z.gz").write_bytes(b"\0\0\x08\x01\0\0\0\x01\x05")
    with pytest.raises(DataError, match="named .gz but is not gzip"):
        read_idx(tmp_path / "z.gz")
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "missing")


def _mnist_dir(tmp_path, n_img=10, n_lab=10, labels=None, shape=(28, 28)):
    tmp_path.mkdir(parents=True)
    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", np.zeros((n_img, *shape), np.uint8))
        lab = np.arange(n_lab) % 10 if labels is None else labels
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.asarray(lab, np.uint8))
    return tmp_path


def test_mnist_reader_validates_lengths_labels_and_shape(tmp_path):
    raw = load_mnist(_mnist_dir(tmp_path / "ok"), download_ok=False)
    assert raw.x_train.shape == (10, 1, 28, 28) and raw.y_train.tolist() == list(range(10))
    with pytest.raises(DataError, match="9 labels for 10 images"):
        load_mnist(_mnist_dir(tmp_path / "len", n_lab=9), download_ok=False)
    with pytest.raises(DataError, match="label 12 at index 3 is outside 0-9"):
        load_mnist(
            _mnist_dir(tmp_path / "lab", labels=[0, 1, 2, 12, 0, 0, 0, 0, 0, 0]), download_ok=False
        )
    with pytest.raises(DataError, match="expected N x 28 x 28"):
        load_mnist(_mnist_dir(tmp_path / "shape", shape=(27, 28)), download_ok=False)


def test_mnist_missing_files_in_given_dir(tmp_path):
    with pytest.raises(DataError, match="MNIST files missing in"):
        load_mnist(tmp_path, download_ok=False)


@needs_mnist
def test_real_mnist_facts():
    raw = load_mnist(MNIST_DIR, download_ok=False)
    assert raw.x_train.shape == (60000, 1, 28, 28) and raw.x_test.shape == (10000, 1, 28, 28)
    assert torch.bincount(raw.y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert torch.bincount(raw.y_test).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert raw.x_train.mean().item() == pytest.approx(0.1307, abs=1e-4)
    assert raw.x_train.std().item() == pytest.approx(0.3081, abs=1e-4)


# ----------------------------------------------------------------------------- own arrays
def test_npy_npz_csv_loading(tmp_path):
    x = np.random.default_rng(0).random((20, 3)).astype(np.float32)
    np.save(tmp_path / "a.npy", x)
    assert torch.equal(load_array_file(tmp_path / "a.npy").x_train, torch.from_numpy(x))
    np.savez(tmp_path / "b.npz", x=x, y=np.arange(20) % 2, x_test=x[:5], y_test=np.zeros(5))
    raw = load_array_file(tmp_path / "b.npz")
    assert raw.y_train.tolist() == [i % 2 for i in range(20)] and raw.x_test.shape == (5, 3)
    (tmp_path / "c.csv").write_text("a,b,label\n1,2,0\n3,4,1\n5,6,1\n")
    raw = load_array_file(tmp_path / "c.csv", label_column="label")
    assert raw.x_train.tolist() == [[1, 2], [3, 4], [5, 6]] and raw.y_train.tolist() == [0, 1, 1]
    images = load_array_file(_save(tmp_path / "i.npy", np.zeros((4, 5, 6))))
    assert images.input_shape == (1, 5, 6)


def _save(path, arr):
    np.save(path, arr)
    return path


def test_nan_inf_refused_with_count_and_position(tmp_path):
    x = np.zeros((10, 4))
    x[3, 2] = np.nan
    x[7, 0] = np.inf
    with pytest.raises(DataError, match=r"2 NaN/inf value\(s\); first at row 3, column 2"):
        load_array_file(_save(tmp_path / "n.npy", x))


def test_csv_non_numeric_cell_is_named_by_its_file_line(tmp_path):
    # the file's line number (header = line 1; blank lines counted), as every table command
    (tmp_path / "d.csv").write_text("a,b\n1,2\n\n3,oops\n")
    with pytest.raises(DataError, match=r"d.csv line 4, column 1 \('b'\): non-numeric value 'oo"):
        load_array_file(tmp_path / "d.csv")
    (tmp_path / "e.csv").write_text("a,b\n1,2\n3,\n")  # it read "non-numeric value ''"
    with pytest.raises(DataError, match=r"e.csv line 3, column 1 \('b'\): empty cell; fill it"):
        load_array_file(tmp_path / "e.csv")
    (tmp_path / "f.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(DataError, match=r"f.csv line 3: 1 columns, expected 2"):
        load_array_file(tmp_path / "f.csv")
    (tmp_path / "g.csv").write_text("a,b\n1,2\n3,nan\n4,inf\n")
    with pytest.raises(DataError, match=r"2 NaN/inf value\(s\); first at line 3, column 1 \('b'\)"):
        load_array_file(tmp_path / "g.csv")


def test_csv_values_outside_unit_interval_named_by_line(tmp_path):
    (tmp_path / "u.csv").write_text("a,b\n0.5,0.2\n0.1,1.5\n")
    raw = load_array_file(tmp_path / "u.csv")
    with pytest.raises(DataError, match=r"outside \[0, 1\].*first at line 3, column 1 \(1.5\)"):
        prepare_data(raw, val_size=0, unit_interval=True)


def test_bad_files_and_suffixes(tmp_path):
    (tmp_path / "e.txt").write_text("1")
    with pytest.raises(DataError, match="unsupported file type"):
        load_array_file(tmp_path / "e.txt")
    (tmp_path / "f.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match="cannot read"):
        load_array_file(tmp_path / "f.npy")
    with pytest.raises(DataError, match="shape"):
        load_array_file(_save(tmp_path / "g.npy", np.zeros((0, 3))))


def test_bernoulli_needs_unit_interval():
    raw = RawData("t", torch.tensor([[0.5, 1.5], [0.2, -0.1]]), None)
    with pytest.raises(DataError, match=r"2 value\(s\) outside \[0, 1\].*row 0, column 1 \(1.5\)"):
        prepare_data(raw, val_size=0, unit_interval=True)


# ----------------------------------------------------------------------------- splits
def _raw(n=100, d=6):
    g = torch.Generator().manual_seed(0)
    return RawData(
        "t",
        torch.rand(n, d, generator=g),
        torch.arange(n) % 3,
        torch.rand(10, d, generator=g),
        None,
    )


def test_validation_split_is_seeded_and_disjoint():
    a = prepare_data(_raw(), val_size=0.2, seed=1)
    b = prepare_data(_raw(), val_size=0.2, seed=1)
    c = prepare_data(_raw(), val_size=0.2, seed=2)
    assert len(a.train) == 80 and len(a.val) == 20
    assert torch.equal(a.val.x, b.val.x) and not torch.equal(a.val.x, c.val.x)
    rows = {tuple(r.tolist()) for r in torch.cat([a.train.x, a.val.x])}
    assert len(rows) == 100
    assert prepare_data(_raw(), val_size=15).val.x.shape[0] == 15
    with pytest.raises(ConfigError, match="leaves no training data"):
        prepare_data(_raw(), val_size=100)


def test_static_and_dynamic_binarization():
    s = prepare_data(_raw(), val_size=0.2, binarize="static", seed=0)
    assert set(s.train.x.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(s.train.x, prepare_data(_raw(), 0.2, "static", seed=0).train.x)
    d = prepare_data(_raw(), val_size=0.2, binarize="dynamic", seed=0)
    assert not set(d.train.x.unique().tolist()) <= {0.0, 1.0}  # grey levels kept for training
    assert set(d.test.x.unique().tolist()) <= {0.0, 1.0}  # held-out split binarized once
    torch.manual_seed(0)
    b1 = next(iterate_batches(d.train, 80, dynamic_binarize=True))[0]
    b2 = next(iterate_batches(d.train, 80, dynamic_binarize=True))[0]
    assert set(b1.unique().tolist()) <= {0.0, 1.0} and not torch.equal(b1, b2)
    # a fresh draw each batch has the grey levels as its mean
    draws = torch.stack(
        [next(iterate_batches(d.train, 80, dynamic_binarize=True))[0] for _ in range(400)]
    )
    assert torch.allclose(draws.mean(0), d.train.x, atol=0.1)


def test_standardization_uses_training_statistics():
    b = prepare_data(_raw(), val_size=0.2, standardize=True)
    assert torch.allclose(b.train.x.mean(0), torch.zeros(6), atol=1e-5)
    assert torch.allclose(b.train.x.std(0), torch.ones(6), atol=1e-4)
    assert torch.allclose(b.unstandardize(b.test.x), _raw().x_test, atol=1e-5)


def test_batches_cover_each_example_once_per_epoch():
    b = prepare_data(_raw(), val_size=0)
    seen = torch.cat([x for x, _ in iterate_batches(b.train, 32, shuffle=True)])
    assert seen.shape == (100, 6)
    assert torch.equal(seen[seen[:, 0].argsort()], b.train.x[b.train.x[:, 0].argsort()])


def test_memory_mapped_data_goes_through_a_dataloader(tmp_path, monkeypatch):
    x = np.random.default_rng(0).random((50, 4)).astype(np.float32) * 3
    np.save(tmp_path / "big.npy", x)
    monkeypatch.setattr(arrays_mod, "IN_MEMORY_LIMIT_BYTES", 10)
    raw = load_array_file(tmp_path / "big.npy")
    assert isinstance(raw.x_train, np.memmap)
    b = prepare_data(raw, val_size=10, standardize=True)
    assert not b.train.in_memory and len(b.train) == 40
    seen = torch.cat(
        [xb for xb, _ in iterate_batches(b.train, 16, shuffle=True, mean=b.mean, std=b.std)]
    )
    ref = (torch.from_numpy(x[b.train.indices]) - b.mean) / b.std
    assert torch.allclose(seen[seen[:, 0].argsort()], ref[ref[:, 0].argsort()], atol=1e-5)


def test_shard_arithmetic_sits_at_the_bottom_and_keeps_its_names():
    import vaekit.data.batching as batching
    import vaekit.data.sharding as sharding
    from vaekit.data import global_batches, shard_bounds

    assert batching.shard_bounds is sharding.shard_bounds is shard_bounds
    assert batching.global_batches is sharding.global_batches is global_batches
    assert [shard_bounds(10, r, 3) for r in range(3)] == [(0, 4), (4, 7), (7, 10)]
    assert global_batches(10, 4) == [4, 4, 2] and global_batches(9, 4, world=2) == [4, 4]


def test_split_sample_is_a_seeded_ordered_subset():
    from vaekit.data.base import Split
    from vaekit.text.encoding import TokenSequences

    x = torch.arange(20.0).reshape(10, 2)
    y = torch.arange(10)
    part = Split(x, y).sample(4, seed=3)
    assert len(part) == 4 and part.y.tolist() == sorted(part.y.tolist())
    assert part.x.equal(x[part.y])  # rows and labels stay paired
    assert part.x.equal(Split(x, y).sample(4, seed=3).x)
    assert not part.x.equal(Split(x, y).sample(4, seed=4).x)
    whole = Split(x, y)
    assert whole.sample(10) is whole and whole.sample(0) is whole
    mapped = Split(np.arange(40.0).reshape(20, 2), y, indices=np.arange(10, 20))
    sub = mapped.sample(3, seed=0)
    assert sub.indices.tolist() == (sub.y + 10).tolist()
    seqs = Split(TokenSequences.from_lists([[4 + i] * (i + 1) for i in range(10)]), y)
    picked = seqs.sample(3, seed=1)
    assert picked.x.lengths.tolist() == (picked.y + 2).tolist()  # <eos> counted
