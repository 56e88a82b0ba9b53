"""Download files from public mirrors with checksum verification and a progress bar."""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from rich.progress import DownloadColumn, TransferSpeedColumn

from vaekit._tempfiles import shared_mkstemp
from vaekit.errors import DataError
from vaekit.progress import progress_bar


def cache_dir() -> Path:
    """The user cache directory: ``$XDG_CACHE_HOME/vaekit`` or ``~/.cache/vaekit``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vaekit"


def sha256_of_content(data: bytes) -> str:
    """sha256 of the (gzip-decompressed, when compressed) bytes."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return hashlib.sha256(data).hexdigest()


def _fetch(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or None
        chunks: list[bytes] = []
        with progress_bar(count=DownloadColumn(), extra=(TransferSpeedColumn(),)) as progress:
            task = progress.add_task(url.rsplit("/", 1)[-1], total=total)
            while chunk := resp.read(1 << 16):
                chunks.append(chunk)
                progress.advance(task, len(chunk))
    return b"".join(chunks)


def download(
    filename: str,
    mirrors: Sequence[str],
    sha256: str,
    dest_dir: Path,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``filename`` from the first mirror that serves it with the right checksum.

    The checksum is of the decompressed content, so mirrors that recompress agree.
    The file is written atomically to ``dest_dir / filename``.

    Raises
    ------
    DataError
        One line naming the file and what went wrong on every mirror (offline, bad checksum).
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            data = _fetch(url, timeout)
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            problems.append(f"{url}: {getattr(e, 'reason', e)}")
            continue
        try:
            digest = sha256_of_content(data)
        except (OSError, EOFError) as e:
            problems.append(f"{url}: corrupt download ({e})")
            continue
        if digest != sha256:
            problems.append(f"{url}: checksum mismatch")
            continue
        fd, tmp = shared_mkstemp(dest_dir, prefix=f".{filename}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest_dir / filename)
        return dest_dir / filename
    raise DataError(
        f"could not download {filename} (offline?): {'; '.join(problems)}. "
        f"Put the file in {dest_dir} or pass --data-dir"
    )
