"""MkDocs hook: the CLI reference page, ``reference/cli.md``, generated from the Typer app.

Every command and subcommand of ``vaekit.cli.app.app`` gets a section with its usage line,
its help text and a table of its arguments and options (name, type, default, help), read
from the same click objects that ``--help`` prints. Nothing is copied by hand, so the page
cannot fall behind the CLI.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from typing import Any

PAGE = "reference/cli.md"
APP = "vaekit.cli.app"
PROG = "vaekit"

log = logging.getLogger("mkdocs.hooks.cli_reference")

# the bracketed notes click/typer append to an option's help: "  [default: 1.0; required]"
_NOTES = re.compile(r"^(?P<help>.*?)\s*\[(?P<notes>[^\[\]]*)\]\s*$", re.S)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


@dataclass
class Param:
    """One argument or option as ``--help`` shows it."""

    kind: str  # "argument" | "option"
    names: str
    type: str
    default: str
    help: str


@dataclass
class Command:
    """One command (or group) of the CLI with its parameters."""

    path: str
    usage: str
    help: str
    deprecated: bool
    params: list[Param]
    subcommands: list[str] = field(default_factory=list)


def _app_command() -> tuple[Any, Any]:
    """The click command behind the Typer app, as ``vaekit`` runs it, and its module."""
    import importlib

    import typer

    module = importlib.import_module(APP)
    command = typer.main.get_command(module.app)
    # the entry point names arguments (DATA rather than {data}) before it runs: do the same
    name_arguments = getattr(module, "_name_arguments", None)
    if callable(name_arguments):
        name_arguments(command)
    return command, module


def _split_notes(text: str) -> tuple[str, list[str]]:
    """``"Help.  [default: 1; required]"`` -> ``("Help.", ["default: 1", "required"])``;
    only notes click writes (default, required, env var, ranges) are split off."""
    m = _NOTES.match(text)
    if not m:
        return text, []
    notes = [n.strip() for n in m.group("notes").split(";") if n.strip()]
    known = ("default:", "required", "env var:")
    if not notes or not all(n.startswith(known) or re.search(r"[<>]=?", n) for n in notes):
        return text, []
    return m.group("help"), notes


def _param(param: Any, ctx: Any) -> Param | None:
    """A parameter as a table row; ``None`` for hidden ones (``--help`` leaves them out)."""
    if getattr(param, "hidden", False):
        return None
    record = param.get_help_record(ctx)
    kind = "argument" if param.param_type_name == "argument" else "option"
    if kind == "option":
        names = [*param.opts, *param.secondary_opts]
    else:
        names = [param.metavar or (param.name or "").upper()]
    shown, help_text = record if record else ("", getattr(param, "help", None) or "")
    # the record's first column is "names type": keep what follows the names
    rest = shown
    for n in sorted([*param.opts, *param.secondary_opts, param.name or "", *names], key=len,
                    reverse=True):  # fmt: skip
        if n:
            rest = re.sub(rf"(?<![\w-]){re.escape(n)}(?![\w-])", "", rest)
    type_str = re.sub(r"^[\s,/]+|[\s,/]+$", "", rest).strip()
    help_text, notes = _split_notes(help_text or "")
    default = "; ".join(
        n.removeprefix("default:").strip() if n.startswith("default:") else n
        for n in notes
        if n.startswith(("default:", "required"))
    )
    others = [n for n in notes if not n.startswith(("default:", "required"))]
    if others:
        help_text = f"{help_text} [{'; '.join(others)}]".strip()
    return Param(kind, ", ".join(names), type_str, default, help_text)


def walk(command: Any | None = None) -> list[Command]:
    """Every command of the app, depth first in the order ``--help`` lists them."""
    if command is None:
        command, _ = _app_command()
    out: list[Command] = []

    def visit(cmd: Any, ctx: Any) -> None:
        usage = cmd.get_usage(ctx).removeprefix("Usage:").strip()
        params = [p for p in (_param(p, ctx) for p in cmd.params) if p is not None]
        entry = Command(
            path=ctx.command_path,
            usage=usage,
            help=cmd.help or "",
            deprecated=bool(getattr(cmd, "deprecated", False)),
            params=params,
        )
        out.append(entry)
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is None or getattr(sub, "hidden", False):
                    continue
                entry.subcommands.append(f"{ctx.command_path} {name}")
                visit(sub, sub.context_class(sub, info_name=name, parent=ctx))

    visit(command, command.context_class(command, info_name=PROG))
    return out


def command_paths() -> list[str]:
    """The command paths the page documents (``"vaekit"``, ``"vaekit train"``, ...)."""
    return [c.path for c in walk()]


def _escape(text: str) -> str:
    """Plain text as Markdown that renders as the same text."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _cell(text: str) -> str:
    return _escape(" ".join(text.split())) if text else ""


def _prose(text: str) -> str:
    """A click help text as Markdown: paragraphs re-flowed, ``\\b`` blocks kept verbatim."""
    blocks = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.startswith("\b"):
            lines = para.lstrip("\b").strip("\n")
            blocks.append("```text\n" + lines + "\n```")
        else:
            blocks.append(_escape(" ".join(para.split())))
    return "\n\n".join(blocks)


def _anchor(path: str) -> str:
    return path.replace(" ", "-")


def render(commands: list[Command] | None = None) -> str:
    """The Markdown of the CLI reference page."""
    commands = walk() if commands is None else commands
    lines = [
        "# CLI reference",
        "",
        "Generated from the command-line application itself when the site is built. "
        f"Every command also prints this with `--help`, e.g. `{PROG} train --help`.",
        "",
    ]
    for c in commands:
        depth = c.path.count(" ")
        level = "#" * min(2 + max(depth - 1, 0), 4) if depth else "##"
        title = f"`{c.path}`" + (" (deprecated)" if c.deprecated else "")
        lines += [f"{level} {title} {{ #{_anchor(c.path)} }}", ""]
        lines += ["```text", c.usage, "```", ""]
        if c.help:
            lines += [_prose(c.help), ""]
        if c.subcommands:
            lines += ["| Command | Summary |", "| --- | --- |"]
            by_path = {x.path: x for x in commands}
            for s in c.subcommands:
                first = by_path[s].help.strip().split("\n\n")[0] if s in by_path else ""
                lines.append(f"| [`{s}`](#{_anchor(s)}) | {_cell(first)} |")
            lines.append("")
        for kind, heading in (("argument", "Arguments"), ("option", "Options")):
            rows = [p for p in c.params if p.kind == kind]
            if not rows:
                continue
            lines += [f"**{heading}**", "", "| Name | Type | Default | Help |",
                      "| --- | --- | --- | --- |"]  # fmt: skip
            for p in rows:
                lines.append(
                    f"| `{p.names}` | {_cell(p.type)} | {_cell(p.default)} | {_cell(p.help)} |"
                )
            lines.append("")
    return "\n".join(lines)


def on_files(files: Any, config: Any) -> Any:
    """Add the generated page to the site's files."""
    from mkdocs.structure.files import File

    if files.get_file_from_path(PAGE) is not None:
        log.warning("%s is generated from the CLI: remove the file of that name", PAGE)
        files.remove(files.get_file_from_path(PAGE))
    try:
        content = render()
    except Exception as e:  # an import error in the CLI must fail the build, not hide the page
        log.warning("the CLI reference could not be generated: %s: %s", type(e).__name__, e)
        content = "# CLI reference\n\nThe CLI could not be imported when the site was built.\n"
    files.append(File.generated(config, PAGE, content=content))
    return files
