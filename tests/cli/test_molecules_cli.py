"""``vaekit molecules``: warnings are one note line each, an undefined metric says why, sampling
counts the valid samples, and optimization names skipped and changed starting molecules."""

from __future__ import annotations

import json
import math
import re
import warnings

import pytest

pytest.importorskip("rdkit", reason="needs the chem extra (RDKit)")
pytest.importorskip("fcd_torch", reason="needs the chem extra (fcd_torch)")

from helpers import run_cli  # noqa: E402
from vaekit import chem  # noqa: E402

DRUGS = ["CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
         "CC(=O)Nc1ccc(O)cc1", "COc1ccc2[nH]cc(CCN(C)C)c2c1", "O=C(O)c1ccccc1O",
         "CCN(CC)CC(=O)Nc1c(C)cccc1C", "c1ccc2c(c1)ccc1ccccc12", "CC1=CC(=O)c2ccccc2C1=O",
         "Cc1ccc(cc1)S(=O)(=O)N", "OC1CCCCC1", "CCOC(=O)c1ccc(N)cc1"]  # fmt: skip
#: 5 valid (4 acyclic, benzene with one ring: no scaffold of two rings), 1 invalid
GENERATED = ["CCO", "CCCC", "c1ccccc1", "CC(=O)O", "C1CC", "CCN"]


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "ref.smi").write_text("\n".join(DRUGS) + "\n")
    (tmp_path / "train.smi").write_text("CCO\n")
    # a lower-case header: the column is matched case-insensitively
    (tmp_path / "gen.csv").write_text("smiles\n" + "\n".join(GENERATED) + "\n")
    return tmp_path


def metrics(files, capsys, gen="gen.csv", ref="ref.smi"):
    args = ["molecules", "metrics", files / gen, "--test", files / ref,
            "--train", files / "train.smi", "-j", "1", "--device", "cpu"]  # fmt: skip
    return run_cli(args, capsys)


def test_metrics_warnings_are_one_note_line_each(files, capsys):
    code, out, err = metrics(files, capsys)
    assert code == 0, err
    lines = err.splitlines()
    for k in ("1,000", "10,000"):
        k_raw = k.replace(",", "")
        [line] = [ln for ln in lines if f"unique@{k_raw} on only" in ln]
        assert line == (f"note: unique@{k_raw} on only 5 valid molecules (fewer than {k}: the "
                        "share of distinct ones among all of them)")  # fmt: skip
    assert "UserWarning" not in err and "molecules.py:" not in err and "moses_metrics(" not in err
    # the Python API still warns
    ref = chem.ReferenceStats.from_smiles(DRUGS, "drugs")
    with pytest.warns(UserWarning) as caught:
        chem.moses_metrics(GENERATED, ref)
    assert any("unique@1000 on only 5 valid molecules" in str(w.message) for w in caught)


def test_an_undefined_scaffold_similarity_says_why(files, capsys):
    code, out, err = metrics(files, capsys)
    assert code == 0, err
    assert re.search(r"│ Scaf/Test\s+│\s+n/a │", err) and "nan" not in err
    why = ("none of the 5 valid generated molecules has a Bemis-Murcko scaffold of two or more "
           "rings: 4 acyclic, 1 with one ring; MOSES's Scaf counts only such scaffolds, and the "
           "cosine with an empty count vector is undefined")  # fmt: skip
    assert f"Scaf/Test: n/a ({why})" in err.splitlines()
    record = json.loads((files / "gen.csv.metrics.json").read_text())
    assert record["undefined"] == {"Scaf/Test": why}
    # the reference side: no molecule of the reference set has two rings either
    (files / "acyclic.smi").write_text("CCO\nCCCCO\nOC1CCCCC1\n")
    code, out, err = metrics(files, capsys, ref="acyclic.smi")
    assert code == 0, err
    assert ("none of the 3 valid molecules of the reference set 'acyclic.smi' has a "
            "Bemis-Murcko scaffold of two or more rings") in err  # fmt: skip
    # the Python API warns with the metric's name and the reason
    ref = chem.ReferenceStats.from_smiles(DRUGS, "drugs")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = chem.moses_metrics(GENERATED, ref, ks=(5,))
    [undefined] = [w.message for w in caught if isinstance(w.message, chem.UndefinedMetricWarning)]
    assert undefined.metric == "Scaf/Test" and undefined.reason == why
    assert math.isnan(m["Scaf/Test"])


