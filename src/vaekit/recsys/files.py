"""A fitted recommender's split and baseline as tensors, and the files of earlier versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.data.strong_split import StrongSplit
from vaekit.errors import ModelFileError
from vaekit.io.safe import load_tensors

#: the files a recommender was saved as before run directories (format 1)
RECOMMENDER_JSON, SPLIT_FILE, IDS_JSON = "recommender.json", "split.safetensors", "ids.json"
BASELINE_FILE = "baseline.safetensors"
_MATRICES = ("clicks", "val", "test")


def split_tensors(split: StrongSplit) -> dict[str, np.ndarray]:
    """The split's row indices and CSR structures as ``int64`` arrays (clicks are 0/1)."""
    out: dict[str, np.ndarray] = {"train_rows": split.train_rows, "val_rows": split.val_rows,
                                  "test_rows": split.test_rows}  # fmt: skip
    for name, m in zip(_MATRICES, (split.clicks, split.val_heldout, split.test_heldout),
                       strict=True):  # fmt: skip
        out[f"{name}_indptr"] = m.indptr  # type: ignore[attr-defined]
        out[f"{name}_indices"] = m.indices  # type: ignore[attr-defined]
    return {k: np.ascontiguousarray(np.asarray(v, dtype=np.int64)) for k, v in out.items()}


def split_from_tensors(
    t: dict[str, Any], users: np.ndarray, items: np.ndarray, where: Path
) -> StrongSplit:
    """The inverse of :func:`split_tensors`; ``where`` names the file in errors."""
    from scipy import sparse

    def arr(key: str) -> np.ndarray:
        v = t[key]
        return v.numpy() if isinstance(v, torch.Tensor) else np.asarray(v)

    def csr(prefix: str, n_rows: int) -> Any:
        ind, ptr = arr(f"{prefix}_indices"), arr(f"{prefix}_indptr")
        return sparse.csr_matrix((np.ones(len(ind), np.float32), ind, ptr),
                                 shape=(n_rows, len(items)))  # fmt: skip

    try:
        val_rows, test_rows = arr("val_rows"), arr("test_rows")
        return StrongSplit(csr("clicks", len(users)), users, items, arr("train_rows"), val_rows,
                           test_rows, csr("val", len(val_rows)), csr("test", len(test_rows)))
    except (KeyError, ValueError) as e:
        raise ModelFileError(f"{where}: bad split ({e})") from None


def seen_tensors(seen: Any) -> dict[str, np.ndarray]:
    """The CSR structure of the users' rated items ``(U, I)``: ``indptr`` (``int64``) and
    ``indices`` (``int32``)."""
    return {"indptr": np.ascontiguousarray(seen.indptr, dtype=np.int64),
            "indices": np.ascontiguousarray(seen.indices, dtype=np.int32)}  # fmt: skip


def seen_from_tensors(t: dict[str, Any], split: StrongSplit, where: Path) -> Any:
    """The inverse of :func:`seen_tensors`, shaped as ``split.clicks``; ``where`` names the
    file in errors."""
    from scipy import sparse

    try:
        ptr, ind = (np.asarray(t[k].numpy() if isinstance(t[k], torch.Tensor) else t[k])
                    for k in ("indptr", "indices"))  # fmt: skip
        return sparse.csr_matrix((np.ones(len(ind), np.float32), ind.astype(np.int64), ptr),
                                 shape=split.clicks.shape)  # type: ignore[attr-defined]
    except (KeyError, ValueError) as e:
        raise ModelFileError(f"{where}: bad rated items ({e})") from None


def read_v1(directory: Path) -> tuple[dict[str, Any], StrongSplit, dict[str, np.ndarray]]:
    """A recommender directory of format 1: its ``recommender.json``, its split and the
    baseline's arrays (empty for a neural model, whose weights are ``model.safetensors``)."""
    path = directory / RECOMMENDER_JSON
    try:
        meta = json.loads(path.read_text())
        ids = json.loads((directory / IDS_JSON).read_text())
        users = np.array(ids["users"], dtype=object)
        items = np.array(ids["items"], dtype=object)
        dict(meta["params"])
    except FileNotFoundError as e:
        raise ModelFileError(f"{directory}: {Path(e.filename).name} not found (is it a "
                             "`vaekit recommend fit` run?)") from None  # fmt: skip
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{path}: bad recommender settings ({e})") from None
    tensors, _ = load_tensors(directory / SPLIT_FILE)
    split = split_from_tensors(tensors, users, items, directory / SPLIT_FILE)
    baseline: dict[str, np.ndarray] = {}
    if (directory / BASELINE_FILE).is_file():
        state, _ = load_tensors(directory / BASELINE_FILE)
        baseline = {k: v.numpy() for k, v in state.items()}
    return meta, split, baseline
