"""The benchmark results files: one per script, newest entry first, superseded entries marked."""

from __future__ import annotations

import datetime
import importlib.util
import re
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
RESULTS = BENCHMARKS / "results"
HEADING = re.compile(r"^## (\d{4}-\d{2}-\d{2}): \S")


def load_record():
    """Import ``benchmarks/_record.py`` (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_record", BENCHMARKS / "_record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entry(record, summary: str, figure: str, date: str) -> str:
    return record.format_entry(
        summary, f"| a | b |\n| --- | --- |\n| x | {figure} |",
        command="python benchmarks/demo.py", machine="test machine", date=date,
    )  # fmt: skip


def test_new_entry_lands_first_title_and_older_entries_stay(tmp_path: Path) -> None:
    record = load_record()
    path = tmp_path / "demo.md"
    record.add_entry(path, entry(record, "first", "1.0", "2026-01-01"),
                     title="Demo benchmark", script="benchmarks/demo.py")  # fmt: skip
    record.add_entry(path, entry(record, "second", "2.0", "2026-01-02"),
                     title="ignored", script="ignored")  # fmt: skip
    record.add_entry(path, entry(record, "third", "3.0", "2026-01-03"),
                     title="ignored", script="ignored")  # fmt: skip
    text = path.read_text()
    lines = text.splitlines()
    assert lines[:3] == ["# Demo benchmark", "script: benchmarks/demo.py", ""]
    heads = [s for s in lines if s.startswith("## ")]
    assert heads == ["## 2026-01-03: third", "## 2026-01-02: second", "## 2026-01-01: first"]
    assert lines[3] == "## 2026-01-03: third"
    assert text.index("| x | 3.0 |") < text.index("| x | 2.0 |") < text.index("| x | 1.0 |")
    assert "\n\n\n" not in text and text.endswith("| x | 1.0 |\n")


def test_entry_goes_above_a_superseded_mark_and_keeps_it(tmp_path: Path) -> None:
    record = load_record()
    path = tmp_path / "demo.md"
    path.write_text(
        "# Demo\nscript: benchmarks/demo.py\n\n## 2026-01-02: new\n\n- date: 2026-01-02\n\n"
        "## 2026-01-01: old\nsuperseded: yes\n\n- date: 2026-01-01\n"
    )
    record.add_entry(path, entry(record, "newest", "9.0", "2026-01-03"), title="x", script="x")
    lines = path.read_text().splitlines()
    assert lines[:4] == ["# Demo", "script: benchmarks/demo.py", "", "## 2026-01-03: newest"]
    old = lines.index("## 2026-01-01: old")
    assert lines[old + 1] == "superseded: yes"
    assert lines.index("## 2026-01-02: new") < old


def test_append_results_writes_the_running_scripts_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = load_record()
    monkeypatch.setattr(sys, "argv", ["benchmarks/demo.py", "--epochs", "2"])
    (tmp_path / "demo.md").write_text("# Demo\nscript: benchmarks/demo.py\n\n## 2026-01-01: old\n")
    path = record.append_results("the summary", "| a |\n| --- |\n| 1 |", results_dir=tmp_path)
    assert path == tmp_path / "demo.md"
    lines = path.read_text().splitlines()
    today = datetime.date.today().isoformat()
    assert lines[:4] == ["# Demo", "script: benchmarks/demo.py", "", f"## {today}: the summary"]
    assert "- command: `python benchmarks/demo.py --epochs 2`" in lines
    assert f"- date: {today}" in lines
    assert lines[-1] == "## 2026-01-01: old"
    other = record.append_results("fresh", "text", results_dir=tmp_path / "new")
    assert other.read_text().startswith("# fresh\nscript: benchmarks/demo.py\n\n## ")


def result_files() -> list[Path]:
    return sorted(p for p in RESULTS.glob("*.md") if p.name != "README.md")


def test_every_script_has_a_results_file_and_the_index_lists_them() -> None:
    scripts = {p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_")}
    files = {p.stem for p in result_files()}
    assert scripts <= files, f"scripts without a results file: {sorted(scripts - files)}"
    assert files - scripts <= {"notes"}
    index = (RESULTS / "README.md").read_text()
    for name in files:
        assert f"[{name}.md]({name}.md)" in index


@pytest.mark.parametrize("path", result_files(), ids=lambda p: p.name)
def test_results_file_format(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# ") and lines[2] == ""
    script = lines[1].removeprefix("script: ")
    assert lines[1].startswith("script: ")
    assert script == "none" if path.stem == "notes" else script == f"benchmarks/{path.stem}.py"
    assert lines[3].startswith("## ")
    dates = []
    for i, line in enumerate(lines):
        if line.startswith("## "):
            match = HEADING.match(line)
            assert match, f"{path.name} line {i + 1}: heading without '<date>: <summary>'"
            dates.append(match.group(1))
        elif line.startswith("superseded:"):
            assert lines[i - 1].startswith("## "), f"{path.name} line {i + 1}"
            assert line == "superseded: yes" or line.startswith("superseded: yes (by ")
    assert dates == sorted(dates, reverse=True), f"{path.name}: entries not newest first"
