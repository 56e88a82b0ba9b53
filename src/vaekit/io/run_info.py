"""What kind of run a directory holds: ``run.json``, or for a run written before it existed,
the file each kind always wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaekit._version import __version__
from vaekit.errors import ConfigError

RUN_JSON = "run.json"
RUN_FORMAT = "vaekit-run/1"

#: what each kind of run is, and the command that works on it
KINDS: dict[str, str] = {
    "train": "vaekit train",
    "detector": "vaekit anomaly fit",
    "imputer": "vaekit impute fit",
    "synthesizer": "vaekit synth fit",
    "recommender": "vaekit recommend fit",
    "timeseries": "vaekit timeseries fit",
}
#: the commands that use each kind of run
USES: dict[str, str] = {
    "train": "vaekit evaluate|sample|plot|report|explore",
    "detector": "vaekit anomaly score",
    "imputer": "vaekit impute transform",
    "synthesizer": "vaekit synth sample|report",
    "recommender": "vaekit recommend evaluate|top-k",
    "timeseries": "vaekit timeseries impute|sample|report",
}
#: the file each kind wrote before ``run.json`` existed (format 0)
_LEGACY_MARKERS = (
    ("detector.json", "detector"),
    ("imputer.json", "imputer"),
    ("synthesizer.json", "synthesizer"),
    ("recommender.json", "recommender"),
    ("config.yaml", "train"),
)


def read_run_info(path: Path) -> dict[str, Any]:
    """The contents of ``path/run.json`` (format, kind, version, command...); for a run from
    before ``run.json``: ``{"format": "vaekit-run/0", "kind": ...}``.

    Raises
    ------
    ConfigError
        One line naming the file: not JSON, no format, a newer format, an unknown kind; or
        ``path`` is no run directory.
    """
    file = path / RUN_JSON
    if file.is_file():
        try:
            info = json.loads(file.read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"{file} is not valid JSON ({e})") from None
        if not isinstance(info, dict) or not isinstance(info.get("format"), str):
            raise ConfigError(f"{file}: expected an object with 'format' and 'kind'")
        fmt = info["format"]
        if not fmt.startswith("vaekit-run/"):
            raise ConfigError(f"{file}: unknown format {fmt!r}")
        version = fmt.removeprefix("vaekit-run/")
        if not version.isdigit() or int(version) > int(RUN_FORMAT.rsplit("/", 1)[1]):
            raise ConfigError(
                f"{file}: format {fmt!r} was written by a newer vaekit "
                f"({info.get('vaekit_version', '?')}); this is vaekit {__version__}"
            )
        if info.get("kind") not in KINDS:
            raise ConfigError(f"{file}: unknown run kind {info.get('kind')!r}")
        return info
    for marker, kind in _LEGACY_MARKERS:
        if (path / marker).is_file():
            return {"format": "vaekit-run/0", "kind": kind}
    if not any(not e.name.endswith(".tmp") for e in path.iterdir()):
        raise ConfigError(f"{path} is empty: the run was stopped before it started; run the "
                          f"original command again with --out {path}")  # fmt: skip
    raise ConfigError(f"{path} is not a vaekit run directory (no {RUN_JSON})")


def run_kind(run_dir: str | Path) -> str | None:
    """The kind of run in ``run_dir`` (``None`` when it is none)."""
    try:
        return read_run_info(Path(run_dir))["kind"] if Path(run_dir).is_dir() else None
    except ConfigError:
        return None


def a_kind(kind: str) -> str:
    """``"a train run"``, ``"an imputer run"``."""
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} run"
