"""Input complexity: the length of an input under a generic lossless compressor, in nats.

Serrà et al. (2020), "Input complexity and out-of-distribution detection with
likelihood-based generative models", correct a likelihood score by the input's complexity
``L(x)``: simple inputs (a "1" among digits, a blank image) get high likelihood from any
model, so ``S(x) = -log p(x) - L(x)`` ranks them by how much *worse* the model does than a
general-purpose compressor instead.

- Images ``(C, H, W)`` in [0, 1]: PNG of the 8-bit image (grey or RGB; other channel counts
  one grey plane per channel), zlib level 9, no metadata.
- Tables ``(D,)`` of standardized features: each value rounded to 1/16 of a standard
  deviation, clipped to +-2047 (12 bits), written as little-endian int16 and compressed with
  zlib level 9. The rounding step is finer than the noise a Gaussian likelihood models, so
  rows the compressor finds regular (repeated or zero values) are the "simple" ones.

Lengths count the compressor's bytes (8 bits each) and are returned in nats (``* ln 2``).
"""

from __future__ import annotations

import io
import math
import zlib

import numpy as np

#: rounding step for table values, in standard deviations
TABLE_STEP = 1.0 / 16
NATS_PER_BYTE = 8 * math.log(2)


def _png_bytes(image: np.ndarray) -> int:
    from PIL import Image  # matplotlib's own dependency

    pixels = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)  # (C, H, W)
    if pixels.shape[0] == 3:
        planes = [Image.fromarray(np.moveaxis(pixels, 0, -1), mode="RGB")]
    else:
        planes = [Image.fromarray(p, mode="L") for p in pixels]
    total = 0
    for plane in planes:
        buf = io.BytesIO()
        plane.save(buf, format="PNG", optimize=False, compress_level=9)
        total += buf.tell()
    return total


def _table_bytes(row: np.ndarray) -> int:
    q = np.clip(np.rint(row / TABLE_STEP), -2047, 2047).astype("<i2")
    return len(zlib.compress(q.tobytes(), 9))


def complexity_nats(x: np.ndarray, kind: str) -> np.ndarray:
    """``L(x)`` of each row of ``x``, in nats: ``(N,)`` float64.

    Parameters
    ----------
    x
        Images ``(N, C, H, W)`` with values in [0, 1] (``kind="image"``), or standardized
        table rows ``(N, D)`` (``kind="tabular"``).
    kind
        ``"image"`` (PNG) or ``"tabular"`` (quantized int16 + zlib).
    """
    if kind == "image":
        if x.ndim == 3:
            x = x[:, None]
        return np.array([_png_bytes(img) for img in x], dtype=np.float64) * NATS_PER_BYTE
    if kind == "tabular":
        return np.array([_table_bytes(r) for r in x], dtype=np.float64) * NATS_PER_BYTE
    raise ValueError(f"unknown kind {kind!r}")
