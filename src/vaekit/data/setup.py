"""Build the data of a run from its configuration, resolving the ``auto`` choices."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vaekit.config import Config
from vaekit.data.arrays import known_in_unit_interval, scan_values
from vaekit.data.base import DataBundle, RawData
from vaekit.data.prepare import prepare_data
from vaekit.data.registry import load_raw
from vaekit.data.text_files import RawText, prepare_text
from vaekit.text.tokenizers import Tokenizer


def _in_unit_interval(x: torch.Tensor | np.ndarray) -> bool:
    if known_in_unit_interval(x):
        return True
    return scan_values(x, lambda a: (a < 0) | (a > 1))[0] == 0


def resolve_auto(cfg: Config, raw: RawData) -> dict[str, Any]:
    """The concrete choices for ``likelihood: auto`` and ``standardize: null`` (``cfg`` is
    not changed): ``{"model.likelihood": ..., "data.standardize": ...}`` for those unset.

    ``auto`` likelihood is Bernoulli for data in [0, 1], else a Gaussian with learned sigma;
    tabular data (one feature axis) is standardized when the likelihood is Gaussian.
    """
    choices: dict[str, Any] = {}
    likelihood = cfg.model.likelihood
    if likelihood == "auto":
        unit = _in_unit_interval(raw.x_train) and (
            raw.x_test is None or _in_unit_interval(raw.x_test)
        )
        likelihood = "bernoulli" if unit or cfg.data.binarize != "none" else "gaussian-learned"
        choices["model.likelihood"] = likelihood
    if cfg.data.standardize is None:
        tabular = len(raw.input_shape) == 1
        choices["data.standardize"] = tabular and likelihood.startswith("gaussian")
    return choices


def build_data(cfg: Config, tokenizer: Tokenizer | None = None) -> DataBundle:
    """Load and prepare the data described by ``cfg``; ``cfg`` is not changed.

    The concrete choices for its ``auto`` fields are in the bundle's ``resolved``
    (``{"model.likelihood": ..., "data.standardize": ...}``), for the caller to apply.
    Sequence data is encoded with ``tokenizer`` when given (a trained model's), else with
    one fitted on the training lines.
    """
    d = cfg.data
    raw = load_raw(d.dataset, d.data_dir, d.label_column, d.download, d.text_column)
    if isinstance(raw, RawText):
        data = prepare_text(
            raw, tokenizer or d.tokenizer, d.vocab_size, d.lowercase, d.max_length,
            d.max_examples, d.val_size, cfg.train.seed,
        )  # fmt: skip
        if cfg.model.likelihood == "auto":
            data.resolved = {"model.likelihood": "categorical"}
        return data
    choices = resolve_auto(cfg, raw)
    likelihood = choices.get("model.likelihood", cfg.model.likelihood)
    data = prepare_data(
        raw,
        val_size=d.val_size,
        binarize=d.binarize,
        standardize=bool(choices.get("data.standardize", d.standardize)),
        unit_interval=likelihood == "bernoulli",
        seed=cfg.train.seed,
        max_examples=d.max_examples,
    )
    data.resolved = choices
    return data
