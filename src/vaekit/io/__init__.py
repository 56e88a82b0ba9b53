"""Saving and loading: safetensors weights, JSON model specs, atomic writes."""

from vaekit.io.model_io import load, model_spec, read_spec, save_model
from vaekit.io.safe import atomic_write_bytes, atomic_write_text, load_tensors, save_tensors

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "load",
    "load_tensors",
    "model_spec",
    "read_spec",
    "save_model",
    "save_tensors",
]
