"""Helpers for the documentation-site tests: the build hooks as modules, and a strict MkDocs
build of a few pages with the site's own configuration."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"
CONFIG = ROOT / "mkdocs.yml"

HAVE_MKDOCS = all(
    importlib.util.find_spec(m) is not None for m in ("mkdocs", "material", "mkdocstrings")
)
needs_mkdocs = pytest.mark.skipif(
    not HAVE_MKDOCS,
    reason="mkdocs, mkdocs-material or mkdocstrings is not installed (pip install '.[docs]')",
)


def load_hook(name: str) -> ModuleType:
    """The hook ``docs/hooks/<name>.py`` as a module."""
    key = f"_vaekit_docs_hook_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HOOKS / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def build(tmp: Path, docs: Path, nav: list, hooks: list[str]) -> Path:
    """Build ``docs`` with the site's configuration but only ``nav`` and ``hooks``, strictly,
    into ``tmp/site``; a failed build fails the test with MkDocs' output."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config.update(docs_dir=str(docs), site_dir=str(tmp / "site"), nav=nav)
    config["hooks"] = [str(HOOKS / f"{h}.py") for h in hooks]
    config.pop("watch", None)
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            python = plugin["mkdocstrings"]["handlers"]["python"]
            python["paths"] = [str(ROOT / p) for p in python.get("paths", ["src"])]
    path = tmp / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(path)],
        capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{done.stdout[-3000:]}{done.stderr[-6000:]}")
    return tmp / "site"
