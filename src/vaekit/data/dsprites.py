"""dSprites (Matthey et al. 2017): 737,280 binary 64x64 sprites over an exact factor grid.

Factors, in the original's order (the row index of its ``.npz`` is row-major over them,
``pos_y`` fastest): shape 3 (square, ellipse, heart), scale 6 (linspace(0.5, 1, 6)),
orientation 40 (linspace(0, 2 pi, 40): the first and last angle give the same image),
pos_x and pos_y 32 each (linspace(0, 1, 32)).

The images are rendered procedurally, with geometry measured on the original's frames:
centre ``16 + 32 * pos`` pixels (x to the right, y down), square half-side ``9.6 * scale``,
ellipse semi-axes ``12.8 * scale`` by ``7.2 * scale`` (long axis horizontal at angle 0),
a heart of area about 58 px at scale 0.5 (lobes up), turned counter-clockwise on screen by
the orientation. A pixel is on when its centre lies in the shape. Only correctly rounded
IEEE operations follow the sine and cosine, which are rounded to 2^-20, so every machine
renders the same bytes (checked by a digest of all 737,280 images).

When the original ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`` is given (a data
directory holding it, or ``$VAEKIT_DATA_DIR/dsprites``), its images are read instead.
Either way the images are kept as packed bits (377 MB), not as floats.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from vaekit.data.base import RawData
from vaekit.data.download import cache_dir
from vaekit.data.packed import PackedImages
from vaekit.errors import DataError
from vaekit.progress import progress_bar

FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
SHAPE_NAMES = ("square", "ellipse", "heart")
N_IMAGES = 737280
IMAGE_SHAPE = (1, 64, 64)
NPZ_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
#: row strides of the factor grid (``index = factors @ STRIDES``)
STRIDES = np.array([245760, 40960, 1024, 32, 1], dtype=np.int64)
#: sha256 of the packed bits (``numpy.packbits`` rows of 512 bytes) of all procedural images
PROCEDURAL_SHA256 = "0fbc8d283180ead2f1c2f5f0ed55456ff45eef02b3443d3b3d2cdde7d52a654b"
CACHE_NAME = "procedural-v1.npy"

_SIZE = 64
_TRIG_GRID = 2.0**20
_SQUARE_HALF = 9.6  # px at scale 1
_ELLIPSE_AXES = (12.8, 7.2)  # semi-axes, px at scale 1
_HEART_UNIT = 8.0  # px per unit of the curve (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, at scale 1
_HEART_CENTROID = 0.29  # the curve's centroid height, so the heart turns about its middle


def factor_values() -> dict[str, np.ndarray]:
    """The value of each factor level, as in the original's ``latents_values``."""
    return {
        "shape": np.array([1.0, 2.0, 3.0]),
        "scale": np.linspace(0.5, 1.0, 6),
        "orientation": np.linspace(0.0, 2 * np.pi, 40),
        "pos_x": np.linspace(0.0, 1.0, 32),
        "pos_y": np.linspace(0.0, 1.0, 32),
    }


def check_factors(factors: np.ndarray) -> np.ndarray:
    """``factors`` as an ``(n, 5)`` int64 array; a clear error when out of the grid."""
    f = np.asarray(factors)
    if f.ndim != 2 or f.shape[1] != len(FACTOR_SIZES):
        raise DataError(f"dSprites factors must be (n, 5) integers; got shape {f.shape}")
    if f.size and not np.issubdtype(f.dtype, np.integer):
        if not np.all(np.equal(np.mod(f, 1), 0)):
            raise DataError("dSprites factors must be integer levels, not values")
    f = f.astype(np.int64)
    for k, (name, size) in enumerate(zip(FACTOR_NAMES, FACTOR_SIZES, strict=True)):
        bad = (f[:, k] < 0) | (f[:, k] >= size)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"dSprites factor {name!r} must be in 0..{size - 1}; row {row} has {f[row, k]}"
            )
    return f


def index_of(factors: np.ndarray) -> np.ndarray:
    """Row indices ``(n,)`` of the images with ``factors`` ``(n, 5)``."""
    return check_factors(factors) @ STRIDES


