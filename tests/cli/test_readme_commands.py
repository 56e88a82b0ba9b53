"""Every ``vaekit`` command the README and the documentation pages show still parses: its
command exists and each of its options is one the command takes (run with ``--help``
appended, which stops before any work). The quick start itself runs in
``tests/e2e/test_wheel_offline.py`` and CI runs the test command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from code_blocks import ROOT, blocks, pages, shell_lines
from vaekit.cli.app import main

README = ROOT / "README.md"


def shown_commands(page: Path) -> list[tuple[str, int]]:
    """The ``vaekit ...`` lines of ``page``'s bash blocks (also those under ``torchrun`` or
    ``python -m``), each with the line its block starts on."""
    commands = []
    for block in blocks(page):
        if block.lang != "bash":
            continue
        for line in shell_lines(block.text):
            line = re.sub(r"^(torchrun .*? -m |python -m )vaekit", "vaekit", line)
            if line.startswith("vaekit ") and "$(" not in line and "|" not in line:
                commands.append((line, block.line))
    return commands


def _where(page: Path) -> str:
    return str(page.relative_to(ROOT))


SHOWN = [(f"{_where(page)}:{line}", command) for page in pages()
         for command, line in shown_commands(page)]  # fmt: skip
README_COMMANDS = [command for command, _ in shown_commands(README)]


def test_the_readme_and_the_docs_show_commands():
    assert "vaekit train" in README_COMMANDS
    commands = [command for _, command in SHOWN]
    assert len(commands) > 40
    assert any(c.startswith("vaekit resume") for c in commands)
    shown_on = {where.split(":")[0] for where, _ in SHOWN}
    for page in ("getting-started.md", "training.md", "applications/anomaly.md"):
        assert f"docs/{page}" in shown_on


@pytest.mark.parametrize(("where", "command"), SHOWN, ids=[w for w, _ in SHOWN])
def test_shown_command_parses(where, command, capsys):
    args = shlex.split(command)[1:]
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    err = capsys.readouterr().err
    assert done.value.code == 0, f"{where}: {command}: {err}"


def test_the_readme_is_short_and_its_links_resolve():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:|#", link)]
    assert local, "the README links into the documentation"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, missing


def test_install_hints_name_the_checkout_not_an_unpublished_package():
    """vaekit is installed from a checkout: extras are `pip install '.[chem]'`, not
    `pip install 'vaekit[chem]'` (no such package on the index yet)."""
    src = ROOT / "src" / "vaekit"
    texts = [p.read_text() for p in pages()] + [p.read_text() for p in src.rglob("*.py")]
    assert not any(re.search(r"pip install ['\"]?vaekit\[", t) for t in texts)
    from vaekit.chem.rdkit_guard import INSTALL_HINT

    assert "'.[chem]'" in INSTALL_HINT
