"""Atomic writes, through temporary files that end with the permissions of a plain ``open``.

``tempfile.mkstemp`` creates files with mode 0600 whatever the umask; renamed into place
they would keep it, and a run directory could not be shared. These get ``0666 & ~umask``
(0644 under the usual umask 022), as ``open(path, "w")`` would give.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def shared_mode() -> int:
    """The mode ``open`` gives a new file: ``0666 & ~umask``."""
    return 0o666 & ~current_umask()


def shared_mkstemp(directory: str | Path, prefix: str, suffix: str = ".tmp") -> tuple[int, str]:
    """``tempfile.mkstemp`` in ``directory``, with the mode a new file gets from ``open``."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
    try:
        os.fchmod(fd, shared_mode())
    except (AttributeError, OSError):  # no fchmod (Windows): its default is kept
        pass
    return fd, tmp


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = shared_mkstemp(path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` encoded as UTF-8."""
    atomic_write_bytes(path, text.encode())
