"""`vaekit anomaly score` refuses a file whose columns differ from those fitted (missing,
extra, renamed, reordered), naming them; a label column left among the features at
`vaekit anomaly fit` gets a note naming --label-column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from vaekit.anomaly import VAEDetector

FIT = ["--epochs", "2", "--hidden", "8", "-q", "--device", "cpu"]
NAMES = ["a", "b", "c", "d"]


def write_csv(path: Path, header: list[str] | None, order: list[int], label: bool = True) -> Path:
    """Rows of four features (picked and ordered by ``order``; 4 repeats column 0) and an
    ``is_outlier`` 0/1 column last."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4))
    x = np.concatenate([x, x[:, :1]], axis=1)
    y = (np.arange(40) % 10 == 0).astype(int)
    lines = [",".join(header)] if header else []
    lines += [",".join([f"{r[j]:.4f}" for j in order] + ([str(v)] if label else []))
              for r, v in zip(x, y, strict=True)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def named(tmp_path_factory) -> Path:
    """A detector fitted on a CSV with a header (a, b, c, d and the label is_outlier)."""
    root = tmp_path_factory.mktemp("named")
    data = write_csv(root / "train.csv", [*NAMES, "is_outlier"], [0, 1, 2, 3])
    with pytest.raises(SystemExit) as done:
        from vaekit.cli.app import main

        main(["anomaly", "fit", str(data), "--out", str(root / "det"), "--label-column",
              "is_outlier", *FIT])  # fmt: skip
    assert done.value.code == 0
    return root / "det"


@pytest.fixture(scope="module")
def unnamed(tmp_path_factory) -> Path:
    """A detector fitted on a CSV without a header (four columns, no label)."""
    root = tmp_path_factory.mktemp("unnamed")
    data = write_csv(root / "train.csv", None, [0, 1, 2, 3], label=False)
    with pytest.raises(SystemExit) as done:
        from vaekit.cli.app import main

        main(["anomaly", "fit", str(data), "--out", str(root / "det"), *FIT])
    assert done.value.code == 0
    return root / "det"


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("header", "order", "words"),
    [
        (["a", "b", "d"], [0, 1, 3], "missing 'c'"),
        (["a", "b", "c", "d", "e"], [0, 1, 2, 3, 4], "extra 'e'"),
        (["a", "B", "c", "d"], [0, 1, 2, 3], "renamed column: 'b' is now 'B'"),
        (["b", "a", "c", "d"], [1, 0, 2, 3], "same columns in a different order: 'b', 'a', 'c'"),
    ],
    ids=["dropped", "extra", "renamed", "reordered"],
)
def test_score_refuses_other_columns_naming_them(named, tmp_path, capsys, header, order, words):
    data = write_csv(tmp_path / "new.csv", [*header, "is_outlier"], order)
    code, out, err = run_cli(["anomaly", "score", named, data, "--label-column", "is_outlier"],
                             capsys)  # fmt: skip
    line = one_line(err)
    assert code == 2 and words in line and "new.csv" in line, err
    assert out == ""


def test_only_the_fitted_columns_score(named, tmp_path, capsys) -> None:
    """A dropped column with the label kept has the fitted count (three features and the
    label): refused, or the label would be scored as a feature."""
    data = write_csv(tmp_path / "same.csv", [*NAMES, "is_outlier"], [0, 1, 2, 3])
    code, out, err = run_cli(["anomaly", "score", named, data, "--label-column", "is_outlier"],
                             capsys)  # fmt: skip
    assert code == 0 and len(out.strip().splitlines()) == 41, err
    headerless = write_csv(tmp_path / "plain.csv", None, [0, 1, 2, 3], label=False)
    code, _, err = run_cli(["anomaly", "score", named, headerless], capsys)
    assert code == 0 and "warn" not in err.lower(), err  # no names: the count is checked
    data = write_csv(tmp_path / "new.csv", ["a", "b", "d", "is_outlier"], [0, 1, 3])
    code, _, err = run_cli(["anomaly", "score", named, data], capsys)
    line = one_line(err)
    assert code == 2 and "missing 'c'; extra 'is_outlier'" in line, err
    assert "--label-column is_outlier" in line


