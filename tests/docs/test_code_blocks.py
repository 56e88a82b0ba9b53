"""Every shell and Python block of the README and the documentation runs, at smoke size.

Each page runs in its own working directory with the files its commands name (``sensors.csv``,
``adult.csv.gz``, ``my.yaml`` ...) made from the real data sets, in the order a reader runs them,
so a command that uses a run made earlier on the page finds it. ``tests/code_blocks.py`` says how
the blocks are read, what is rewritten for smoke size, and which lines other parts of CI run.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shlex
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from code_blocks import (
    ROOT,
    SMOKE_OUTCOMES,
    Block,
    blocks,
    pages,
    run_elsewhere,
    shell_lines,
    smoke_args,
    smoke_python,
    vaekit_args,
)
from vaekit.cli.app import main

DATA = Path(os.environ.get("VAEKIT_DATA_DIR", "/nonexistent"))


# ---------------------------------------------------------------- the files pages name
def _csv(path: Path, header: list[str], rows: np.ndarray, fmt: str = "%.6g") -> None:
    text = io.StringIO()
    np.savetxt(text, rows, delimiter=",", fmt=fmt, header=",".join(header), comments="")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as f:
        f.write(text.getvalue())


def _odds(name: str) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    mat = loadmat(DATA / "odds" / f"{name}.mat")
    return mat["X"].astype(np.float64), mat["y"].ravel().astype(np.float64)


def _sensors(cwd: Path, ns: dict) -> None:
    """sensors.csv (to fit on) and new.csv (to score): ODDS cardio rows in a seeded order
    (outliers in both), the label in is_fault."""
    x, y = _odds("cardio")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    header = [f"s{k}" for k in range(x.shape[1])] + ["is_fault"]
    _csv(cwd / "sensors.csv", header, np.column_stack([x[:600], y[:600]]))
    _csv(cwd / "new.csv", header, np.column_stack([x[600:900], y[600:900]]))
    shutil.copy(DATA / "odds" / "cardio.mat", cwd / "cardio.mat")
    ns.update(X_train=x[:600].astype(np.float32), X_test=x[600:900].astype(np.float32))


def _table(cwd: Path, ns: dict) -> None:
    """table.csv: the Concrete table with one cell in ten emptied; X: its numbers with NaN."""
    with gzip.open(DATA / "tabular" / "concrete.csv.gz", "rt") as f:
        header = f.readline().strip().split(",")
        x = np.loadtxt(f, delimiter=",")[:300]
    x[np.random.default_rng(0).random(x.shape) < 0.1] = np.nan
    _csv(cwd / "table.csv", header, x)
    (cwd / "table.csv").write_text((cwd / "table.csv").read_text().replace("nan", ""))
    ns["X"] = x.astype(np.float32)


def _adult(cwd: Path, ns: dict) -> None:
    """adult.csv.gz / adult_test.csv.gz: 600 and 300 rows of Adult; df: a DataFrame of them."""
    import pandas as pd

    for name, n in (("adult", 600), ("adult_test", 300)):
        with gzip.open(DATA / "tabular" / f"{name}.csv.gz", "rt") as f:
            lines = [next(f) for _ in range(n + 1)]
        with gzip.open(cwd / f"{name}.csv.gz", "wt") as f:
            f.writelines(lines)
    ns["df"] = pd.read_csv(cwd / "adult.csv.gz")


def _clicks(cwd: Path, ns: dict) -> None:
    """clicks.csv (user,item,rating) and ml-100k/u.data (MovieLens's own tab format)."""
    with gzip.open(DATA / "ml-100k" / "ml-100k.inter.gz", "rt") as f:
        f.readline()
        rows = [line.split("\t") for line in f]
    (cwd / "clicks.csv").write_text(
        "user,item,rating\n" + "".join(f"{u},{i},{r}\n" for u, i, r, _ in rows[:20000])
    )
    (cwd / "ml-100k").mkdir()
    (cwd / "ml-100k" / "u.data").write_text("".join("\t".join(r) for r in rows))


def _molecules(cwd: Path, ns: dict) -> None:
    """SMILES files cut from MOSES: my_molecules.smi, data.csv.gz, gen.smi, my_test.smi,
    my_train.smi; names the Python block uses: smiles, train_smiles, start_smiles."""
    with gzip.open(DATA / "moses" / "train.csv.gz", "rt") as f:
        f.readline()
        train = [next(f).strip() for _ in range(1200)]
    with gzip.open(DATA / "moses" / "test.csv.gz", "rt") as f:
        f.readline()
        test = [next(f).strip().split(",")[0] for _ in range(200)]
    for name, lines in (("my_molecules.smi", train[:600]), ("gen.smi", train[600:800]),
                        ("my_test.smi", test), ("my_train.smi", train[800:])):  # fmt: skip
        (cwd / name).write_text("\n".join(lines) + "\n")
    with gzip.open(cwd / "data.csv.gz", "wt") as f:
        f.write("SMILES\n" + "\n".join(train[:600]) + "\n")
    ns.update(smiles=train[600:800], train_smiles=train[800:], start_smiles=test[:2])


def _series_files(cwd: Path, ns: dict) -> None:
    """pm10_daily_wide.csv.gz (300 days from 2002, every station) and stocks_daily.csv.gz
    (300 trading days of GOOG and of AAPL, long format), cut from the real files."""
    folder = DATA / "timeseries"
    with gzip.open(folder / "de_pm10_air" / "pm10_daily_wide.csv.gz", "rt") as f:
        lines = f.readlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"2002-01-01"'))
    with gzip.open(cwd / "pm10_daily_wide.csv.gz", "wt") as f:
        f.writelines([lines[0], *lines[start : start + 300]])
    with gzip.open(folder / "stocks" / "stocks_daily.csv.gz", "rt") as f:
        lines = f.readlines()
    rows = [ln for t in ("GOOG", "AAPL") for ln in [x for x in lines if x.startswith(t)][:300]]
    with gzip.open(cwd / "stocks_daily.csv.gz", "wt") as f:
        f.writelines([lines[0], *rows])


def _config_file(cwd: Path, ns: dict) -> None:
    (cwd / "my.yaml").write_text("model:\n  latent_dim: 8\ntrain:\n  batch_size: 64\n")


def _classifier_bar(cwd: Path, ns: dict) -> None:
    """The sample-quality classifier trained on 600 smoke-size digits cannot reach the 0.985
    test accuracy the real one must; the bar is lowered so the command runs its whole path
    (as tests/unit/test_sample_metric.py does)."""
    from vaekit.eval import classifier

    ns["_monkeypatch"].setattr(classifier, "MIN_TEST_ACCURACY", 0.0)


def _train(*args: str) -> Callable[[Path, dict], None]:
    """A setup step that trains the run a page takes as made (``runs/cvae``, ``runs/d2``)."""

    def step(cwd: Path, ns: dict) -> None:
        _vaekit(smoke_args(["train", *args, "--device", "cpu", "-q"]))

    return step


#: page -> its setup steps and placeholders (text in a command -> what it stands for)
SETUP: dict[str, tuple[list[Callable[[Path, dict], None]], dict[str, str]]] = {
    "README.md": ([_sensors], {}),
    "docs/applications/anomaly.md": ([_sensors], {}),
    "docs/applications/imputation.md": ([_table], {}),
    "docs/applications/synthetic-tables.md": ([_adult], {}),
    "docs/applications/recommendation.md": ([_clicks], {}),
    "docs/applications/molecules.md": ([_molecules], {}),
    "docs/applications/timeseries.md": ([_series_files], {}),
    "docs/concepts.md": ([_config_file], {}),
    "docs/training.md": ([_config_file, _train("--model", "cvae", "--out", "runs/cvae")], {}),
    "docs/evaluation.md": ([_train("--model", "cvae", "--out", "runs/cvae"), _classifier_bar],
                           {}),
    "docs/pictures.md": ([_train("--latent-dim", "2", "--out", "runs/d2")], {"RUN": "runs/d2"}),
}


# ---------------------------------------------------------------------- running
def _vaekit(args: list[str], allowed: str | None = None) -> str:
    """Run ``vaekit ARGS`` here; its output, or a failure naming the command and its error.
    ``allowed``: a pattern of the one error line that is accepted instead of success."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as done, redirect_stdout(out), redirect_stderr(err):
        main(args)
    if done.value.code not in (0, None):
        error = err.getvalue()
        if allowed and re.search(rf"^vaekit: error: {allowed}$", error, re.M):
            return error
        pytest.fail(f"vaekit {shlex.join(args)} exited {done.value.code}:\n{error}")
    return out.getvalue()


def _placeholders(command: str, names: dict[str, str], cwd: Path) -> str:
    """``command`` with a page's placeholders replaced; ``runs/vae-mnist-...`` is the run that
    a bare ``vaekit train`` made in this directory."""
    for text, value in names.items():
        command = command.replace(text, value)
    if "runs/vae-mnist-..." in command:
        made = sorted(cwd.glob("runs/vae-mnist-*"))
        assert made, f"{command}: no run made by a bare 'vaekit train' before it"
        command = command.replace("runs/vae-mnist-...", str(made[-1].relative_to(cwd)))
    return command


def _epochs_done(args: list[str]) -> int:
    run = next((a for a in args if (Path(a) / "metrics.jsonl").exists()), None)
    return len((Path(run) / "metrics.jsonl").read_text().splitlines()) if run else 0


def _smoke(cfg):
    """A configuration cut to smoke size, as the CLI's rewriting does (``code_blocks``)."""
    cfg.train.epochs = min(cfg.train.epochs, 1)
    cfg.data.max_examples = 600
    cfg.train.held_out_examples = 200
    return cfg


@contextmanager
def _in_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _registry_kept() -> Iterator[None]:
    """Models a page registers (its 'add a variant' example) are gone after the page."""
    from vaekit.models import registry

    before = dict(registry._REGISTRY)
    try:
        yield
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(before)


def run_block(block: Block, cwd: Path, ns: dict, names: dict[str, str]) -> list[str]:
    """Run ``block``; the lines it ran (rewritten) and those left to the rest of CI."""
    done = []
    if block.lang == "python":
        code = smoke_python(block.text).replace("vaekit.fit(cfg)", "vaekit.fit(_smoke(cfg))")
        code = code.replace("vaekit.sweep(cfg,", "vaekit.sweep(_smoke(cfg),")
        ns.setdefault("_smoke", _smoke)
        start = time.perf_counter()
        with redirect_stdout(io.StringIO()):
            exec(compile(code, block.where, "exec"), ns)  # noqa: S102 - the docs' own code
        return [f"python: {block.where} ({time.perf_counter() - start:.1f} s)"]
    for command in shell_lines(block.text):
        why = run_elsewhere(command)
        if why:
            done.append(f"elsewhere: {command} ({why})")
            continue
        args = vaekit_args(_placeholders(command, names, cwd))
        assert args is not None, (
            f"{block.where}: the test cannot run {command!r}; add a rule to code_blocks.py or "
            "mark the block <!-- not run: REASON -->"
        )
        args = smoke_args(args, _epochs_done(args))
        start = time.perf_counter()
        outcome = next((o for prefix, o in SMOKE_OUTCOMES.items() if command.startswith(prefix)),
                       None)  # fmt: skip
        _vaekit(args, outcome[0] if outcome else None)
        done.append(f"ran: vaekit {shlex.join(args)} ({time.perf_counter() - start:.1f} s)"
                    + (f"; may end with its check at smoke size: {outcome[1]}" if outcome else ""))
    return done


PAGES = [p for p in pages() if any(b.lang in ("bash", "python") for b in blocks(p))]


def _head(source: Path, dest: Path, lines: int) -> None:
    """The first ``lines`` lines of a text file (gzipped or not) after its header."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt") as f, opener(dest, "wt") as g:
        g.writelines(line for _, line in zip(range(lines + 1), f, strict=False))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, mnist_subset: Path) -> Path:
    """``$VAEKIT_DATA_DIR`` at smoke size: MNIST cut to 600 training and 200 test digits, the
    sentences and MOSES files to their first lines, so that what reads a whole split
    (evaluation, the report, the metrics) takes seconds. The other data sets are the real ones."""
    d = tmp_path_factory.mktemp("docs-data")
    for entry in DATA.iterdir():
        if entry.name not in ("mnist", "sentences", "moses"):
            (d / entry.name).symlink_to(entry)
    (d / "mnist").symlink_to(mnist_subset)
    (d / "sentences").mkdir()
    for name, n in (("train.txt", 600), ("valid.txt", 100), ("test.txt", 100)):
        _head(DATA / "sentences" / name, d / "sentences" / name, n)
    (d / "moses").mkdir()
    for name, n in (("train.csv.gz", 2000), ("test.csv.gz", 200), ("test_scaffolds.csv.gz", 200)):
        _head(DATA / "moses" / name, d / "moses" / name, n)
    (d / "moses" / "fcd_reference_stats.npz").symlink_to(DATA / "moses" / "fcd_reference_stats.npz")
    return d


@pytest.mark.skipif(not DATA.is_dir(), reason="VAEKIT_DATA_DIR not set: the pages use its data")
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         request: pytest.FixtureRequest, data_dir: Path) -> None:  # fmt: skip
    # dSprites pages read the session's one rendering; the others a cache of their own
    uses_dsprites = "dsprites" in page.read_text()
    cache = request.getfixturevalue("dsprites_cache") if uses_dsprites else tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(data_dir))
    steps, names = SETUP.get(str(page.relative_to(ROOT)), ([], {}))
    ns: dict = {"__name__": "__docs__", "_monkeypatch": monkeypatch}
    log = []
    work = tmp_path / "work"
    work.mkdir()
    with _in_directory(work), _registry_kept():
        for step in steps:
            step(work, ns)
        for block in blocks(page):
            if block.lang not in ("bash", "python"):
                continue
            if block.not_run:
                log.append(f"not run: {block.where} ({block.not_run})")
                continue
            log += run_block(block, work, ns, names)
    print("\n".join(log))  # shown with -s or on failure: what ran, rewritten, and what not


def test_every_block_runs_or_says_why_not() -> None:
    """Each line of each shell block is a vaekit command the test runs, or one that another
    part of CI runs (with the reason), or its block is marked with a reason."""
    unknown, unexplained = [], []
    for page in pages():
        for block in blocks(page):
            if block.lang not in ("bash", "python"):
                continue
            if block.not_run is not None:
                if len(block.not_run) < 10:
                    unexplained.append(block.where)
                continue
            if block.lang == "bash":
                unknown += [f"{block.where}: {c}" for c in shell_lines(block.text)
                            if run_elsewhere(c) is None and vaekit_args(c) is None]  # fmt: skip
    assert not unknown, unknown
    assert not unexplained, f"a not-run mark needs its reason: {unexplained}"
    marked = [b for p in pages() for b in blocks(p) if b.not_run]
    assert len(marked) <= 6, f"most blocks must run, not be marked: {[b.where for b in marked]}"


# ------------------------------------------------------------- the reading and rewriting
def test_blocks_marks_indents_and_continued_lines(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "1. Train:\n\n    ```bash\n    vaekit train --epochs 2 \\\n      --latent-dim 2  # note\n"
        "    ```\n\n<!-- not run: needs a GPU, which CI lacks -->\n\n```bash\nvaekit train "
        "--bf16\n```\n\n```python\nclass A:\n    x = 1\n```\n\n```text\nvaekit: error\n```\n"
    )
    found = blocks(page)
    assert [(b.line, b.lang, b.not_run) for b in found] == [
        (3, "bash", None), (10, "bash", "needs a GPU, which CI lacks"), (14, "python", None),
        (19, "text", None),
    ]  # fmt: skip
    assert shell_lines(found[0].text) == ["vaekit train --epochs 2 --latent-dim 2"]
    assert found[2].text == "class A:\n    x = 1"  # indentation inside a block is kept
    assert shell_lines('# a comment\nvaekit plot R x --from "a # b" # note') == [
        'vaekit plot R x --from "a # b"'
    ]


def test_smoke_rewriting_of_commands() -> None:
    args = smoke_args(["train", "--dataset", "dsprites", "--epochs", "300", "--set",
                       "train.steps_per_epoch=1000", "--set", "data.val_size=5000"])  # fmt: skip
    assert args == ["train", "--dataset", "dsprites", "--epochs", "1",
                    "--set", "train.steps_per_epoch=2", "--set", "data.val_size=100",
                    "--set", "data.max_examples=600",
                    "--set", "train.held_out_examples=200"]  # fmt: skip
    assert smoke_args(["train"])[:3] == ["train", "--epochs", "1"]
    assert smoke_args(["resume", "runs/x", "--epochs", "20"], epochs_done=3) == [
        "resume", "runs/x", "--epochs", "4"]  # fmt: skip
    assert smoke_args(["train", "--resume", "r"], epochs_done=1) == [
        "train", "--resume", "r", "--epochs", "2"]  # fmt: skip
    assert smoke_args(["synth", "fit", "a.csv", "--epochs", "300"])[-1] == "2"
    assert smoke_args(["evaluate", "r", "--iw", "5000"]) == ["evaluate", "r", "--iw", "16"]
    assert smoke_args(["plot", "r", "manifold", "-n", "20"])[-1] == "20"  # under the cap
    assert vaekit_args("python -m vaekit --help") == ["--help"]
    assert vaekit_args("torchrun -m vaekit train") is None
    assert run_elsewhere("pip install '.[docs]'") and run_elsewhere("vaekit train") is None


def test_smoke_rewriting_of_python() -> None:
    code = 'Synthesizer(epochs=300).fit(df)\nRecommender("mult-vae", batch_size=100).fit(p)\n'
    code += "VAEImputer().fit(X)\ncfg.train.epochs = 5\nopt.run(s, 'gradient', steps=50)\n"
    assert smoke_python(code).splitlines() == [
        "Synthesizer(epochs=2).fit(df)", 'Recommender("mult-vae", batch_size=100, epochs=2).fit(p)',
        "VAEImputer(epochs=2).fit(X)", "cfg.train.epochs = 1", "opt.run(s, 'gradient', steps=2)",
    ]  # fmt: skip
