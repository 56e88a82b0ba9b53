"""Reading detectors saved before run directories had ``run.json`` (``detector.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.errors import ModelFileError
from vaekit.io.model_io import load
from vaekit.io.safe import load_tensors
from vaekit.train.device import resolve_device

DETECTOR_JSON, DETECTOR_TENSORS = "detector.json", "detector.safetensors"


def load_legacy_detector(cls: Any, directory: Path, device: str) -> Any:
    """A detector from ``detector.json`` + ``detector.safetensors`` + its models."""
    path = directory / DETECTOR_JSON
    try:
        meta = json.loads(path.read_text())
        params = dict(meta["params"])
        if "score" in params:  # the parameter's name before ``scoring``
            params["scoring"] = params.pop("score")
        det = cls(**params)
        det.data_kind_ = meta["data_kind"]
        det.input_shape_ = tuple(int(s) for s in meta["input_shape"])
        det.threshold_ = float(meta["threshold"])
        det.epochs_, det.batch_size_ = int(meta["epochs"]), int(meta["batch_size"])
    except FileNotFoundError:
        raise ModelFileError(f"{path}: not found (is {directory} a saved detector?)") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{path}: bad detector settings ({e})") from None
    tensors, _ = load_tensors(directory / DETECTOR_TENSORS)
    if "decision_scores" not in tensors or (det.data_kind_ == "tabular") != (
        "mean" in tensors and "scale" in tensors
    ):
        raise ModelFileError(f"{directory / DETECTOR_TENSORS}: missing detector tensors")
    det.decision_scores_ = tensors["decision_scores"].numpy()
    det.mean_ = tensors["mean"].numpy() if "mean" in tensors else None
    det.scale_ = tensors["scale"].numpy() if "scale" in tensors else None
    det.n_features_in_ = int(np.prod(det.input_shape_))
    det.seed_ = int(det.random_state) if det.random_state is not None else 0
    det.labels_ = (det.decision_scores_ > det.threshold_).astype(int)
    det.device = device
    dev = resolve_device(device)
    det.models_ = [load(directory, device=dev)] + [
        load(directory / f"member-{i}", device=dev) for i in range(1, det.n_models)
    ]
    det.model_ = det.models_[0]
    return det