def test_fitted_without_a_header_only_the_count_is_checked(named, unnamed, tmp_path,
                                                           capsys) -> None:  # fmt: skip
    assert not hasattr(VAEDetector.load(unnamed), "feature_names_in_")
    data = write_csv(tmp_path / "named.csv", ["w", "x", "y", "z"], [0, 1, 2, 3], label=False)
    code, _, err = run_cli(["anomaly", "score", unnamed, data], capsys)
    assert code == 0 and "warn" not in err.lower(), err
    code, _, err = run_cli(["anomaly", "score", named, data], capsys)  # fitted with names
    assert code == 2 and "renamed columns: 'a' is now 'w', 'b' is now 'x'" in one_line(err)
    narrow = write_csv(tmp_path / "narrow.csv", ["w", "x", "y"], [0, 1, 2], label=False)
    code, _, err = run_cli(["anomaly", "score", unnamed, narrow], capsys)
    assert code == 2 and "X has 3 features, but VAEDetector is expecting 4" in one_line(err)


def test_the_names_survive_save_and_load_and_old_saves_check_the_count(named, tmp_path,
                                                                       capsys) -> None:  # fmt: skip
    det = VAEDetector.load(named)
    assert list(det.feature_names_in_) == NAMES and det.n_features_in_ == 4
    back = VAEDetector.load(det.save(tmp_path / "again"))
    assert list(back.feature_names_in_) == NAMES
    # a detector saved before the names were kept: the count alone is checked
    old = det.save(tmp_path / "old")
    meta = json.loads((old / "estimator.json").read_text())
    del meta["state"]["feature_names_in_"]
    (old / "estimator.json").write_text(json.dumps(meta))
    assert not hasattr(VAEDetector.load(old), "feature_names_in_")
    renamed = write_csv(tmp_path / "renamed.csv", ["p", "q", "r", "s"], [0, 1, 2, 3], False)
    code, _, err = run_cli(["anomaly", "score", old, renamed], capsys)
    assert code == 0, err
    code, _, err = run_cli(["anomaly", "score", named, renamed], capsys)
    assert code == 2 and "'a' is now 'p'" in one_line(err)


def test_fit_notes_a_label_column_left_among_the_features(tmp_path, capsys) -> None:
    data = write_csv(tmp_path / "train.csv", [*NAMES, "is_outlier"], [0, 1, 2, 3])
    code, _, err = run_cli(["anomaly", "fit", data, "--out", tmp_path / "det", *FIT], capsys)
    assert code == 0, err
    notes = [ln for ln in err.splitlines() if "note:" in ln]
    assert len(notes) == 1, err
    assert "'is_outlier'" in notes[0] and "--label-column is_outlier" in notes[0]
    assert "Warning" not in err  # the note, not a Python warning
    assert list(VAEDetector.load(tmp_path / "det").feature_names_in_) == [*NAMES, "is_outlier"]
    code, _, err = run_cli(["anomaly", "fit", data, "--out", tmp_path / "det2",
                            "--label-column", "is_outlier", *FIT], capsys)  # fmt: skip
    assert code == 0 and "note:" not in err, err

    # a column named like a label that holds other values: no note
    data = write_csv(tmp_path / "other.csv", ["a", "b", "c", "y", "e"], [0, 1, 2, 3, 4],
                     label=False)  # fmt: skip
    code, _, err = run_cli(["anomaly", "fit", data, "--out", tmp_path / "det3", *FIT], capsys)
    assert code == 0 and "note:" not in err, err


def test_labels_of_one_class_get_a_note_not_an_error(tmp_path, capsys):
    """Fitting on inliers only (the usual case) with --label-column used to train, then exit
    2 on "ROC-AUC needs both inliers and outliers"; now the fit ends and says why there is
    no ROC-AUC, and a mixed file still gets one."""
    rows = ["a,b,is_fault"] + [f"{i % 7},{i % 5},0" for i in range(40)]
    (tmp_path / "ok.csv").write_text("\n".join(rows) + "\n")
    det = tmp_path / "det"
    loud = [a for a in FIT if a != "-q"]  # the note is what is tested
    code, out, err = run_cli(["anomaly", "fit", tmp_path / "ok.csv", "--out", det,
                              "--label-column", "is_fault", *loud], capsys)  # fmt: skip
    assert code == 0, err
    assert "labels in 'is_fault' are all inliers (0): no training ROC-AUC" in err
    assert out.strip() == str(det)
    code, _, err = run_cli(["anomaly", "score", det, tmp_path / "ok.csv", "--label-column",
                            "is_fault", "-o", tmp_path / "s.csv"], capsys)  # fmt: skip
    assert code == 0, err
    assert "all inliers (0): no ROC-AUC" in err
    mixed = rows[:-1] + ["9,9,1"]
    (tmp_path / "mixed.csv").write_text("\n".join(mixed) + "\n")
    code, _, err = run_cli(["anomaly", "score", det, tmp_path / "mixed.csv", "--label-column",
                            "is_fault", "-o", tmp_path / "s2.csv"], capsys)  # fmt: skip
    assert code == 0, err
    assert "ROC-AUC 1.0000" in err or "ROC-AUC 0." in err
