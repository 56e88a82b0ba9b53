"""The table commands (`vaekit impute`, `vaekit synth`) as a user meets them: imputed and
sampled numbers within the observed range and precision, the table files they write, the
column types they show and take (`--types`), and cells named by their line in the file."""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli

CONCRETE = Path(os.environ.get("VAEKIT_DATA_DIR", "/nonexistent")) / "tabular" / "concrete.csv.gz"
FAST = ["--device", "cpu", "--threads", "1", "-q"]


def lines_of(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.strip()]


def decimals(text: str) -> int:
    """Decimals written in a cell: ``"12.35"`` -> 2, ``"40"`` -> 0."""
    return len(text.split(".")[1]) if "." in text else 0


def read_text_cells(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    rows = [r.split(",") for r in raw.decode().splitlines()]
    return rows[0], rows[1:]


def write_rows(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def people(n: int = 80, seed: int = 0) -> list[str]:
    """Rows ``age,city,weight``: an integer, a category, a number >= 0 of two decimals."""
    rng = np.random.default_rng(seed)
    return [f"{rng.integers(18, 80)},{rng.choice(['oslo', 'rome', 'lima'])},"
            f"{abs(rng.normal(3, 2)):.2f}" for _ in range(n)]  # fmt: skip


@pytest.fixture(scope="module")
def synth_run(tmp_path_factory) -> tuple[Path, Path]:
    """A small `vaekit synth fit` run on ``people`` and its table."""
    root = tmp_path_factory.mktemp("synth")
    table = write_rows(root / "people.csv", "age,city,weight", people())
    run = root / "run"
    from vaekit.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["synth", "fit", str(table), "--out", str(run), "--epochs", "2",
              "--batch-size", "40", *FAST])  # fmt: skip
    assert done.value.code == 0
    return run, table


@pytest.fixture(scope="module")
def imputer_run(tmp_path_factory) -> tuple[Path, Path]:
    """A small `vaekit impute fit` run on ``people`` with missing weights, and its table."""
    root = tmp_path_factory.mktemp("impute")
    rows = [r if i % 4 else r.rsplit(",", 1)[0] + "," for i, r in enumerate(people())]
    table = write_rows(root / "people.csv", "age,city,weight", rows)
    run = root / "run"
    from vaekit.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["impute", "fit", str(table), "--out", str(run), "--epochs", "2", *FAST])
    assert done.value.code == 0
    return run, table


# ---------------------------------------------------------------- observed range and precision
def test_impute_keeps_concrete_within_the_observed_range_and_precision(tmp_path, capsys):
    """Imputed Concrete cells were negative for fly_ash (all observed values >= 0) and had
    15 digits in columns recorded with one or two decimals."""
    if not CONCRETE.is_file():
        pytest.skip(f"{CONCRETE} not found (set VAEKIT_DATA_DIR to the shared data directory)")
    header, rows = read_text_cells(CONCRETE)
    rng = np.random.default_rng(0)
    holes = rng.random((len(rows), len(header))) < 0.2
    cells = [["" if h else v for v, h in zip(r, hr, strict=True)]
             for r, hr in zip(rows, holes, strict=True)]  # fmt: skip
    table = write_rows(tmp_path / "concrete.csv", ",".join(header), [",".join(r) for r in cells])
    run = tmp_path / "run"
    code, _, err = run_cli(["impute", "fit", table, "--out", run, "--epochs", "2", *FAST], capsys)
    assert code == 0, err
    out = tmp_path / "filled.csv"
    code, _, err = run_cli(["impute", "transform", run, table, "-o", out, "--n-samples", "20",
                            "--n-draws", "2"], capsys)  # fmt: skip
    assert code == 0, err
    for draw in (tmp_path / "filled-1.csv", tmp_path / "filled-2.csv"):
        got_header, filled = read_text_cells(draw)
        assert got_header == header
        for j, name in enumerate(header):
            seen = [r[j] for r in cells if r[j] != ""]
            lo, hi = min(map(float, seen)), max(map(float, seen))
            most = max(decimals(v) for v in seen)
            imputed = [f[j] for f, r in zip(filled, cells, strict=True) if r[j] == ""]
            assert imputed, name
            values = np.array([float(v) for v in imputed])
            assert values.min() >= lo and values.max() <= hi, (name, lo, hi, values.min())
            assert max(decimals(v) for v in imputed) <= most, (name, imputed[:5])