def test_one_valid_molecule_leaves_the_fcd_undefined_instead_of_failing(files, capsys):
    (files / "one.csv").write_text("SMILES\nCCO\nC1CC\n")
    code, out, err = metrics(files, capsys, gen="one.csv")
    assert code == 0, err
    assert ("FCD/Test: n/a (only 1 valid generated molecule; the FCD compares means and "
            "covariances of ChemNet activations and needs at least 2)") in err.splitlines()
    assert "the one valid generated molecule has no Bemis-Murcko scaffold" in err


@pytest.fixture(scope="module")
def molecule_run(tmp_path_factory):
    """A small seq-vae trained on drug SMILES (a few valid samples, not a good model)."""
    from vaekit.cli.app import main

    root = tmp_path_factory.mktemp("molecules")
    (root / "drugs.smi").write_text("\n".join(DRUGS * 10) + "\n")
    args = ["train", "--model", "seq-vae", "--dataset", str(root / "drugs.smi"), "--epochs", "8",
            "--latent-dim", "4", "--set", "model.rnn_hidden=32", "--set",
            "model.decoder_hidden=64", "--batch-size", "16", "--lr", "0.005", "--device", "cpu",
            "-q", "--out", str(root / "run")]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code in (0, None)
    return root / "run"


def test_sample_counts_valid_and_unique_samples(molecule_run, tmp_path, capsys):
    code, out, err = run_cli(["molecules", "sample", molecule_run, "-n", "25", "-o",
                              tmp_path / "g.csv", "--max-length", "40"], capsys)  # fmt: skip
    assert code == 0, err
    rows = chem.read_smiles(tmp_path / "g.csv")
    canonical = [c for c in map(chem.canonical_smiles, rows) if c is not None]
    n = len(canonical)
    expect = f"{n} valid of 25 ({n / 25:.1%}), {len(set(canonical))} unique"
    assert expect in err.splitlines(), err
    code, out, err = run_cli(["molecules", "sample", molecule_run, "-n", "5", "-o",
                              tmp_path / "q.csv", "-q"], capsys)  # fmt: skip
    assert code == 0 and "valid of" not in err


def test_optimize_names_skipped_and_changed_starting_molecules(molecule_run, tmp_path, capsys):
    starts = tmp_path / "starts.smi"
    starts.write_text("CCO\nC1CC\n\nxyz\nCOc1ccc2[nH]cc(CCN(C)C)c2c1\nCC(=O)Oc1ccccc1C(=O)O\n")
    out_json = tmp_path / "o.json"
    code, out, err = run_cli(["molecules", "optimize", molecule_run, "--start", starts,
                              "--method", "cmaes", "--steps", "2", "-o", out_json],
                             capsys)  # fmt: skip
    assert code == 0, err
    notes = [ln for ln in err.splitlines() if ln.startswith("note:")]
    assert (f"note: {starts}: 2 of 5 SMILES are not valid molecules and were skipped: "
            "line 2 'C1CC', line 4 'xyz'") in notes  # fmt: skip
    summary = json.loads(out_json.read_text())
    assert summary["starting_molecules"] == 3
    changed = 3 - summary["starts_reconstructed"]
    assert changed > 0  # the tiny model reconstructs none of them
    [note] = [ln for ln in notes if "decode to another molecule" in ln]
    assert note.startswith(f"note: {changed} of 3 starting molecules decode to another molecule,"
                           " and the search starts from their codes: ")  # fmt: skip
    assert "line 1: CCO decodes to " in note  # CCO is not even a training molecule
    assert "line 5: COc1ccc2[nH]cc(CCN(C)C)c2c1 decodes to " in note  # brackets kept


def test_optimize_refuses_a_start_file_without_a_valid_molecule(molecule_run, tmp_path, capsys):
    starts = tmp_path / "bad.smi"
    starts.write_text("C1CC\n\nxyz\n")
    code, out, err = run_cli(["molecules", "optimize", molecule_run, "--start", starts,
                              "--method", "cmaes", "--steps", "2"], capsys)  # fmt: skip
    assert code == 2
    assert err.strip() == (f"vaekit: error: {starts}: none of its 2 SMILES is a valid molecule "
                           "(line 1 'C1CC', line 3 'xyz')")  # fmt: skip
