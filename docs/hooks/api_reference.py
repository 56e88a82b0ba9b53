"""MkDocs hook: checks that the API reference covers every public name, with a docstring.

The pages ``reference/api/<package>.md`` hold mkdocstrings blocks (``::: vaekit.anomaly``).
For each package below, every name of its ``__all__`` must

- be on its page: the page documents the whole package (``::: vaekit.anomaly``, whose
  members are its ``__all__``), or has a block for the name (``::: vaekit.config.Config``
  documents ``vaekit.Config``), or, for a dunder such as ``__version__``, names it;
- have a docstring, as mkdocstrings reads it (a constant's docstring is the string literal
  right after its assignment).

Each miss is a warning through MkDocs' logger, so ``mkdocs build --strict`` fails on it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGES = (
    "vaekit",
    "vaekit.anomaly",
    "vaekit.tabular",
    "vaekit.recsys",
    "vaekit.chem",
    "vaekit.text",
    "vaekit.eval",
    "vaekit.timeseries",
)
FOLDER = "reference/api"
SOURCE = "src"  # where the package lives, from the folder holding mkdocs.yml

log = logging.getLogger("mkdocs.hooks.api_reference")

_BLOCK = re.compile(r"^:::\s*([\w.]+)\s*$", re.M)
# a Sphinx cross-reference role as mkdocstrings renders it: ":func:<code>~vaekit.fit</code>"
_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):<code>(~?)([^<]*)</code>"
)


@dataclass
class Problem:
    """A public name the reference does not cover properly."""

    package: str
    name: str
    what: str

    def __str__(self) -> str:
        return f"{self.package}.{self.name}: {self.what}"


def page_of(package: str) -> str:
    """The page that documents ``package``: ``vaekit.anomaly`` -> ``reference/api/anomaly.md``."""
    return f"{FOLDER}/{package.rsplit('.', 1)[-1]}.md"


def public_names(package: str) -> list[str]:
    """The public names of ``package``: its ``__all__`` as Python sees it at run time."""
    return list(importlib.import_module(package).__all__)


def blocks(markdown: str) -> list[str]:
    """The identifiers of the mkdocstrings blocks (``::: identifier``) of a page."""
    return _BLOCK.findall(markdown)


def _griffe_package(search_path: Path) -> Any:
    import griffe

    return griffe.load("vaekit", search_paths=[str(search_path)], docstring_parser="numpy")


def _griffe_object(root: Any, package: str, name: str) -> Any | None:
    """The object mkdocstrings documents for ``package.name``, or ``None``."""
    candidates = []
    try:
        value = getattr(importlib.import_module(package), name)
    except Exception:  # noqa: BLE001 - a lazy name that fails to import is reported below
        value = None
    if isinstance(value, types.ModuleType):
        candidates.append(value.__name__)
    else:
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
            candidates.append(f"{module}.{qualname}")
    candidates.append(f"{package}.{name}")
    for path in candidates:
        try:
            obj = root.modules_collection[path] if path else None
            if obj is None:
                continue
            return obj.final_target if obj.is_alias else obj
        except Exception:  # noqa: BLE001, S112 - not found or an alias griffe cannot resolve
            continue
    return None


def _shadowed(root: Any, package: str, name: str) -> bool:
    """Whether ``package.name`` is, for mkdocstrings, a submodule of the same name while
    Python's ``package.name`` is something else (a function imported over it): the package's
    block then shows nothing for it."""
    try:
        member = root.modules_collection[package].members.get(name)
        value = getattr(importlib.import_module(package), name)
        is_module = member is not None and member.is_module
    except Exception:  # noqa: BLE001 - an alias griffe cannot resolve is reported elsewhere
        return False
    return is_module and not isinstance(value, types.ModuleType)


def _documented_on_page(
    package: str, name: str, markdown: str, exported: set[str], shadowed: bool
) -> bool:
    ids = blocks(markdown)
    if package in ids and name in exported and not shadowed:
        return True
    if any(i == f"{package}.{name}" or i.endswith(f".{name}") for i in ids):
        return True
    return name.startswith("__") and name in markdown


def check(docs_dir: str | Path, source: str | Path) -> list[Problem]:
    """Every public name of :data:`PACKAGES` that is missing from its page or has no
    docstring."""
    root = _griffe_package(Path(source))
    problems: list[Problem] = []
    for package in PACKAGES:
        page = Path(docs_dir) / page_of(package)
        markdown = page.read_text(encoding="utf-8") if page.is_file() else ""
        if not markdown:
            problems.append(Problem(package, "*", f"no page {page_of(package)}"))
        try:
            griffe_module = root.modules_collection[package]
            exported = {e if isinstance(e, str) else e.name for e in griffe_module.exports or []}
        except Exception:  # noqa: BLE001
            exported = set()
        for name in public_names(package):
            shadowed = _shadowed(root, package, name)
            if markdown and not _documented_on_page(package, name, markdown, exported, shadowed):
                why = " (a submodule of that name hides it: give it a block of its own)"
                problems.append(Problem(package, name, f"public but not on {page_of(package)}"
                                        + (why if shadowed else "")))  # fmt: skip
            if name.startswith("__") and name.endswith("__"):
                continue  # __version__ and the like: conventional, described in prose
            obj = _griffe_object(root, package, name)
            if obj is None:
                problems.append(Problem(package, name, "public but not found by the API "
                                        "reference (e.g. set by tuple unpacking)"))  # fmt: skip
            elif obj.docstring is None or not obj.docstring.value.strip():
                problems.append(Problem(package, name, "public name without a docstring"))
    return problems


def _source(config: Any) -> Path:
    """Where mkdocstrings reads the package: its python handler's first ``paths`` entry
    (relative to mkdocs.yml), else the folder the package is imported from."""
    base = Path(config.config_file_path).parent
    try:
        plugin = config.plugins["mkdocstrings"]
        paths = plugin.config["handlers"]["python"]["paths"]
        for p in paths:
            if (base / p / "vaekit").is_dir():
                return base / p
    except (KeyError, TypeError, AttributeError):
        pass
    spec = importlib.util.find_spec("vaekit")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).parent
    return base / SOURCE


def on_pre_build(config: Any) -> None:
    """Warn about every public name the API reference misses."""
    try:
        problems = check(config.docs_dir, _source(config))
    except Exception as e:  # noqa: BLE001 - the check itself failing must fail a strict build
        log.warning("API reference: the check failed: %s: %s", type(e).__name__, e)
        return
    for problem in problems:
        log.warning("API reference: %s", problem)


def _role(m: re.Match[str]) -> str:
    name = m.group(2).rsplit(".", 1)[-1] if m.group(1) else m.group(2)
    return f"<code>{name}</code>"


def plain_roles(html: str) -> str:
    """Sphinx roles left in docstrings (``:func:`~vaekit.fit```) shown as code (``fit``)."""
    return _ROLE.sub(_role, html)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Show the Sphinx roles of docstrings as plain code on the API pages."""
    if page.file.src_uri.startswith(FOLDER + "/"):
        return plain_roles(html)
    return html
