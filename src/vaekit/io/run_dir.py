"""The run directory layout (see the README): names of the files a run leaves behind."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from vaekit.config import Config
from vaekit.errors import ConfigError

CONFIG_FILE = "config.yaml"
EVALUATION_FILE = "evaluation.json"
METRICS_FILE = "metrics.jsonl"
PLOTS_DIR = "plots"
REPORT_FILE = "report.html"


def default_run_dir(cfg: Config, root: str | Path = "runs") -> Path:
    """``runs/<model>-<dataset>-<YYYYmmdd-HHMMSS>``."""
    stem = Path(cfg.data.dataset).stem
    return Path(root) / f"{cfg.model.name}-{stem}-{datetime.now():%Y%m%d-%H%M%S}"


def read_run_config(run_dir: str | Path) -> Config:
    """The resolved configuration saved in ``run_dir/config.yaml``."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not a vaekit run directory (no {CONFIG_FILE})")
    return Config.from_yaml(path)


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """The per-epoch records of ``run_dir/metrics.jsonl`` (empty when there are none)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    records = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ConfigError(f"{path}: line {i} is not JSON") from None
    return records


def read_evaluation(run_dir: str | Path) -> dict[str, Any]:
    """The contents of ``run_dir/evaluation.json`` (empty when the run was not evaluated)."""
    path = Path(run_dir) / EVALUATION_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path} is not valid JSON ({e})") from None
