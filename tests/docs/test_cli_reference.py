"""The CLI reference page is generated from the Typer app and documents every command and
every option."""

from __future__ import annotations

import re

import typer
from docs_hooks import load_hook

from vaekit.cli.app import app

cli_reference = load_hook("cli_reference")


def _registered(t: typer.Typer, prefix: str) -> list[str]:
    """Command paths from the Typer app's own registrations (not from click)."""
    paths = []
    for info in t.registered_commands:
        if info.hidden:
            continue
        name = info.name or info.callback.__name__.replace("_", "-")
        paths.append(f"{prefix} {name}")
    for group in t.registered_groups:
        if group.hidden:
            continue
        name = group.name or group.typer_instance.info.name
        paths.append(f"{prefix} {name}")
        paths += _registered(group.typer_instance, f"{prefix} {name}")
    return paths


def _section(text: str, path: str) -> str:
    """The part of the page about one command: from its heading to the next heading."""
    anchor = "{ #" + path.replace(" ", "-") + " }"
    start = text.index(anchor)
    nxt = re.search(r"^#{2,4} ", text[start:], re.M)
    return text[start : start + nxt.start()] if nxt else text[start:]


def test_every_command_is_documented() -> None:
    documented = cli_reference.command_paths()
    expected = ["vaekit", *_registered(app, "vaekit")]
    assert sorted(documented) == sorted(expected)
    assert len(documented) == len(set(documented))


def test_every_option_and_argument_appears_in_its_commands_section() -> None:
    text = cli_reference.render()
    command = typer.main.get_command(app)

    def visit(cmd, path: str) -> int:
        section = _section(text, path)
        assert f"```text\n{path}" in section, f"no usage line for {path}"
        checked = 0
        for param in cmd.params:
            if param.hidden:
                continue
            if param.param_type_name == "argument":
                names = [param.metavar or param.name.upper()]
            else:
                names = [*param.opts, *param.secondary_opts]
            for name in names:
                assert re.search(rf"`[^`]*(?<![\w-]){re.escape(name)}(?![\w-])", section), (
                    f"{path}: {name} is not in its table"
                )
                checked += 1
            help_text = cli_reference._split_notes(param.help or "")[0]
            if help_text:
                first_words = " ".join(help_text.split()[:3])
                assert cli_reference._escape(first_words) in section, (path, first_words)
        for name in getattr(cmd, "commands", {}):
            sub = cmd.commands[name]
            if not sub.hidden:
                checked += visit(sub, f"{path} {name}")
        return checked

    assert visit(command, "vaekit") > 50


def test_defaults_types_and_required_are_shown() -> None:
    text = _section(cli_reference.render(), "vaekit anomaly fit")
    assert re.search(r"^\| `DATA` \| &lt;path&gt; \| required \|", text, re.M)
    assert re.search(r"^\| `--contamination` \| &lt;float&gt; \| 0\.1 \| Expected", text, re.M)
    assert "Usage" not in text  # the usage line without click's prefix


def test_help_text_is_escaped_for_markdown() -> None:
    escape = cli_reference._escape
    assert escape("a | b <path> *x* [1]") == r"a \| b &lt;path&gt; \*x\* \[1\]"
