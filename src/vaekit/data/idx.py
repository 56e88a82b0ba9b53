"""Reader for the IDX format of MNIST (raw or gzip-compressed), with validation."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

from vaekit.errors import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into an array, checking its header and length.

    Raises
    ------
    DataError
        If the file is missing, truncated, not gzip despite its name, or its header is not IDX.
    """
    return parse_idx(idx_bytes(path), path)


def idx_bytes(path: str | Path) -> bytes:
    """The (gzip-decompressed, when compressed) bytes of an IDX file.

    Raises
    ------
    DataError
        If the file is missing, or named ``.gz`` but not gzip, or its gzip data is corrupt.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        elif path.suffix == ".gz":
            raise DataError(f"{path}: named .gz but is not gzip data")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: corrupt gzip data ({e})") from None
    return raw


def parse_idx(raw: bytes, path: str | Path) -> np.ndarray:
    """An IDX file's decompressed bytes as an array, checking header and length (``path``
    names the file in errors)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = math.prod(dims) * dtype.itemsize
    body = len(raw) - header
    if body != expected:
        what = "truncated" if body < expected else "has trailing bytes"
        raise DataError(
            f"{path}: {what}: header says {'x'.join(map(str, dims))} "
            f"({expected} bytes of data), file has {body}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    data = header + array.tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
