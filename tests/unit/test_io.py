import pickle

import pytest
import torch

from vaekit.errors import ModelFileError
from vaekit.io import load, load_tensors, save_model, save_tensors
from vaekit.models import create_model


def small_model():
    return create_model("vae", input_shape=(6,), latent_dim=2, hidden=[8], likelihood="gaussian")


def test_torch_save_file_is_refused_not_executed(tmp_path):
    save_model(small_model(), tmp_path)
    marker = tmp_path / "executed"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"x": Evil()}, tmp_path / "model.safetensors")
    with pytest.raises(ModelFileError, match="not a safetensors file.*pickle"):
        load(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        load(tmp_path)
    assert not marker.exists()


def test_garbage_and_truncated_files_are_refused(tmp_path):
    p = tmp_path / "w.safetensors"
    p.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}......")
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        load_tensors(p)
    save_tensors(p, {"a": torch.ones(100)})
    p.write_bytes(p.read_bytes()[:-50])
    with pytest.raises(ModelFileError, match="corrupt safetensors"):
        load_tensors(p)
    with pytest.raises(ModelFileError, match="file not found"):
        load_tensors(tmp_path / "nope.safetensors")


def test_weights_of_another_shape_are_named(tmp_path):
    save_model(small_model(), tmp_path)
    other = create_model("vae", input_shape=(6,), latent_dim=3, hidden=[8], likelihood="gaussian")
    save_tensors(tmp_path / "model.safetensors", other.state_dict())
    with pytest.raises(ModelFileError, match=r"has shape \(\d+, 3\), model expects \(\d+, 2\)"):
        load(tmp_path)


def test_model_json_problems(tmp_path):
    with pytest.raises(ModelFileError, match="model.json: not found"):
        load(tmp_path)
    (tmp_path / "model.json").write_text('{"model": "nope", "config": {}}')
    with pytest.raises(ModelFileError, match="unknown model 'nope'"):
        load(tmp_path)


def test_atomic_save_leaves_no_temporary_files(tmp_path):
    save_model(small_model(), tmp_path)
    save_model(small_model(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.safetensors"]


def test_a_header_length_that_starts_like_a_pickle_still_loads(tmp_path):
    # a safetensors header of 0x..80 bytes begins with the byte that opens a pickle
    p = tmp_path / "w.safetensors"
    for pad in range(300):
        save_tensors(p, {"a": torch.arange(3.0)}, metadata={"pad": "x" * pad})
        if p.read_bytes()[0] == 0x80:
            break
    assert p.read_bytes()[0] == 0x80
    tensors, meta = load_tensors(p)
    assert torch.equal(tensors["a"], torch.arange(3.0)) and meta["pad"].startswith("x")
