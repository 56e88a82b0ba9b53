"""The run directory layout (see the README): names of the files a run leaves behind."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from vaekit.config import Config
from vaekit.errors import ConfigError

CONFIG_FILE = "config.yaml"
EVALUATION_FILE = "evaluation.json"


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
