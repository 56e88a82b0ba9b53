"""Containers for a loaded dataset and its splits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from vaekit.data.packed import PackedImages
from vaekit.data.sparse_rows import SparseRows
from vaekit.errors import DataError
from vaekit.text.encoding import TokenSequences


@dataclass
class Split:
    """Examples of one split.

    Attributes
    ----------
    x
        ``(N, *input_shape)`` float32 tensor; or, for memory-mapped data, a NumPy array that
        is read batch by batch (then ``indices`` selects the rows of this split).
    y
        ``(N,)`` int64 labels or ``None``.
    indices
        Row indices into ``x`` for memory-mapped data; ``None`` for tensors.
    """

    x: torch.Tensor | np.ndarray
    y: torch.Tensor | None = None
    indices: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.indices) if self.indices is not None else int(self.x.shape[0])

    @property
    def in_memory(self) -> bool:
        return isinstance(self.x, torch.Tensor)

    def subset(self, rows: np.ndarray) -> Split:
        """The examples at positions ``rows`` ``(K,)`` of this split, as a new split (the
        data itself is shared where it is memory-mapped, packed or sparse)."""
        picked = torch.from_numpy(np.asarray(rows, dtype=np.int64))
        y = None if self.y is None else self.y[picked.to(self.y.device)]
        if isinstance(self.x, TokenSequences):
            return Split(self.x.subset(picked.to(self.x.device)), y)
        if self.indices is not None:
            return Split(self.x, y, indices=self.indices[picked.numpy()])
        if isinstance(self.x, torch.Tensor):
            return Split(self.x[picked.to(self.x.device)], y)
        return Split(self.x, y, indices=picked.numpy())

    def sample(self, n: int, seed: int = 0) -> Split:
        """A seeded random subset of ``n`` examples, in their original order (the whole
        split when it has no more than ``n``)."""
        if n <= 0 or n >= len(self):
            return self
        g = torch.Generator().manual_seed(seed)
        rows = torch.randperm(len(self), generator=g)[:n].sort().values.numpy()
        return self.subset(rows)


@dataclass
class RawData:
    """A dataset as read from disk, before splitting and transforms."""

    name: str
    x_train: torch.Tensor | np.ndarray  # (N, *shape) float32 (or memory-mapped array)
    y_train: torch.Tensor | None
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    class_names: list[str] = field(default_factory=list)
    #: the file line of each training row (a CSV: the header is line 1), for messages
    line_numbers: np.ndarray | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.x_train.shape[1:])


@dataclass
class DataBundle:
    """Train / validation / test splits ready for training, with what was done to them.

    Attributes
    ----------
    binarize
        ``"none"``, ``"static"`` or ``"dynamic"``; with ``"dynamic"`` the training batches are
        binarized afresh each time (the validation and test splits once, with a fixed seed).
    mean, std
        Standardization applied to the data (``x' = (x - mean) / std``), or ``None``.
    resolved
        The concrete values :func:`~vaekit.data.setup.build_data` chose for the
        configuration's ``auto`` fields (applied by the caller, e.g. to ``config.yaml``).
    tokenizer
        For sequence data (splits of :class:`~vaekit.text.encoding.TokenSequences`), the
        tokenizer that made the ids; ``None`` for arrays.
    """

    name: str
    train: Split
    val: Split | None
    test: Split | None
    input_shape: tuple[int, ...]
    num_classes: int = 0
    class_names: list[str] = field(default_factory=list)
    binarize: str = "none"
    mean: torch.Tensor | None = None
    std: torch.Tensor | None = None
    tokenizer: Any = None  # sequences: the :class:`~vaekit.text.Tokenizer` of their ids
    #: the choices made for the configuration's ``auto`` fields, e.g.
    #: ``{"model.likelihood": "bernoulli", "data.standardize": False}``
    resolved: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sequence(self) -> bool:
        return self.tokenizer is not None

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) in (2, 3)

    def split(self, name: str) -> Split:
        """The split called ``name`` (``train``, ``val`` or ``test``)."""
        s = {"train": self.train, "val": self.val, "test": self.test}.get(name)
        if name not in ("train", "val", "test"):
            raise DataError(f"unknown split {name!r}; choose train, val or test")
        if s is None:
            raise DataError(f"dataset {self.name!r} has no {name} split")
        return s

    def to(self, device: torch.device | str) -> DataBundle:
        """Move the in-memory splits to ``device`` (in place) and return the bundle."""
        # splits sharing one packed array keep sharing it
        moved: dict[int, PackedImages | SparseRows] = {}
        for s in (self.train, self.val, self.test):
            if s is not None and isinstance(s.x, TokenSequences):
                s.x = s.x.to(device)
            elif s is not None and isinstance(s.x, PackedImages | SparseRows):
                if id(s.x) not in moved:
                    moved[id(s.x)] = s.x.to(device)
                s.x = moved[id(s.x)]
            elif s is not None and s.in_memory:
                s.x = s.x.to(device)
                s.y = None if s.y is None else s.y.to(device)
        return self

    def unstandardize(self, x: torch.Tensor) -> torch.Tensor:
        """Map model-space values back to the data's units."""
        if self.mean is None or self.std is None:
            return x
        return x * self.std.to(x.device) + self.mean.to(x.device)
