"""MkDocs hook: the Benchmarks page, ``benchmarks.md``, generated from
``benchmarks/results/*.md``.

Each results file belongs to one benchmark script and reads::

    # <title>

    script: benchmarks/<script>.py

    ## <date>: <summary>
    superseded: yes            (only on an entry a later one replaces)

    - command: `python benchmarks/<script>.py ...`
    - machine: ...
    - date: ...

    | table | ... |

with entries newest first. The page shows, per file, the newest entry that is not superseded
(its heading, command, machine, date and first table) and links to the file's whole history,
which the hook publishes as ``benchmarks/<script>.md``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE = "benchmarks.md"
HISTORY = "benchmarks"  # the history pages: benchmarks/<script>.md
RESULTS = Path("benchmarks") / "results"  # from the folder holding mkdocs.yml

log = logging.getLogger("mkdocs.hooks.benchmarks")

_SUPERSEDED = re.compile(r"^superseded:\s*yes\b", re.I)
_FIELD = re.compile(r"^-\s*(command|machine|date):\s*(.*)$")


@dataclass
class Entry:
    """One measurement of a results file."""

    heading: str
    superseded: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    tables: list[list[str]] = field(default_factory=list)


@dataclass
class Results:
    """One results file: its title, script and entries (newest first)."""

    name: str
    title: str
    script: str
    entries: list[Entry]
    problems: list[str] = field(default_factory=list)

    @property
    def current(self) -> Entry | None:
        """The newest entry that is not superseded."""
        return next((e for e in self.entries if not e.superseded), None)


def parse(text: str, name: str) -> Results:
    """A results file's text as :class:`Results`; what does not follow the format is listed
    in ``problems``."""
    title, script = "", ""
    entries: list[Entry] = []
    problems: list[str] = []
    table: list[str] | None = None
    in_code = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
        if in_code or stripped.startswith("```"):
            table = None
            continue
        if line.startswith("# ") and not title and not entries:
            title = line[2:].strip()
        elif line.startswith("## "):
            entries.append(Entry(heading=line[3:].strip()))
            table = None
        elif not entries:
            if stripped.startswith("script:"):
                script = stripped.removeprefix("script:").strip()
        elif _SUPERSEDED.match(stripped):
            entries[-1].superseded = True
        elif _FIELD.match(stripped):
            key, value = _FIELD.match(stripped).groups()  # type: ignore[union-attr]
            entries[-1].fields.setdefault(key, value.strip())
        elif stripped.startswith("|"):
            if table is None:
                table = []
                entries[-1].tables.append(table)
            table.append(stripped)
            continue
        table = None  # any other line ends a table
    if not title:
        problems.append("no '# <title>' line")
    if not script:
        problems.append("no 'script: benchmarks/<script>.py' line")
    if not entries:
        problems.append("no entry ('## <date>: <summary>')")
    elif all(e.superseded for e in entries):
        problems.append("every entry is superseded")
    current = next((e for e in entries if not e.superseded), None)
    if current is not None:  # the entry the page shows
        missing = [k for k in ("command", "machine", "date") if k not in current.fields]
        if missing:
            problems.append(f"entry '{current.heading}' has no {', '.join(missing)} line")
    return Results(name, title or name, script, entries, problems)


def read_all(folder: str | Path) -> list[Results]:
    """Every results file of ``folder``, by name (``README.md`` left out)."""
    files = sorted(p for p in Path(folder).glob("*.md") if p.name.lower() != "readme.md")
    return [parse(p.read_text(encoding="utf-8"), p.stem) for p in files]


def _anchor(name: str) -> str:
    return name.lower().replace("_", "-")


def render(results: list[Results]) -> str:
    """The Markdown of the Benchmarks page."""
    lines = [
        "# Benchmarks",
        "",
        "The current figure of each benchmark, with the command that measured it, the machine "
        "and the date. Each benchmark script appends its measurements to "
        "`benchmarks/results/<script>.md`, newest first; its full history, superseded entries "
        "included, is linked under its table.",
        "",
        "| Benchmark | Current entry | Date |",
        "| --- | --- | --- |",
    ]
    for r in results:
        cur = r.current
        heading = cur.heading.replace("|", "\\|") if cur else "none"
        date = cur.fields.get("date", "") if cur else ""
        lines.append(f"| [{r.title}](#{_anchor(r.name)}) | {heading} | {date} |")
    lines.append("")
    for r in results:
        cur = r.current
        lines += [f"## {r.title} {{ #{_anchor(r.name)} }}", ""]
        if cur is None:
            lines += ["No current entry.", ""]
        else:
            lines += [f"**{cur.heading}**", ""]
            for key in ("command", "machine", "date"):
                if key in cur.fields:
                    lines.append(f"- {key}: {cur.fields[key]}")
            lines.append("")
            if cur.tables:
                lines += [*cur.tables[0], ""]
        older = len(r.entries) - (1 if cur else 0)
        script = f"`{r.script}`, " if r.script.startswith("benchmarks/") else ""
        lines += [
            f"Script: {script}history: [{len(r.entries)} entries]({HISTORY}/{r.name}.md)"
            f" ({older} earlier or superseded), in `benchmarks/results/{r.name}.md`.",
            "",
        ]
    return "\n".join(lines)


def history(text: str) -> str:
    """A results file as its history page: as written, a superseded mark shown as a note."""
    out = []
    for line in text.splitlines():
        if _SUPERSEDED.match(line.strip()):
            out += ['!!! note "Superseded"', "    A later entry replaces this one.", ""]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def on_files(files: Any, config: Any) -> Any:
    """Add the Benchmarks page and one history page per results file."""
    from mkdocs.structure.files import File

    folder = Path(config.config_file_path).parent / RESULTS
    if not folder.is_dir():
        log.warning("no %s folder: the Benchmarks page is empty", RESULTS)
    results = read_all(folder) if folder.is_dir() else []
    for r in results:
        for problem in r.problems:
            log.warning("%s/%s.md: %s", RESULTS.as_posix(), r.name, problem)
    pages = {PAGE: render(results)}
    for r in results:
        text = (folder / f"{r.name}.md").read_text(encoding="utf-8")
        pages[f"{HISTORY}/{r.name}.md"] = history(text)
    for path, content in pages.items():
        if files.get_file_from_path(path) is not None:
            log.warning("%s is generated from %s: remove the file of that name", path, RESULTS)
            files.remove(files.get_file_from_path(path))
        files.append(File.generated(config, path, content=content))
    return files