def factors_of(index: np.ndarray) -> np.ndarray:
    """Factor levels ``(n, 5)`` of image rows ``index`` ``(n,)``."""
    idx = np.asarray(index, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= N_IMAGES):
        raise DataError(f"dSprites image index must be in 0..{N_IMAGES - 1}")
    return (idx[:, None] // STRIDES[None, :]) % np.array(FACTOR_SIZES)


def _trig(level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    theta = level * (2 * np.pi / 39)
    c = np.round(np.cos(theta) * _TRIG_GRID) / _TRIG_GRID
    s = np.round(np.sin(theta) * _TRIG_GRID) / _TRIG_GRID
    return c, s


def render(factors: np.ndarray) -> np.ndarray:
    """Render the images of ``factors`` ``(n, 5)``: ``(n, 64, 64)`` bool, procedurally."""
    f = check_factors(factors)
    n = len(f)
    out = np.zeros((n, _SIZE, _SIZE), dtype=bool)
    if n == 0:
        return out
    scale = ((5 + f[:, 1]) / 10.0)[:, None, None]  # 0.5 .. 1.0
    c, s = (t[:, None, None] for t in _trig(f[:, 2]))
    cx = ((16 * 31 + 32 * f[:, 3]) / 31.0)[:, None, None]
    cy = ((16 * 31 + 32 * f[:, 4]) / 31.0)[:, None, None]
    grid = np.arange(_SIZE, dtype=np.float64) + 0.5
    dx = grid[None, None, :] - cx  # (n, 1, 64): pixel centre minus sprite centre
    dy = grid[None, :, None] - cy  # (n, 64, 1), y down
    u = c * dx - s * dy  # (n, 64, 64): the shape's own frame, turned back by the angle
    v = -(s * dx) - c * dy  # y up
    for shape, inside in enumerate((_square, _ellipse, _heart)):
        rows = f[:, 0] == shape
        if rows.any():
            out[rows] = inside(u[rows], v[rows], scale[rows])
    return out


def _square(u: np.ndarray, v: np.ndarray, scale: np.ndarray) -> np.ndarray:
    half = _SQUARE_HALF * scale
    return (np.abs(u) <= half) & (np.abs(v) <= half)


def _ellipse(u: np.ndarray, v: np.ndarray, scale: np.ndarray) -> np.ndarray:
    a, b = _ELLIPSE_AXES[0] * scale, _ELLIPSE_AXES[1] * scale
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


def _heart(u: np.ndarray, v: np.ndarray, scale: np.ndarray) -> np.ndarray:
    unit = _HEART_UNIT * scale
    x = u / unit
    y = v / unit + _HEART_CENTROID
    r = x * x + y * y - 1.0
    return r * r * r - x * x * (y * y * y) <= 0.0


def render_packed(
    chunk: int = 4096, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """All 737,280 procedural images as packed bits ``(737280, 512)`` uint8, in index order.

    ``progress(done, total)`` is called after each chunk.
    """
    out = np.empty((N_IMAGES, _SIZE * _SIZE // 8), dtype=np.uint8)
    for start in range(0, N_IMAGES, chunk):
        idx = np.arange(start, min(start + chunk, N_IMAGES))
        out[idx] = np.packbits(render(factors_of(idx)).reshape(len(idx), -1), axis=1)
        if progress is not None:
            progress(int(idx[-1]) + 1, N_IMAGES)
    return out


def _digest(bits: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(bits).data).hexdigest()


def _read_npz_images(path: Path, n_images: int = N_IMAGES) -> np.ndarray:
    """Stream ``imgs`` (``n_images`` of them) out of the original ``.npz`` into packed bits
    (never the 3 GB at once, and nothing unpickled: its ``metadata`` member is never read)."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open("imgs.npy") as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(member)
            if shape != (n_images, _SIZE, _SIZE) or dtype != np.uint8 or fortran:
                raise DataError(
                    f"{path}: 'imgs' must be ({n_images}, 64, 64) uint8 in C order; got "
                    f"{shape} {dtype}"
                )
            out = np.empty((n_images, _SIZE * _SIZE // 8), dtype=np.uint8)
            step = 8192
            for start in range(0, n_images, step):
                k = min(step, n_images - start)
                raw = member.read(k * _SIZE * _SIZE)
                if len(raw) != k * _SIZE * _SIZE:
                    raise DataError(f"{path}: 'imgs' is truncated at image {start}")
                block = np.frombuffer(raw, dtype=np.uint8).reshape(k, -1)
                if block.max(initial=0) > 1:
                    raise DataError(f"{path}: 'imgs' holds values other than 0 and 1")
                out[start : start + k] = np.packbits(block, axis=1)
            return out
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as e:
        raise DataError(f"{path} is not a readable dSprites .npz ({e})") from None


def find_original(data_dir: str | Path | None = None) -> Path | None:
    """The original ``.npz``: ``data_dir`` (the file, or a directory holding it, or its
    ``dsprites`` subdirectory), else ``$VAEKIT_DATA_DIR/dsprites``; ``None`` when absent."""
    if data_dir is not None:
        p = Path(data_dir)
        if p.is_file():
            return p
        for cand in (p / NPZ_NAME, p / "dsprites" / NPZ_NAME):
            if cand.is_file():
                return cand
        return None
    env = os.environ.get("VAEKIT_DATA_DIR")
    if env:
        cand = Path(env) / "dsprites" / NPZ_NAME
        if cand.is_file():
            return cand
    return None


def cache_path() -> Path:
    """Where the packed procedural images are cached."""
    return cache_dir() / "dsprites" / CACHE_NAME


def save_cache(bits: np.ndarray) -> None:
    """Write packed procedural images to the cache, atomically (a read-only cache only
    costs the rendering next time)."""
    import io

    from vaekit._tempfiles import atomic_write_bytes

    buf = io.BytesIO()
    np.save(buf, bits, allow_pickle=False)
    try:
        atomic_write_bytes(cache_path(), buf.getvalue())
    except OSError:
        pass


def cached_bits() -> np.ndarray | None:
    """The packed procedural images from the cache, checked against their digest; ``None``
    when there is no cache or it is damaged."""
    path = cache_path()
    if not path.is_file():
        return None
    try:
        bits = np.load(path, allow_pickle=False)
    except (ValueError, OSError):
        return None
    if bits.shape == (N_IMAGES, 512) and _digest(bits) == PROCEDURAL_SHA256:
        return bits
    return None


def procedural_bits(
    cache: bool = True, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """The packed procedural images, read from the cache (checked against their digest)
    or rendered (about a minute on two cores) and cached."""
    bits = cached_bits() if cache else None
    if bits is not None:
        return bits
    bits = render_packed(progress=progress)
    if cache:
        save_cache(bits)
    return bits


class DSprites:
    """dSprites with a factor-level interface, as disentanglement metrics need it.

    Parameters
    ----------
    bits
        Packed images ``(737280, 512)`` uint8 in index order; ``None`` renders each
        request procedurally (nothing held in memory).
    source
        Where the images come from (``"procedural"`` or the ``.npz`` path).

    Examples
    --------
    >>> ds = DSprites()                       # render on demand
    >>> f = ds.sample_factors(16, np.random.RandomState(0))
    >>> ds.images_from_factors(f).shape
    (16, 1, 64, 64)
    """

    factor_names = FACTOR_NAMES
    factor_sizes = FACTOR_SIZES
    num_factors = len(FACTOR_SIZES)
    image_shape = IMAGE_SHAPE

    def __init__(self, bits: np.ndarray | None = None, source: str = "procedural") -> None:
        self.images = None if bits is None else PackedImages(bits, IMAGE_SHAPE)
        self.source = source

    @classmethod
    def load(
        cls,
        data_dir: str | Path | None = None,
        cache: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> DSprites:
        """The original images when :func:`find_original` finds them, else the procedural
        ones (cached); all held as packed bits."""
        original = find_original(data_dir)
        if original is not None:
            return cls(_read_npz_images(original), str(original))
        return cls(procedural_bits(cache, progress))

    def __len__(self) -> int:
        return N_IMAGES

    def sample_factors(
        self, n: int, rng: np.random.RandomState | np.random.Generator
    ) -> np.ndarray:
        """``(n, 5)`` int64 factor levels drawn uniformly, one column after the other
        (with a ``RandomState`` the same draws as disentanglement_lib's ``sample_factors``)."""
        out = np.zeros((n, self.num_factors), dtype=np.int64)
        for k, size in enumerate(self.factor_sizes):
            if isinstance(rng, np.random.Generator):
                out[:, k] = rng.integers(size, size=n)
            else:
                out[:, k] = rng.randint(size, size=n)
        return out

    def images_from_factors(self, factors: np.ndarray) -> np.ndarray:
        """Images ``(n, 1, 64, 64)`` float32 in {0, 1} of factor levels ``(n, 5)``."""
        if self.images is None:
            return render(factors)[:, None].astype(np.float32)
        return self.images[index_of(factors)]


def load_dsprites(data_dir: str | None = None, download_ok: bool = True) -> RawData:
    """dSprites for training: all 737,280 images (packed), labelled by shape.

    The first use renders the images (about a minute and a half on two cores) and caches
    them: a line says so before and after, and a terminal shows a progress bar.
    """
    del download_ok  # nothing is downloaded: the images are rendered when not given
    original = find_original(data_dir)
    bits = None if original is not None else cached_bits()
    if original is not None:
        ds = DSprites(_read_npz_images(original), str(original))
    elif bits is not None:
        ds = DSprites(bits)
    else:
        ds = DSprites(_render_with_progress())
    labels = torch.from_numpy(factors_of(np.arange(N_IMAGES))[:, 0].copy())
    return RawData("dsprites", ds.images, labels, class_names=list(SHAPE_NAMES))


def _render_with_progress() -> np.ndarray:
    """Render and cache the procedural images, saying so on stderr."""
    console = Console(stderr=True)
    console.print(
        f"rendering the {N_IMAGES:,} dSprites images once (about a minute and a half on two "
        f"cores; then read from {cache_path()})",
        soft_wrap=True, highlight=False,
    )  # fmt: skip
    start = time.perf_counter()
    progress = progress_bar("[bold]rendering dSprites", console)
    with progress:
        task = progress.add_task("dsprites", total=N_IMAGES)
        bits = render_packed(progress=lambda done, _: progress.update(task, completed=done))
    save_cache(bits)
    console.print(f"rendered dSprites in {time.perf_counter() - start:.0f} s", highlight=False)
    return bits
