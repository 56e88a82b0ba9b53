"""Atomic writes and safetensors reading that refuses anything else."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from vaekit._tempfiles import atomic_write_bytes as atomic_write_bytes  # re-exported
from vaekit._tempfiles import atomic_write_text as atomic_write_text  # re-exported
from vaekit._tempfiles import shared_mkstemp, shared_mode
from vaekit.errors import ModelFileError


def save_tensors(
    path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> None:
    """Save tensors as safetensors, atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = shared_mkstemp(path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
        save_file(tensors, tmp, metadata=metadata)
        os.chmod(tmp, shared_mode())  # safetensors creates its file anew (0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_safetensors_header(path: Path) -> dict[str, str]:
    """Validate the safetensors framing before the library touches it; return its metadata."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise ModelFileError(f"{path}: not a safetensors file (too short)")
            n = int.from_bytes(head, "little")
            size = path.stat().st_size
            framed = 1 < n <= min(size - 8, 100 << 20)
            body = f.read(n) if framed else b""
            if not body.startswith(b"{"):
                if head[:2] == b"PK" or head[:1] == b"\x80":
                    raise ModelFileError(
                        f"{path}: not a safetensors file (it looks like a pickle / torch.save "
                        "file, which vaekit never loads because unpickling can run code)"
                    )
                why = "bad header length" if not framed else "header is not JSON"
                raise ModelFileError(f"{path}: not a safetensors file ({why})")
            header = json.loads(body)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: not a safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: not a safetensors file (header is not a JSON object)")
    meta = header.get("__metadata__") or {}
    return {str(k): str(v) for k, v in meta.items()}


def load_tensors(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Load a safetensors file: ``(tensors, metadata)``. Any other format is refused."""
    path = Path(path)
    meta = _check_safetensors_header(path)
    try:
        tensors = load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"{path}: corrupt safetensors file ({e})") from None
    return tensors, meta
