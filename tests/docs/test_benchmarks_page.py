"""The Benchmarks page shows exactly one current entry per results file: the newest one that
is not superseded, with its command, machine, date and first table."""

from __future__ import annotations

from pathlib import Path

from docs_hooks import build, load_hook, needs_mkdocs

benchmarks = load_hook("benchmarks")


def entry(day: int, summary: str, value: str, superseded: bool = False) -> str:
    mark = "superseded: yes\n" if superseded else ""
    return (
        f"## 2026-11-{day:02d}: {summary}\n{mark}\n"
        f"- command: `python benchmarks/speed.py --run {day}`\n"
        f"- machine: x86_64, 2 CPU cores\n"
        f"- date: 2026-11-{day:02d}\n\n"
        f"| loop | seconds |\n| --- | --- |\n| vaekit | {value} |\n\n"
        f"| second table | of {day} |\n| --- | --- |\n| x | y |\n\n"
    )


def results_file(title: str, script: str, *entries: str) -> str:
    return f"# {title}\n\nscript: benchmarks/{script}.py\n\n" + "".join(entries)


def write_results(folder: Path) -> None:
    folder.mkdir(parents=True)
    # newest first; the newest is superseded, so the second one is current
    (folder / "speed.md").write_text(results_file(
        "Training speed", "speed",
        entry(23, "bad run", "9.99", superseded=True),
        entry(22, "fast loop", "2.81"),
        entry(21, "first run", "4.51"),
    ))  # fmt: skip
    (folder / "quality.md").write_text(
        results_file("Test loss", "quality", entry(20, "default model", "102.34"))
    )


def test_one_current_entry_per_results_file(tmp_path: Path) -> None:
    write_results(tmp_path / "results")
    results = benchmarks.read_all(tmp_path / "results")
    assert [(r.name, r.current.heading) for r in results] == [
        ("quality", "2026-11-20: default model"),
        ("speed", "2026-11-22: fast loop"),
    ]
    assert all(r.problems == [] for r in results)
    page = benchmarks.render(results)
    assert page.count("- command:") == 2
    assert "| vaekit | 2.81 |" in page and "| vaekit | 102.34 |" in page
    for other in ("9.99", "4.51", "second table"):
        assert other not in page  # superseded, older entries and later tables stay out
    assert "- command: `python benchmarks/speed.py --run 22`" in page
    assert "- machine: x86_64, 2 CPU cores" in page and "- date: 2026-11-22" in page
    assert "(benchmarks/speed.md)" in page  # the link to the history


def test_files_off_the_format_are_reported() -> None:
    no_script = benchmarks.parse("# T\n\n" + entry(1, "a", "1"), "x")
    assert no_script.problems == ["no 'script: benchmarks/<script>.py' line"]
    all_superseded = benchmarks.parse(results_file("T", "x", entry(1, "a", "1", True)), "x")
    assert all_superseded.current is None
    assert "every entry is superseded" in all_superseded.problems
    no_fields = benchmarks.parse("# T\nscript: benchmarks/x.py\n## 2026-11-01: a\n", "x")
    assert no_fields.problems == ["entry '2026-11-01: a' has no command, machine, date line"]


@needs_mkdocs
def test_the_site_has_the_page_and_each_history(tmp_path: Path) -> None:
    write_results(tmp_path / "benchmarks" / "results")
    docs = tmp_path / "docs"
    docs.mkdir()
    site = build(tmp_path, docs, nav=["benchmarks.md"], hooks=["benchmarks"])
    page = (site / "benchmarks.html").read_text()
    assert page.count("--run 22") == 1 and "--run 21" not in page and "--run 23" not in page
    history = (site / "benchmarks" / "speed.html").read_text()
    assert all(f"--run {d}" in history for d in (21, 22, 23))
    assert "Superseded" in history
