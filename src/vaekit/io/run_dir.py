"""The run directory layout (see the README): names of the files a run leaves behind."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from vaekit.config import Config
from vaekit.errors import ConfigError
from vaekit.io.run_info import USES, run_kind

CONFIG_FILE = "config.yaml"
EVALUATION_FILE = "evaluation.json"
METRICS_FILE = "metrics.jsonl"
PLOTS_DIR = "plots"
REPORT_FILE = "report.html"
TOKENIZER_FILE = "tokenizer.json"


def default_run_dir(cfg: Config, root: str | Path = "runs") -> Path:
    """``runs/<model>-<dataset>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``, ... appended when a
    run of the same second is already there (two fits started within one second)."""
    stem = Path(Path(cfg.data.dataset).name.removesuffix(".gz")).stem
    base = Path(root) / f"{cfg.model.name}-{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


#: what a fit writes before its first checkpoint (plus temporary ``.*.tmp`` files)
_EARLY_FILES = {"run.json", CONFIG_FILE, "model.json", TOKENIZER_FILE, METRICS_FILE,
                "estimator.json", "transformer.json"}  # fmt: skip


def never_checkpointed(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` holds only what a fit writes before its first checkpoint.

    Such a directory (a fit stopped in its first epoch) can be started over without
    losing anything. Ensemble members (``member-1/``, ...) are looked at the same way.
    """
    run_dir = Path(run_dir)
    for entry in run_dir.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            continue
        if entry.name == "checkpoint" and entry.is_dir():
            if any(not c.name.startswith(".") for c in entry.iterdir()):
                return False
        elif entry.name.startswith("member-") and entry.is_dir():
            if not never_checkpointed(entry):
                return False
        elif entry.name not in _EARLY_FILES or entry.is_dir():
            return False
    return True


def clear_run(run_dir: str | Path, keep: tuple[str, ...] = ()) -> None:
    """Remove what a fit wrote before its first checkpoint (see :func:`never_checkpointed`),
    except the top-level files named in ``keep``."""
    import shutil

    for entry in Path(run_dir).iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        elif entry.name not in keep:
            entry.unlink()


def claim_run_dir(
    path: str | Path, hint: str = "choose another --out", keep: tuple[str, ...] = ()
) -> bool:
    """The one "directory not empty" rule for a new fit's run directory ``path``.

    A missing or empty directory is fine; one left by a fit stopped before its first
    checkpoint is emptied (but for the files in ``keep``, e.g. the ``run.json`` the command
    line just wrote) so the fit starts over (returns ``True`` then, so the caller can say
    so); anything else is refused.

    Raises
    ------
    ConfigError
        One line naming ``path``: a file, or a directory that is not empty.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"run directory {path} is a file; {hint}")
    if path.is_dir() and any(path.iterdir()):
        if not never_checkpointed(path):
            raise ConfigError(f"run directory {path} already exists and is not empty; {hint}")
        cleared = any(entry.name not in keep for entry in path.iterdir())
        clear_run(path, keep)
        return cleared
    return False


def read_run_config(run_dir: str | Path) -> Config:
    """The resolved configuration saved in ``run_dir/config.yaml``.

    Raises
    ------
    ConfigError
        One line naming the file: missing (with what to do), not YAML, an unknown option
        or a value of the wrong type.
    """
    run_dir = Path(run_dir)
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        if run_dir.is_dir() and never_checkpointed(run_dir):
            raise ConfigError(
                f"{run_dir} has no {CONFIG_FILE}: the run was stopped before it started; "
                f"run the original 'vaekit train ... --out {run_dir}' command again"
            )
        kind = run_kind(run_dir)
        if kind not in (None, "train"):
            raise ConfigError(f"{run_dir} holds a fitted application model, not a "
                              f"'vaekit train' run: use '{USES[kind]} {run_dir}'")  # fmt: skip
        raise ConfigError(f"{run_dir} is not a vaekit run directory (no {CONFIG_FILE})")
    try:
        return Config.from_yaml(path)
    except ConfigError as e:
        message = str(e)
        raise ConfigError(message if str(path) in message else f"{path}: {message}") from None


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
