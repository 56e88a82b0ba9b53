"""Record a benchmark's figures at the top of its own file in ``benchmarks/results/``.

Each script ``benchmarks/<script>.py`` writes to ``benchmarks/results/<script>.md``: a title
line, a ``script:`` line, a blank line, then the entries newest first. An entry starts with
``## <date>: <summary>`` followed by the command line, the machine and the date.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

import torch

RESULTS_DIR = Path(__file__).with_name("results")


def machine() -> str:
    """Describe the machine: the GPU when there is one, else the CPU and thread count."""
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores "
        f"({torch.get_num_threads()} torch threads), torch {torch.__version__}"
    )


def format_entry(summary: str, body: str, *, command: str, machine: str, date: str) -> str:
    """Return one entry: its heading, the command, machine and date lines, then ``body``."""
    return (
        f"## {date}: {summary}\n\n- command: `{command}`\n- machine: {machine}\n"
        f"- date: {date}\n\n{body.strip()}\n"
    )


def add_entry(path: Path, entry: str, *, title: str, script: str) -> None:
    """Put ``entry`` first in the results file ``path``, after its title and script lines.

    A missing file is created with ``# <title>`` and ``script: <script>``; an existing file
    keeps its own title and script lines, and its entries follow the new one in their order.
    """
    lines = path.read_text().splitlines(keepends=True) if path.exists() else []
    first = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    header, rest = "".join(lines[:first]), "".join(lines[first:])
    if not header.strip():
        header = f"# {title}\nscript: {script}\n"
    parts = [header.rstrip("\n") + "\n\n", entry.rstrip("\n") + "\n"]
    if rest.strip():
        parts.append("\n" + rest.lstrip("\n"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts))


def append_results(summary: str, body: str, *, results_dir: Path = RESULTS_DIR) -> Path:
    """Record ``body`` as the newest entry of the running script's results file.

    The entry is headed ``## <today>: <summary>`` and carries the command line, machine and
    date; it goes to ``<results_dir>/<script>.md`` (created with ``summary`` as its title
    when absent). Returns the path written.
    """
    name = Path(sys.argv[0]).name
    script = f"benchmarks/{name}"
    command = " ".join(["python", script, *sys.argv[1:]])
    stamp = datetime.date.today().isoformat()
    entry = format_entry(summary, body, command=command, machine=machine(), date=stamp)
    path = results_dir / f"{Path(name).stem}.md"
    add_entry(path, entry, title=summary, script=script)
    print(entry)
    return path
