"""The shell and Python blocks of the README and the documentation pages, and how the test
of ``test_code_blocks.py`` runs them at smoke size.

A block runs as a reader would run it, in order with the page's other blocks, in one working
directory per page: ``vaekit`` lines in this process through the CLI's ``main``, Python blocks
through ``exec`` in one namespace per page. Smoke size comes from rewriting the command (fewer
epochs, examples, samples and importance samples), never from a switch inside vaekit; the
rewritten line is what a failure reports.

Not everything can run here. A whole block is marked in its page by an HTML comment on the
line before it, ``<!-- not run: REASON -->`` (invisible on the site and on GitHub); single
lines that other parts of CI run (installing, the test command, the site build, the tutorials)
are listed in :data:`RUN_ELSEWHERE` with the reason.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.*?)\s*-->")
RUNNABLE = ("bash", "python")

#: line prefix -> why the test does not run that line itself
RUN_ELSEWHERE: dict[str, str] = {
    "pip install": ".ci/run installs the package this way (torch pinned first, then the "
    "checkout with its extras) before the tests run",
    "python -m pytest": "the test command: CI runs exactly this line",
    "mkdocs build --strict": ".ci/run builds the site with this line before the tests",
    "mkdocs serve": "a live-preview server that runs until stopped; the site it serves is "
    "the one mkdocs build --strict builds",
    "python docs/tutorials/": ".ci/run runs every tutorial top to bottom at smoke size",
    "VAEKIT_TUTORIAL_SMOKE=1": ".ci/run runs every tutorial this way",
}

#: line prefix -> (the one-line error it may end with at smoke size, why): the command runs
#: up to that check, and any other outcome than success or this message fails the test
SMOKE_OUTCOMES: dict[str, tuple[str, str]] = {
    "vaekit plot runs/moses molecules": (
        r"none of \d+ samples is a valid molecule; nothing to draw",
        "a molecule model trained for seconds samples no valid molecule yet; "
        "tests/apps/test_chem.py draws the grid from a trained model's samples",
    ),
}


@dataclass(frozen=True)
class Block:
    """One fenced code block: its page, first line, language, text and why it is not run."""

    page: Path
    line: int
    lang: str
    text: str
    not_run: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """The README and every Markdown page under ``docs/``."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` (indented ones too, as inside a list item)."""
    lines = page.read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith("```"):
            j += 1
        before = next((s.strip() for s in reversed(lines[:i]) if s.strip()), "")
        marked = NOT_RUN.fullmatch(before)
        body = "\n".join(_dedent(s, indent) for s in lines[i + 1 : j])
        found.append(Block(page, i + 1, fence[3:].strip(), body,
                           marked.group(1) if marked else None))  # fmt: skip
        i = j + 1
    return found


def _dedent(line: str, indent: int) -> str:
    """``line`` without the ``indent`` of its fence (a block inside a list item)."""
    return line[indent:] if line[:indent].isspace() else line.lstrip() if indent else line


def shell_lines(text: str) -> list[str]:
    """The commands of a shell block: continued lines joined, comments and blanks dropped."""
    commands, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        line = _strip_comment(line)
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        commands.append((pending + line).strip())
        pending = ""
    return commands


