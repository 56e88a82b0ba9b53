"""MkDocs hook: each tutorial script ``docs/tutorials/<name>.py`` becomes the page
``tutorials/<name>.md``.

The scripts are in the percent format that Jupytext and VS Code read: a line ``# %%`` starts
a code cell, ``# %% [markdown]`` a Markdown cell whose lines are comments (``# text``). The
page shows the Markdown cells as prose and the code cells as Python blocks, in order, with a
line saying how to run the script. Figures the script writes under ``tutorials/figures/`` are
ordinary files of the site, linked from the prose as ``figures/<name>/<file>.png``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

FOLDER = "tutorials"
SMOKE_VARIABLE = "VAEKIT_TUTORIAL_SMOKE"

log = logging.getLogger("mkdocs.hooks.tutorials")

# "# %%", "# %% Title", "# %% [markdown]", "# %% Title [md] key=value"
_MARKER = re.compile(r"^#\s?%%(?P<rest>.*)$")
_KIND = re.compile(r"\[(?P<kind>markdown|md|raw)\]")


def cells(source: str) -> list[tuple[str, str]]:
    """The cells of a percent-format script as ``(kind, text)``, kind ``"markdown"`` or
    ``"code"``, in order; raw cells and empty cells are left out. Lines before the first
    marker form a code cell (as Jupytext reads them)."""
    out: list[tuple[str, list[str]]] = [("code", [])]
    for line in source.splitlines():
        m = _MARKER.match(line)
        if m:
            kind = _KIND.search(m.group("rest"))
            name = kind.group("kind") if kind else "code"
            out.append(("markdown" if name in ("markdown", "md") else name, []))
        else:
            out[-1][1].append(line)
    result = []
    for kind, lines in out:
        if kind == "markdown":
            text = _markdown_text(lines)
        elif kind == "code":
            text = "\n".join(lines).strip("\n")
            text = "\n".join(line.rstrip() for line in text.splitlines())
        else:
            continue
        if text.strip():
            result.append((kind, text))
    return result


def _markdown_text(lines: list[str]) -> str:
    """A Markdown cell's text: the comment marks removed (``# text`` -> ``text``, ``#`` ->
    an empty line), or the body of a cell written as one triple-quoted string."""
    body = "\n".join(lines).strip()
    for quote in ('"""', "'''"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 6:
            return body[3:-3].strip("\n")
    text = []
    for line in lines:
        if line.startswith("# "):
            text.append(line[2:])
        elif line.rstrip() == "#":
            text.append("")
        else:
            text.append(line)
    return "\n".join(text).strip("\n")


def _fence(code: str) -> str:
    """A fence longer than any run of backticks in ``code``."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def run_line(name: str) -> str:
    """The line at the top of a tutorial page that says how to run it."""
    return f"Run it: `python docs/{FOLDER}/{name}.py` (`{SMOKE_VARIABLE}=1` for a quick check)"


def to_markdown(source: str, name: str) -> str:
    """The page of the tutorial script ``name`` whose text is ``source``."""
    parts: list[str] = []
    run = run_line(name)
    placed = False
    for kind, text in cells(source):
        if kind == "markdown":
            if not placed:
                lines = text.splitlines()
                if lines and lines[0].startswith("# "):
                    # after the page title, so that the title stays the page's first heading
                    rest = "\n".join(lines[1:]).strip("\n")
                    text = lines[0] + "\n\n" + run + ("\n\n" + rest if rest else "")
                else:
                    text = run + "\n\n" + text
                placed = True
            parts.append(text)
        else:
            if not placed:
                parts.append(run)
                placed = True
            fence = _fence(text)
            parts.append(f"{fence}python\n{text}\n{fence}")
    if not placed:
        parts.append(run)
    return "\n\n".join(parts) + "\n"


def scripts(docs_dir: str | Path) -> list[Path]:
    """The tutorial scripts under ``docs_dir``, by name."""
    folder = Path(docs_dir) / FOLDER
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def on_files(files: Any, config: Any) -> Any:
    """Add a generated page per tutorial script."""
    from mkdocs.structure.files import File

    for script in scripts(config.docs_dir):
        page = f"{FOLDER}/{script.stem}.md"
        if files.get_file_from_path(page) is not None:
            log.warning("%s is generated from %s.py: remove the file of that name", page,
                        script.stem)  # fmt: skip
            files.remove(files.get_file_from_path(page))
        content = to_markdown(script.read_text(encoding="utf-8"), script.stem)
        files.append(File.generated(config, page, content=content))
    return files
