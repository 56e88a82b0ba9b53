"""Every ``vaekit`` command the README shows still parses: its command exists and each of its
options is one the command takes (run with ``--help`` appended, which stops before any work).
The quick start itself runs in ``tests/e2e/test_wheel_offline.py`` and CI runs the test
command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vaekit.cli.app import main

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[str]:
    """The ``vaekit ...`` lines of the README's bash blocks, without their comments."""
    commands, in_bash, pending = [], False, ""
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            in_bash = line.strip() == "```bash"
            continue
        text = pending + line.split(" # ")[0].split("  #")[0].strip()
        if text.endswith("\\"):  # continued on the next line
            pending = text[:-1]
            continue
        pending = ""
        text = re.sub(r"^(torchrun .*? -m |python -m )vaekit", "vaekit", text)
        if in_bash and text.startswith("vaekit ") and "$(" not in text and "|" not in text:
            commands.append(text)
    return commands


COMMANDS = readme_commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) > 40
    assert "vaekit train" in COMMANDS and any(c.startswith("vaekit resume") for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_parses(command, capsys):
    args = shlex.split(command)[1:]
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    err = capsys.readouterr().err
    assert done.value.code == 0, f"{command}: {err}"


def test_install_hints_name_the_checkout_not_an_unpublished_package():
    """vaekit is installed from a checkout: extras are `pip install '.[chem]'`, not
    `pip install 'vaekit[chem]'` (no such package on the index yet)."""
    src = README.parent / "src" / "vaekit"
    texts = [README.read_text(), *(p.read_text() for p in src.rglob("*.py"))]
    assert not any(re.search(r"pip install ['\"]?vaekit\[", t) for t in texts)
    from vaekit.chem.rdkit_guard import INSTALL_HINT

    assert "'.[chem]'" in INSTALL_HINT
