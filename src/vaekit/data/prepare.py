"""From raw arrays to training splits: seeded validation split, binarization, standardization."""

from __future__ import annotations

import numpy as np
import torch

from vaekit.data.arrays import check_unit_interval
from vaekit.data.base import DataBundle, RawData, Split
from vaekit.errors import ConfigError, DataError

BINARIZE_MODES = ("none", "static", "dynamic")
#: held-out splits are binarized with this seed, so every run is scored on the same bits
HELD_OUT_BINARIZE_SEED = 1234


def _n_val(val_size: float, n: int) -> int:
    if val_size < 0:
        raise ConfigError(f"val_size must be >= 0, got {val_size}")
    k = int(round(val_size * n)) if val_size < 1 else int(val_size)
    if k >= n:
        raise ConfigError(f"val_size {val_size} leaves no training data out of {n} examples")
    return k


def _binarize(x: torch.Tensor, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.bernoulli(x, generator=g)


def _take(x: torch.Tensor | np.ndarray, idx: np.ndarray) -> Split:
    if isinstance(x, torch.Tensor):
        return Split(x[torch.from_numpy(idx)])
    return Split(x, indices=idx)


def prepare_data(
    raw: RawData,
    val_size: float = 0.1,
    binarize: str = "none",
    standardize: bool = False,
    unit_interval: bool = False,
    seed: int = 0,
    max_examples: int = 0,
) -> DataBundle:
    """Split, binarize and standardize ``raw`` into a :class:`DataBundle`.

    Parameters
    ----------
    val_size
        Validation examples taken from the training data: a fraction (< 1) or a count.
    binarize
        ``none``; ``static`` (every split binarized once, seeded); ``dynamic`` (training
        batches drawn afresh per batch, held-out splits once with a fixed seed).
    standardize
        Subtract the training mean and divide by the training std, per dimension.
    unit_interval
        Refuse data outside [0, 1] (a Bernoulli likelihood needs it).
    seed
        Seed of the validation split, of the ``max_examples`` subset and of static
        binarization.
    max_examples
        Keep a seeded random subset of this many training examples (before the validation
        split is taken from them); 0 keeps all. The test split is kept whole.
    """
    if max_examples < 0:
        raise ConfigError(f"data.max_examples must be >= 0 (0: all), got {max_examples}")
    if binarize not in BINARIZE_MODES:
        raise ConfigError(f"unknown binarize mode {binarize!r}; choose {', '.join(BINARIZE_MODES)}")
    if binarize != "none" and standardize:
        raise ConfigError("binarized data cannot also be standardized")
    if unit_interval or binarize != "none":
        check_unit_interval(raw.x_train, raw.name, raw.line_numbers)
        if raw.x_test is not None:
            check_unit_interval(raw.x_test, f"{raw.name} (test)")
    n = int(raw.x_train.shape[0])
    pool = np.arange(n)
    if max_examples and max_examples < n:  # (max_examples,) sorted row indices kept
        g = torch.Generator().manual_seed(seed + 7)
        pool = np.sort(torch.randperm(n, generator=g)[:max_examples].numpy())
        n = max_examples
    k = _n_val(val_size, n)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    val_idx, train_idx = np.sort(pool[perm[:k]]), np.sort(pool[perm[k:]])
    train = _take(raw.x_train, train_idx)
    val = _take(raw.x_train, val_idx) if k else None
    if raw.y_train is not None:
        train.y = raw.y_train[torch.from_numpy(train_idx)]
        if val is not None:
            val.y = raw.y_train[torch.from_numpy(val_idx)]
    test = None if raw.x_test is None else Split(raw.x_test, raw.y_test)

    memmapped = not train.in_memory
    if binarize != "none" and memmapped:
        raise ConfigError("binarization needs the data in memory; this array is memory-mapped")
    if binarize == "static":
        train.x = _binarize(train.x, seed + 1)
        if val is not None:
            val.x = _binarize(val.x, seed + 2)
    if binarize != "none" and test is not None:
        test.x = _binarize(test.x, HELD_OUT_BINARIZE_SEED)
    if binarize == "dynamic" and val is not None:
        val.x = _binarize(val.x, HELD_OUT_BINARIZE_SEED + 1)

    mean = std = None
    if standardize:
        mean, std = _moments(train)
        if not memmapped:
            for s in (train, val, test):
                if s is not None:
                    s.x = (s.x - mean) / std
    ys = [t for t in (raw.y_train, raw.y_test) if t is not None and t.numel()]
    num_classes = max(int(t.max()) for t in ys) + 1 if ys else 0
    names = raw.class_names or [str(i) for i in range(num_classes)]
    if len(names) < num_classes:
        raise DataError(f"{raw.name}: {num_classes} classes but {len(names)} class names")
    return DataBundle(
        raw.name, train, val, test, raw.input_shape, num_classes, names, binarize, mean, std
    )


def _moments(split: Split, chunk: int = 65536) -> tuple[torch.Tensor, torch.Tensor]:
    if split.in_memory:
        x = split.x.double()
        mean, std = x.mean(0), x.std(0)
    else:
        idx = split.indices
        s = s2 = 0.0
        for i in range(0, len(idx), chunk):
            part = np.asarray(split.x[idx[i : i + chunk]], dtype=np.float64)
            s, s2 = s + part.sum(0), s2 + (part**2).sum(0)
        mean = torch.from_numpy(s / len(idx))
        std = torch.from_numpy(np.sqrt(np.maximum(s2 / len(idx) - mean.numpy() ** 2, 0.0)))
    std = torch.where(std < 1e-8, torch.ones_like(std), std)
    return mean.float(), std.float()