def test_synth_sample_keeps_the_observed_precision(synth_run, tmp_path, capsys):
    run, table = synth_run
    out = tmp_path / "rows.csv"
    code, _, err = run_cli(["synth", "sample", run, "-n", "300", "-o", out], capsys)
    assert code == 0, err
    _, rows = read_text_cells(out)
    weights = [r[2] for r in rows]
    assert max(decimals(v) for v in weights) <= 2, weights[:5]
    assert min(float(v) for v in weights) >= 0


def test_an_imputer_saved_without_bounds_still_imputes(imputer_run, tmp_path, capsys):
    """A run saved before the observed range was kept imputes as before."""
    import shutil

    run, table = imputer_run
    old = tmp_path / "old"
    shutil.copytree(run, old)
    meta = json.loads((old / "estimator.json").read_text())
    assert "bounds" in meta["state"]
    del meta["state"]["bounds"]
    (old / "estimator.json").write_text(json.dumps(meta))
    code, _, err = run_cli(["impute", "transform", old, table, "-o", tmp_path / "o.csv",
                            "--n-samples", "5"], capsys)  # fmt: skip
    assert code == 0, err


# ---------------------------------------------------------------- the files written
@pytest.mark.parametrize("command", ["synth", "impute"])
def test_parquet_without_pyarrow_is_refused_in_one_line(command, synth_run, imputer_run,
                                                       tmp_path, capsys, monkeypatch):  # fmt: skip
    """`synth sample -o x.parquet` wrote CSV text into the .parquet file."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as when it is not installed
    out = tmp_path / "x.parquet"
    if command == "synth":
        args = ["synth", "sample", synth_run[0], "-n", "5", "-o", out]
    else:
        args = ["impute", "transform", *imputer_run, "-o", out, "--n-samples", "5"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and lines_of(err) == [
        "vaekit: error: writing .parquet needs pyarrow: pip install pyarrow"], err
    assert not out.exists()


def test_parquet_with_pyarrow(synth_run, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "x.parquet"
    code, _, err = run_cli(["synth", "sample", synth_run[0], "-n", "7", "-o", out], capsys)
    assert code == 0, err
    back = pq.read_table(out)
    assert back.column_names == ["age", "city", "weight"] and back.num_rows == 7


@pytest.mark.parametrize("command", ["synth", "impute"])
def test_other_file_types_are_refused_naming_those_supported(command, synth_run, imputer_run,
                                                             tmp_path, capsys):  # fmt: skip
    out = tmp_path / "x.xlsx"
    if command == "synth":
        args = ["synth", "sample", synth_run[0], "-n", "5", "-o", out]
    else:
        args = ["impute", "transform", *imputer_run, "-o", out]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and len(lines_of(err)) == 1, err
    assert ".csv, .csv.gz or .parquet" in err and not out.exists()


def test_csv_gz_is_gzip_compressed(synth_run, imputer_run, tmp_path, capsys):
    """A .csv.gz output was plain text, which the table commands then refused to read."""
    from vaekit.data.table import read_csv

    out = tmp_path / "rows.csv.gz"
    code, _, err = run_cli(["synth", "sample", synth_run[0], "-n", "9", "-o", out], capsys)
    assert code == 0, err
    assert len(read_csv(out)) == 9
    filled = tmp_path / "filled.csv.gz"
    code, _, err = run_cli(["impute", "transform", *imputer_run, "-o", filled, "--n-samples",
                            "5", "--n-draws", "2"], capsys)  # fmt: skip
    assert code == 0, err
    assert len(read_csv(tmp_path / "filled-2.csv.gz")) == 80


# ---------------------------------------------------------------- column types
def with_text_cell(tmp_path: Path) -> Path:
    rows = people()
    rows[5] = "thirty," + rows[5].split(",", 1)[1]  # the 6th data row: line 7
    return write_rows(tmp_path / "t.csv", "age,city,weight", rows)


@pytest.mark.parametrize("command", ["impute", "synth"])
def test_a_text_cell_in_a_numeric_column_is_named_with_the_fix(command, tmp_path, capsys):
    """`impute fit` called such a column an identifier or free text (258 distinct values);
    `synth fit` silently made a category of it."""
    table = with_text_cell(tmp_path)
    code, _, err = run_cli([command, "fit", table, "--out", tmp_path / "run", "--epochs", "1",
                            *FAST], capsys)  # fmt: skip
    assert code == 2 and len(lines_of(err)) == 1, err
    assert "column 'age'" in err and "line 7 'thirty'" in err and "79 of 80" in err
    assert "--types age=categorical" in err and "distinct values" not in err
    assert not (tmp_path / "run" / "run.json").exists()


@pytest.mark.parametrize("command", ["impute", "synth"])
def test_types_are_shown_and_taken_by_every_fit(command, tmp_path, capsys):
    table = with_text_cell(tmp_path)
    code, _, err = run_cli([command, "fit", table, "--out", tmp_path / "run", "--epochs", "1",
                            "--types", "age=categorical", "--device", "cpu"], capsys)  # fmt: skip
    assert code == 0, err
    assert "types: age categorical(" in err and "city categorical(3), weight numeric" in err
    data = json.loads((tmp_path / "run" / "run.json").read_text())["data"]
    assert data["types"]["age"] == "categorical"  # what resume reads again


@pytest.mark.parametrize("command", ["impute", "synth"])
@pytest.mark.parametrize(
    ("types", "words"),
    [
        ("age=int", "--types age=int: unknown type; choose from numeric, integer"),
        ("agee=integer", "types given for columns it does not have: ['agee'] (its columns: "
                         "age, city, weight)"),
        ("age", "--types 'age': write column=type"),
    ],
)  # fmt: skip
def test_bad_types_are_refused_in_one_line(command, types, words, tmp_path, capsys):
    table = write_rows(tmp_path / "t.csv", "age,city,weight", people(20))
    code, _, err = run_cli([command, "fit", table, "--out", tmp_path / "run", "--types", types,
                            *FAST], capsys)  # fmt: skip
    assert code == 2 and len(lines_of(err)) == 1 and words in err, err


# ---------------------------------------------------------------- line numbers and columns
def test_impute_transform_names_the_line_of_a_bad_cell(imputer_run, tmp_path, capsys):
    run, _ = imputer_run
    rows = people(10)
    rows[3] = "thirty," + rows[3].split(",", 1)[1]  # line 5
    table = write_rows(tmp_path / "t.csv", "age,city,weight", ["", *rows])  # a blank line 2
    code, _, err = run_cli(["impute", "transform", run, table, "-o", tmp_path / "o.csv"], capsys)
    assert code == 2 and len(lines_of(err)) == 1, err
    assert f"{table} line 6, column 'age': 'thirty' is not a number" in err
    assert "--types age=categorical" in err


def test_synth_report_names_the_line_of_a_bad_cell(synth_run, tmp_path, capsys):
    run, _ = synth_run
    rows = people()
    rows[0] = rows[0].rsplit(",", 1)[0] + ",heavy"  # the first data row: line 2
    table = write_rows(tmp_path / "t.csv", "age,city,weight", rows)
    code, _, err = run_cli(["synth", "report", run, "--real", table], capsys)
    assert code == 2 and len(lines_of(err)) == 1, err
    assert f"{table} line 2, column 'weight': 'heavy' is not a number" in err


def test_synth_report_names_missing_and_extra_columns(synth_run, tmp_path, capsys):
    """A different column set is named against the fitted columns, never as types given."""
    run, _ = synth_run
    rows = [r.rsplit(",", 1)[0] + ",1" for r in people()]
    table = write_rows(tmp_path / "t.csv", "age,city,height", rows)
    code, _, err = run_cli(["synth", "report", run, "--real", table], capsys)
    assert code == 2 and len(lines_of(err)) == 1, err
    assert "missing ['weight']; unknown ['height']" in err
    assert "fitted on: age, city, weight" in err and "types given" not in err
