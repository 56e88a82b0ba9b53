"""Datasets (a registry of named sets plus your own files), splits and batching."""

from vaekit.data.arrays import load_array_file
from vaekit.data.base import DataBundle, RawData, Split
from vaekit.data.batching import global_batches, iterate_batches, shard_bounds
from vaekit.data.dsprites import DSprites
from vaekit.data.idx import read_idx, write_idx
from vaekit.data.mnist import load_mnist
from vaekit.data.prepare import BINARIZE_MODES, prepare_data
from vaekit.data.registry import DATASETS, load_raw, register_dataset
from vaekit.data.setup import build_data, resolve_auto

__all__ = [
    "BINARIZE_MODES",
    "DATASETS",
    "DataBundle",
    "DSprites",
    "RawData",
    "build_data",
    "resolve_auto",
    "Split",
    "global_batches",
    "iterate_batches",
    "shard_bounds",
    "load_array_file",
    "load_mnist",
    "load_raw",
    "prepare_data",
    "read_idx",
    "register_dataset",
    "write_idx",
]