def _strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` outside quotes."""
    quote = None
    for k, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1].isspace()):
            return line[:k].rstrip()
    return line


def run_elsewhere(command: str) -> str | None:
    """Why ``command`` is left to another part of CI, or ``None`` when the test runs it."""
    return next((why for prefix, why in RUN_ELSEWHERE.items() if command.startswith(prefix)),
                None)  # fmt: skip


def vaekit_args(command: str) -> list[str] | None:
    """The arguments of a ``vaekit`` or ``python -m vaekit`` line, else ``None``."""
    words = shlex.split(command)
    if words[:1] == ["vaekit"]:
        return words[1:]
    if words[:3] == ["python", "-m", "vaekit"]:
        return words[3:]
    return None


# ------------------------------------------------------------------------- smoke size
#: commands that train, with the epochs they get at smoke size
FITS = {"train": 1, "sweep": 1, "train-prior": 1, "anomaly fit": 2, "synth fit": 2,
        "impute fit": 2, "recommend fit": 2, "timeseries fit": 2}  # fmt: skip
#: ``--set`` options every ``train`` and ``sweep`` gets: a few hundred examples, a small
#: held-out subset, a few steps per epoch on data drawn on demand (dSprites)
SMOKE_SETS = ("data.max_examples=600", "train.held_out_examples=200")
#: option -> largest value kept at smoke size
CAPS = {"--iw": 16, "-n": 64, "--steps": 2, "--prior-components": 50}


def command_name(args: list[str]) -> str:
    """``train``, ``anomaly fit``, ...: the words of ``args`` before its first option."""
    name = []
    for word in args:
        if word.startswith("-") or "/" in word or "." in word or len(name) == 2:
            break
        name.append(word)
    return " ".join(name)


def _set_option(args: list[str], option: str, value: str) -> list[str]:
    if option in args:
        k = args.index(option)
        return [*args[: k + 1], value, *args[k + 2 :]]
    return [*args, option, value]


def smoke_args(args: list[str], epochs_done: int = 0) -> list[str]:
    """``args`` rewritten to run in seconds: fewer epochs (a resume goes one epoch past the
    ``epochs_done`` of its run), a few hundred examples, capped sample counts."""
    name = command_name(args)
    resuming = name == "resume" or "--resume" in args
    if resuming:
        args = _set_option(args, "--epochs", str(epochs_done + 1))
    elif name in FITS:
        args = _set_option(args, "--epochs", str(FITS[name]))
    if name in ("train", "sweep") and not resuming:
        sets = dict(a.split("=", 1) for a in _values(args, "--set"))
        if "train.steps_per_epoch" in sets:
            sets["train.steps_per_epoch"] = "2"
        if "data.val_size" in sets:
            sets["data.val_size"] = "100"
        if "train.prior_epochs" in sets:
            sets["train.prior_epochs"] = "1"
        sets.update(s.split("=", 1) for s in SMOKE_SETS)
        kept = [
            k for k, a in enumerate(args) if a != "--set" and (k == 0 or args[k - 1] != "--set")
        ]
        args = [args[k] for k in kept]
        for key, value in sets.items():
            args += ["--set", f"{key}={value}"]
    for option, cap in CAPS.items():
        if option in args:
            k = args.index(option)
            if args[k + 1].isdigit() and int(args[k + 1]) > cap:
                args = [*args[: k + 1], str(cap), *args[k + 2 :]]
    if name == "evaluate" and "disentanglement" in " ".join(args):
        args = [*args, "--disentanglement-points", "200"]
    return args


def _values(args: list[str], option: str) -> list[str]:
    return [args[k + 1] for k, a in enumerate(args[:-1]) if a == option]


#: Python rewrites: pattern -> replacement (fewer epochs, samples and steps)
PY_REWRITES = (
    (r"(cfg\.train\.epochs\s*=\s*)\d+", r"\g<1>1"),
    (r"\bepochs=\d[\d_]*", "epochs=2"),
    (r"\bsteps\s*=\s*50\b", "steps=2"),
    (r"\b10_000\b", "100"),
)
#: estimators whose default schedule is long: calls without ``epochs=`` get ``epochs=2``
ESTIMATORS = ("VAEDetector", "Synthesizer", "VAEImputer", "Recommender", "TimeSeriesImputer")


def smoke_python(code: str) -> str:
    """``code`` rewritten to run in seconds (see :data:`PY_REWRITES`, :data:`ESTIMATORS`)."""
    for pattern, replacement in PY_REWRITES:
        code = re.sub(pattern, replacement, code)
    for name in ESTIMATORS:
        start = 0
        while (k := code.find(f"{name}(", start)) >= 0:
            end = _closing_paren(code, k + len(name))
            inner = code[k + len(name) + 1 : end]
            if "epochs=" not in inner:
                inner = f"{inner}, epochs=2" if inner.strip() else "epochs=2"
                code = f"{code[: k + len(name) + 1]}{inner}{code[end:]}"
            start = k + len(name) + 1
    return code


def _closing_paren(code: str, opening: int) -> int:
    depth = 0
    for k in range(opening, len(code)):
        depth += {"(": 1, ")": -1}.get(code[k], 0)
        if depth == 0:
            return k
    raise ValueError(f"unbalanced parentheses after {code[opening - 20 : opening]!r}")
