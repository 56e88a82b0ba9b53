"""Mixed-type tables: the CSV reader's types and the reversible transformer."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vaekit.data.table import Table, from_cells, read_csv, write_csv
from vaekit.data.table_transform import TableTransformer
from vaekit.errors import DataError

TABULAR = Path(os.environ.get("VAEKIT_DATA_DIR", "/nonexistent")) / "tabular"


def needs(name: str) -> Path:
    path = TABULAR / name
    if not path.is_file():
        pytest.skip(f"{path} not found (set VAEKIT_DATA_DIR to the shared data directory)")
    return path


def assert_same(a: Table, b: Table) -> None:
    """Categories exact, numbers to float32 precision, missing cells where they were."""
    assert a.names == b.names and a.types == b.types
    for k in a.names:
        np.testing.assert_array_equal(a.missing(k), b.missing(k), err_msg=k)
        x, y = a.columns[k], b.columns[k]
        if x.dtype == object:
            assert list(x) == list(y), k
        else:
            ok = ~np.isnan(x)
            scale = max(float(np.ptp(x[ok])), 1.0)  # float32 outputs: 1e-6 of the range
            np.testing.assert_allclose(y[ok], x[ok], rtol=1e-6, atol=1e-6 * scale, err_msg=k)


def mixed(n: int = 600, seed: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    bimodal = np.where(rng.random(n) < 0.3, rng.normal(-5, 0.5, n), rng.normal(10, 2, n))
    cells = {
        "x": [f"{v:.6f}" for v in bimodal],
        "count": [str(v) for v in rng.poisson(3, n)],
        "colour": list(rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1])),
        "flag": list(rng.choice(["true", "false"], n)),
        "when": [f"2024-01-{d:02d}T{h:02d}:30:00" for d, h in
                 zip(rng.integers(1, 29, n), rng.integers(0, 24, n), strict=True)],
    }  # fmt: skip
    for col, every in (("x", 7), ("colour", 11), ("count", 13)):
        for i in range(0, n, every):
            cells[col][i] = ""
    return from_cells(cells)


def test_types_are_inferred_and_overridable():
    t = mixed()
    assert t.types == {"x": "numeric", "count": "integer", "colour": "categorical",
                       "flag": "boolean", "when": "datetime"}  # fmt: skip
    assert t.missing("x").sum() == len(range(0, 600, 7)) and t.missing("colour")[0]
    forced = from_cells({"zip": ["02139", "10001"]}, {"zip": "categorical"})
    assert list(forced.columns["zip"]) == ["02139", "10001"]


def test_round_trip_with_missing_cells_and_every_type(tmp_path):
    t = mixed()
    tr = TableTransformer().fit(t)
    x = tr.transform(t)
    assert x.shape == (len(t), tr.output_dim) and x.dtype == np.float32
    assert_same(tr.inverse_transform(x), t)
    # the bimodal column gets (at least) its two modes
    assert len(tr.columns["x"]["means"]) >= 2
    # CSV out and back in
    write_csv(t, tmp_path / "t.csv")
    assert_same(read_csv(tmp_path / "t.csv"), t)


def test_saved_json_transforms_identically(tmp_path):
    t = mixed()
    tr = TableTransformer().fit(t)
    tr.save(tmp_path / "transformer.json")
    again = TableTransformer.load(tmp_path / "transformer.json")
    np.testing.assert_array_equal(again.transform(t), tr.transform(t))
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(DataError, match="not a vaekit table transformer"):
        TableTransformer.load(tmp_path / "bad.json")


def test_one_hots_are_one_hot_and_the_largest_slot_wins():
    t = mixed()
    tr = TableTransformer().fit(t)
    x = tr.transform(t)
    at = 0
    for span in tr.spans:
        block = x[:, at : at + span.size]
        if span.activation == "softmax":
            np.testing.assert_array_equal(block.sum(1), 1.0)
        at += span.size
    assert at == tr.output_dim
    # logits instead of one-hots decode to the same table
    softmax = np.array([s.activation == "softmax" for s in tr.spans for _ in range(s.size)])
    noisy = x + np.where(x == 1.0, 2.0, 0.0) * softmax
    assert_same(tr.inverse_transform(noisy), tr.inverse_transform(x))


def test_many_categories_share_an_other_slot_drawn_by_frequency():
    rng = np.random.default_rng(1)
    levels = [f"c{i}" for i in range(10_000)]
    values = ["common"] * 5000 + list(rng.choice(levels, 5000))
    t = from_cells({"cat": values})
    tr = TableTransformer(max_categories=100).fit(t)
    assert tr.output_dim == 100 and len(tr.columns["cat"]["levels"]) == 99
    back = tr.inverse_transform(tr.transform(t), seed=0).columns["cat"]
    assert sum(v == "common" for v in back) == 5000  # kept levels exact
    kept = set(tr.columns["cat"]["levels"])
    grouped = [v for v, w in zip(back, values, strict=True) if w not in kept]
    assert set(grouped) <= set(tr.columns["cat"]["other"])
    assert len(set(grouped)) > 1000  # drawn from the rare levels, not one stand-in


@pytest.mark.parametrize("name", ["adult.csv.gz", "german_credit.csv.gz", "concrete.csv.gz"])
def test_real_tables_round_trip(name):
    t = read_csv(needs(name))
    tr = TableTransformer().fit(t)
    back = tr.inverse_transform(tr.transform(t))
    assert_same(back, t)
    for k in t.names:  # integers come back as integers, exactly
        if t.types[k] == "integer":
            np.testing.assert_array_equal(back.columns[k], t.columns[k])


def test_bad_tables_get_one_clear_message():
    with pytest.raises(DataError, match="'empty' has no values"):
        TableTransformer().fit(from_cells({"empty": ["", ""], "x": ["1", "2"]}))
    with pytest.raises(DataError, match="mixed numbers and text"):
        from_cells({"x": ["1", "two"]}, {"x": "numeric"})
    constant = from_cells({"c": ["5", "5", "5"], "x": ["1", "2", "3"]})
    tr = TableTransformer().fit(constant)
    assert_same(tr.inverse_transform(tr.transform(constant)), constant)
    with pytest.raises(DataError, match=r"missing \['x'\], unexpected \['y'\]"):
        tr.transform(from_cells({"c": ["5"], "y": ["1"]}))
    cat = TableTransformer().fit(from_cells({"k": ["a", "b"]}))
    with pytest.raises(DataError, match="level 'z' was not seen"):
        cat.transform(from_cells({"k": ["z"]}))
    with pytest.raises(DataError, match="NaN"):
        cat.inverse_transform(np.array([[np.nan, 0.0]]))
    with pytest.raises(DataError, match="expected an array"):
        cat.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(DataError, match="not fitted"):
        TableTransformer().transform(constant)


def test_inverse_keeps_the_fitted_range_and_precision():
    """Numbers come back within [min, max] and with the decimals they were recorded with;
    a state saved before the precision was kept inverts without rounding."""
    rng = np.random.default_rng(0)
    t = from_cells({"w": [f"{abs(v):.2f}" for v in rng.normal(2, 1, 300)],
                    "n": [str(v) for v in rng.poisson(3, 300)]})  # fmt: skip
    tr = TableTransformer().fit(t)
    assert tr.columns["w"]["decimals"] == 2 and tr.columns["n"]["decimals"] == 0
    outputs = rng.normal(0, 2, (500, tr.output_dim))  # anything a decoder may give
    w = tr.inverse_transform(outputs).columns["w"]
    observed = t.columns["w"]
    assert observed.min() <= w.min() and w.max() <= observed.max()
    np.testing.assert_array_equal(np.round(w, 2), w)
    old = TableTransformer.from_dict(tr.to_dict())
    for info in old.columns.values():
        info.pop("decimals", None)
    unrounded = old.inverse_transform(outputs).columns["w"]
    assert not np.array_equal(np.round(unrounded, 2), unrounded)


def test_cells_are_named_by_their_line_in_a_file_and_their_row_from_python(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n\n2,y\nthree,z\n")  # a blank line 3: 'three' is on line 5
    with pytest.raises(DataError, match=f"{path} line 5, column 'a': 'three' is not a number"):
        read_csv(path, {"a": "integer"})
    with pytest.raises(DataError, match=r"^table row 2, column 'a': 'three' is not a number"):
        from_cells({"a": ["1", "2", "three"]}, {"a": "integer"})
    with pytest.raises(DataError, match=f"{path} line 5: 3 fields"):
        path.write_text("a,b\n1,x\n\n2,y\n3,z,extra\n")
        read_csv(path)


def test_a_mostly_numeric_column_is_refused_naming_its_text_cells(tmp_path):
    values = [str(i) for i in range(30)]
    values[4], values[20] = "four", "?"
    with pytest.raises(DataError, match=r"column 'n': numbers in 28 of 30 cells, text at "
                                        r"row 4 'four', row 20 '\?'.*types=\{'n': 'categorical'\}"):
        from_cells({"n": values})
    path = tmp_path / "t.csv"
    path.write_text("n\n" + "\n".join(values) + "\n")
    with pytest.raises(DataError, match=r"line 6 'four', line 22 '\?'.*--types n=categorical"):
        read_csv(path)
    assert read_csv(path, {"n": "categorical"}).types == {"n": "categorical"}
    assert from_cells({"n": ["1", "2", "x"]}).types == {"n": "categorical"}  # mostly text
