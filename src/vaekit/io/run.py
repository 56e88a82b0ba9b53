"""``run.json`` and :class:`Run`: the one way to write down and read back what a fit left.

Every command that fits something writes a run directory holding ``run.json``::

    {"format": "vaekit-run/1", "kind": "train", "vaekit_version": "0.x",
     "created": "2026-12-03T17:00:00+00:00", "command": ["vaekit", "train", ...]}

beside its configuration, weights (safetensors), ``metrics.jsonl`` and checkpoints.
:meth:`Run.open` reads any of them, including run directories written before ``run.json``
existed (their kind is recognised by the file each kind always wrote).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaekit._version import __version__
from vaekit.errors import ConfigError
from vaekit.io.run_dir import read_evaluation, read_metrics
from vaekit.io.run_info import (
    KINDS,
    RUN_FORMAT,
    RUN_JSON,
    USES,
    a_kind,
    read_run_info,
    run_kind,
)
from vaekit.io.safe import atomic_write_text, load_tensors, save_tensors

if TYPE_CHECKING:
    import torch

    from vaekit.config import Config
    from vaekit.models import BaseModel

DATA_STATS = "data_stats.safetensors"


def write_run_json(
    run_dir: str | Path,
    kind: str,
    command: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Write (or update) ``run_dir/run.json`` atomically and return what it holds.

    ``command`` defaults to this process's command line. An existing ``run.json`` keeps
    its creation time and command; ``extra`` keys (e.g. ``threads``, ``data``) are merged in.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown run kind {kind!r}; choose one of {', '.join(KINDS)}")
    run_dir = Path(run_dir)
    path = run_dir / RUN_JSON
    info: dict[str, Any] = {}
    if path.is_file():
        try:
            info = json.loads(path.read_text())
        except json.JSONDecodeError:
            info = {}
    if not isinstance(info, dict) or info.get("kind") not in (None, kind):
        info = {}
    info.setdefault("format", RUN_FORMAT)
    info["kind"] = kind
    info["vaekit_version"] = __version__
    info.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    info.setdefault("command", list(command) if command is not None else _command_line())
    info.setdefault("cwd", os.getcwd())
    info.update(extra)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(info, indent=2) + "\n")
    return info


def _command_line() -> list[str]:
    """``["vaekit", "train", ...]`` for the CLI, else the Python command line."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("vaekit", "__main__.py"):
        argv[0] = "vaekit"
    return argv


@dataclass
class Run:
    """A run directory, read: its kind, configuration, model, statistics and records.

    Parameters
    ----------
    path
        The run directory.
    kind
        One of :data:`KINDS`.
    info
        The contents of ``run.json`` (for a directory written before ``run.json`` existed:
        ``{"format": "vaekit-run/0", "kind": ...}``).
    """

    path: Path
    kind: str
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path, kinds: str | Iterable[str] | None = None) -> Run:
        """Read ``path``; with ``kinds``, refuse any other kind in one line naming it.

        Raises
        ------
        ConfigError
            Not a directory, not a vaekit run, an unreadable or newer ``run.json``, or a
            run of another kind than ``kinds``.
        """
        path = Path(path)
        if not path.is_dir():
            raise ConfigError(f"{path} is not a vaekit run directory (it does not exist)")
        info = read_run_info(path)
        run = cls(path, info["kind"], info)
        if kinds is not None:
            wanted = (kinds,) if isinstance(kinds, str) else tuple(kinds)
            if run.kind not in wanted:
                raise ConfigError(
                    f"{path} is {a_kind(run.kind)} (made by '{KINDS[run.kind]}'), not "
                    f"{' or '.join(a_kind(k) for k in wanted)}: use '{USES[run.kind]} {path}'"
                )
        return run

    # ------------------------------------------------------------------ contents
    @property
    def format(self) -> str:
        return str(self.info.get("format", RUN_FORMAT))

    @property
    def command(self) -> list[str]:
        return list(self.info.get("command", []))

    @property
    def fitted(self) -> bool:
        """Whether the fit completed (final weights written)."""
        return (self.path / "model.safetensors").is_file()

    def config(self) -> Config:
        """The resolved training configuration (``config.yaml``) of a ``train`` run."""
        from vaekit.io.run_dir import read_run_config

        return read_run_config(self.path)

    def model(self, device: str | torch.device = "cpu") -> BaseModel:
        """The fitted model (``model.json`` + ``model.safetensors``), in eval mode."""
        from vaekit.io.model_io import load

        return load(self.path, device)

    def records(self) -> list[dict[str, Any]]:
        """The per-epoch records of ``metrics.jsonl``."""
        return read_metrics(self.path)

    def evaluation(self) -> dict[str, Any]:
        """The contents of ``evaluation.json`` (empty before ``vaekit evaluate``)."""
        return read_evaluation(self.path)

    def data_stats(self) -> dict[str, torch.Tensor]:
        """The data statistics saved at fit time (empty when the data needed none)."""
        path = self.path / DATA_STATS
        if not path.is_file():
            return {}
        tensors, _ = load_tensors(path)
        return tensors

    @property
    def started(self) -> bool:
        """Whether the fit got as far as writing its settings (``config.yaml`` of a train
        run, ``estimator.json`` of an estimator's); before that only its command can
        start it again."""
        return (self.path / ("config.yaml" if self.kind == "train" else "estimator.json")).is_file()

    def resume_command(self) -> str:
        """The one command that continues this run."""
        return f"vaekit resume {self.path}"


def save_data_stats(run_dir: str | Path, stats: dict[str, torch.Tensor]) -> None:
    """Write the statistics that map model outputs back to the data's units."""
    if stats:
        tensors = {k: v.detach().cpu().contiguous() for k, v in stats.items()}
        save_tensors(Path(run_dir) / DATA_STATS, tensors)


__all__ = ["DATA_STATS", "KINDS", "RUN_FORMAT", "RUN_JSON", "USES", "Run", "run_kind",
           "save_data_stats", "write_run_json"]
