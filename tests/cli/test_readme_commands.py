"""Every ``vaekit`` command the README and the documentation pages show still parses: its
command exists and each of its options is one the command takes (run with ``--help``
appended, which stops before any work). The quick start itself runs in
``tests/e2e/test_wheel_offline.py`` and CI runs the test command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vaekit.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """The README and every Markdown page under ``docs/``."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def shown_commands(page: Path) -> list[tuple[str, int]]:
    """The ``vaekit ...`` lines of ``page``'s bash blocks, without their comments, each with
    the line it starts on (a block may be indented, as inside a list item)."""
    commands, in_bash, pending, start = [], False, "", 0
    for number, raw in enumerate(page.read_text().splitlines(), start=1):
        line = raw.strip()
        if line.startswith("```"):
            in_bash = line == "```bash"
            pending = ""
            continue
        if not in_bash:
            continue
        text = pending + line.split(" # ")[0].split("  #")[0].strip()
        if not pending:
            start = number
        if text.endswith("\\"):  # continued on the next line
            pending = text[:-1]
            continue
        pending = ""
        text = re.sub(r"^(torchrun .*? -m |python -m )vaekit", "vaekit", text)
        if text.startswith("vaekit ") and "$(" not in text and "|" not in text:
            commands.append((text, start))
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


def test_indented_blocks_and_continued_lines_are_read(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "1. Train:\n\n    ```bash\n    vaekit train --epochs 2 \\\n      --latent-dim 2  # note\n"
        "    ```\n\n```python\nvaekit train --nothing\n```\n"
    )
    assert shown_commands(page) == [("vaekit train --epochs 2 --latent-dim 2", 4)]


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
