"""vaekit.chem: validity, properties, filters and the MOSES metrics against brute-force
definitions, known answers and MOSES's own ChemNet statistics."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit", reason="needs the chem extra (RDKit)")
pytest.importorskip("fcd_torch", reason="needs the chem extra (fcd_torch)")

from rdkit import Chem, DataStructs  # noqa: E402
from rdkit.Chem import rdFingerprintGenerator  # noqa: E402

from helpers import run_cli  # noqa: E402
from vaekit import chem  # noqa: E402
from vaekit.chem.fcd import GaussianStats, frechet_distance  # noqa: E402
from vaekit.chem.sampling import write_smiles  # noqa: E402
from vaekit.chem.similarity import cosine_similarity, tanimoto_aggregate  # noqa: E402

DRUGS = ["CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
         "CC(=O)Nc1ccc(O)cc1", "COc1ccc2[nH]cc(CCN(C)C)c2c1", "O=C(O)c1ccccc1O",
         "CCN(CC)CC(=O)Nc1c(C)cccc1C", "c1ccc2c(c1)ccc1ccccc12", "CC1=CC(=O)c2ccccc2C1=O",
         "Cc1ccc(cc1)S(=O)(=O)N", "OC1CCCCC1", "CCOC(=O)c1ccc(N)cc1"]  # fmt: skip


def moses_file(name: str) -> Path:
    root = os.environ.get("VAEKIT_DATA_DIR")
    path = Path(root or "/nonexistent") / "moses" / name
    if not path.is_file():
        pytest.skip(f"MOSES data not found ({path}); set VAEKIT_DATA_DIR")
    return path


def test_validity_and_canonical_forms():
    assert not chem.is_valid("") and not chem.is_valid("C1CC") and not chem.is_valid("c1cccc1")
    assert chem.is_valid("c1ccccc1") and chem.is_valid("C[N+](C)(C)C")
    assert chem.canonical_smiles("OCC") == chem.canonical_smiles("C(C)O") == "CCO"
    assert chem.canonical_smiles("C1CC") is None
    bits = chem.morgan_fingerprint(chem.get_mol("CCO"))
    assert bits.shape == (1024,) and bits.dtype == np.uint8 and 0 < bits.sum() < 10


def test_properties_known_values():
    aspirin = chem.get_mol(DRUGS[0])
    assert chem.weight(aspirin) == pytest.approx(180.159, abs=1e-3)
    assert chem.logp(aspirin) == pytest.approx(1.3101, abs=1e-3)
    assert chem.qed(aspirin) == pytest.approx(0.5501, abs=1e-3)
    assert 1 <= chem.sa_score(aspirin) <= 3  # a simple, easily made molecule
    assert chem.sa_score(chem.get_mol("CC12CCC3C(CCC4=CC(=O)CCC34C)C1CCC2O")) > 2.5
    from vaekit.chem.properties import long_ring_penalty

    assert long_ring_penalty(aspirin) == 0 and long_ring_penalty(chem.get_mol("C1CCCCCCC1")) == 2
    # the JT-VAE normalization, term by term
    m = chem.get_mol("C1CCCCCCC1")
    expect = ((chem.logp(m) - 2.4570953396190123) / 1.434324401111988
              + (-chem.sa_score(m) + 3.0525811293166134) / 0.8335207024513095
              + (-2 + 0.0485696876403053) / 0.2860212110245455)  # fmt: skip
    assert chem.penalized_logp(m) == pytest.approx(expect, rel=1e-12)


def test_filters_follow_moses_rules():
    ok = chem.get_mol("CC(=O)Nc1ccc(O)cc1")
    assert chem.passes_filters(ok)
    assert not chem.passes_filters(chem.get_mol("C[N+](C)(C)C"))  # charged
    assert not chem.passes_filters(chem.get_mol("CCCCI"))  # iodine is not allowed
    assert not chem.passes_filters(chem.get_mol("C1CCCCCCC1"))  # a ring of 8
    assert not chem.passes_filters(chem.get_mol("O=C1NC(=S)SC1=Cc1ccccc1"))  # PAINS ene_rhod
    assert not chem.passes_filters(chem.get_mol("CCC=CC#N"))  # MCF1: Michael acceptor nitrile
    from vaekit.chem.filters import filter_patterns

    assert len(filter_patterns()) == 22 + 480 and all(p is not None for p in filter_patterns())


def test_tanimoto_aggregates_match_pairwise_rdkit():
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in DRUGS]
    bitvects = [gen.GetFingerprint(m) for m in mols]
    fps = np.stack([chem.morgan_fingerprint(m) for m in mols])
    ref, new = fps[:7], fps[7:]
    brute = np.array([DataStructs.BulkTanimotoSimilarity(b, bitvects[:7]) for b in bitvects[7:]])
    got = tanimoto_aggregate(ref, new, "max", batch_size=3)  # blocks smaller than the sets
    np.testing.assert_allclose(got, brute.max(1), rtol=1e-6)
    every = np.array([DataStructs.BulkTanimotoSimilarity(b, bitvects) for b in bitvects])
    np.testing.assert_allclose(tanimoto_aggregate(fps, fps, "mean", batch_size=5),
                               every.mean(1), rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(tanimoto_aggregate(fps, fps, "mean", p=2),
                               np.sqrt((every**2).mean(1)), rtol=1e-6)  # fmt: skip
    empty = np.zeros((2, 1024), dtype=np.uint8)
    assert tanimoto_aggregate(empty, empty, "max").tolist() == [1.0, 1.0]  # 0/0 counts as 1
    with pytest.raises(ValueError, match="agg"):
        tanimoto_aggregate(fps, fps, "min")


def test_cosine_similarity_of_counts():
    assert cosine_similarity(Counter(a=3, b=4), Counter(a=3, b=4)) == pytest.approx(1.0)
    assert cosine_similarity(Counter(a=1), Counter(b=1)) == 0.0
    assert cosine_similarity(Counter(a=1, b=1), Counter(a=1)) == pytest.approx(2**-0.5)
    big = Counter(a=3 * 10**10, b=4 * 10**10)  # integer products would overflow int64
    assert cosine_similarity(big, Counter(a=3, b=4)) == pytest.approx(1.0)
    assert np.isnan(cosine_similarity(Counter(), Counter(a=1)))


def test_frechet_distance_closed_form():
    rng = np.random.default_rng(0)
    a = GaussianStats(rng.normal(size=5), np.diag(rng.uniform(0.5, 2, 5)))
    b = GaussianStats(rng.normal(size=5), np.diag(rng.uniform(0.5, 2, 5)))
    expect = ((a.mu - b.mu) ** 2).sum() + ((np.sqrt(np.diag(a.sigma))
                                            - np.sqrt(np.diag(b.sigma))) ** 2).sum()  # fmt: skip
    assert frechet_distance(a, b) == pytest.approx(expect, rel=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-9)


def test_metrics_known_answers():
    ref = chem.ReferenceStats.from_smiles(DRUGS, "drugs")
    gen = ["OCC", "CCO", "C(C)O", "c1ccccc1", "", "C1CC"]  # 4 valid, 2 distinct
    with pytest.warns(chem.UndefinedMetricWarning, match="Scaf/Test: n/a"):  # no two rings
        m = chem.moses_metrics(gen, ref, train={"CCO"}, ks=(2, 4))
    assert np.isnan(m["Scaf/Test"])
    assert m["valid"] == pytest.approx(4 / 6)
    assert m["unique@2"] == 0.5 and m["unique@4"] == 0.5
    assert m["Novelty"] == 0.5  # benzene is new, ethanol is in train
    assert "FCD/Test" not in m  # no ChemNet statistics given: left out, never guessed
    with pytest.warns(chem.UndefinedMetricWarning, match="5 acyclic"):
        same = chem.moses_metrics(["CCO"] * 5, ref, ks=(5,))
    assert same["IntDiv"] == pytest.approx(0, abs=1e-7) and same["IntDiv2"] == pytest.approx(0)
    self_sim = chem.moses_metrics(DRUGS, ref, ks=(12,))
    assert self_sim["SNN/Test"] == pytest.approx(1.0) and self_sim["Frag/Test"] == pytest.approx(1)
    assert self_sim["Scaf/Test"] == pytest.approx(1.0) and self_sim["logP"] == pytest.approx(0)
    assert list(m) == [k for k in chem.METRIC_ORDER if k in m] or "unique@2" in m
    with pytest.raises(chem.metrics.DataError, match="no generated"):
        chem.moses_metrics([], ref)
    with pytest.warns(UserWarning, match="no valid"):
        assert chem.moses_metrics(["C1CC", "xyz"], ref) == {"valid": 0.0}


def test_reference_stats_round_trip(tmp_path):
    ref = chem.ReferenceStats.from_smiles(DRUGS + ["not a molecule"], "drugs",
                                          fcd=GaussianStats(np.ones(3), np.eye(3)))  # fmt: skip
    assert ref.size == len(DRUGS)
    ref.save(tmp_path / "r.npz")
    back = chem.ReferenceStats.load(tmp_path / "r.npz")
    assert back.name == "drugs" and back.size == ref.size
    assert back.fragments == ref.fragments and back.scaffolds == ref.scaffolds
    np.testing.assert_array_equal(back.fingerprints, ref.fingerprints)
    for k in chem.MOSES_PROPERTIES:
        np.testing.assert_array_equal(back.properties[k], ref.properties[k])
    np.testing.assert_array_equal(back.fcd.sigma, np.eye(3))
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(chem.metrics.DataError, match="reference-statistics"):
        chem.ReferenceStats.load(tmp_path / "bad.npz")


def test_chemnet_reproduces_moses_test_statistics():
    """ChemNet on 2,000 random MOSES test molecules reproduces MOSES's own test mean: each
    activation's mean is within sampling error of MOSES's (mean squared z about 1; a wrong
    encoding or scaling gives z of tens)."""
    stats = np.load(moses_file("fcd_reference_stats.npz"))
    with gzip.open(moses_file("test.csv.gz"), "rt") as f:
        everything = [line.strip() for line in f][1:]
    picked = np.random.default_rng(0).choice(len(everything), 2000, replace=False)
    acts = chem.ChemNet().activations([everything[i] for i in picked])  # (2000, 512)
    assert acts.shape == (2000, 512) and acts.dtype == np.float32
    z2 = (acts.mean(0) - stats["test_mu"]) ** 2 / (np.diag(stats["test_sigma"]) / len(acts))
    assert 0.5 < z2.mean() < 2.0, z2.mean()
    test = GaussianStats(stats["test_mu"], stats["test_sigma"])
    sample = GaussianStats(acts.mean(0), np.cov(acts.T))
    drugs = chem.ChemNet().stats(DRUGS * 20)
    assert frechet_distance(test, drugs) > 5 * frechet_distance(test, sample)


def test_smiles_files_round_trip(tmp_path):
    smiles = ["CCO", "", "c1ccccc1", "C1CC"]
    write_smiles(tmp_path / "g.csv", smiles)
    assert (tmp_path / "g.csv").read_text().splitlines()[0] == "SMILES"
    assert chem.read_smiles(tmp_path / "g.csv") == smiles  # the empty sample stays
    write_smiles(tmp_path / "g.smi", smiles)
    assert chem.read_smiles(tmp_path / "g.smi") == smiles
    with pytest.raises(chem.metrics.DataError, match="no such file"):
        chem.read_smiles(tmp_path / "missing.csv")


def test_metrics_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "ref.smi").write_text("\n".join(DRUGS) + "\n")
    (tmp_path / "train.smi").write_text("CCO\nCC(=O)Nc1ccc(O)cc1\n")
    write_smiles(tmp_path / "gen.csv", ["OCC", "CC(=O)Nc1ccc(O)cc1", "c1ccccc1O", "C1CC"])
    args = ["molecules", "metrics", tmp_path / "gen.csv", "--test", tmp_path / "ref.smi",
            "--train", tmp_path / "train.smi", "--unique-k", "2,3", "-j", "1"]  # fmt: skip
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    record = json.loads((tmp_path / "gen.csv.metrics.json").read_text())
    m = record["metrics"]
    assert record["samples"] == 4 and m["valid"] == 0.75 and m["Novelty"] == pytest.approx(1 / 3)
    assert np.isfinite(m["FCD/Test"]) and "FCD/TestSF" not in m
    assert list((tmp_path / "cache" / "vaekit" / "chem").glob("ref.smi-*.npz"))  # cached
    code, out, err = run_cli(args[:3] + ["--unique-k", "ten"], capsys)
    assert code == 2 and "--unique-k" in err


class ChainModel:
    """A stand-in decoder: code z decodes to an alkane chain of round(3 + 5 z[0]) carbons
    (1-30), so logP rises with z[0] and the optimum is known."""

    has_latent, device = True, "cpu"

    def eval(self):
        return self

    def encode(self, smiles):
        z = torch.zeros(len(smiles), 4)
        z[:, 0] = (torch.tensor([float(len(s)) for s in smiles]) - 3) / 5
        return type("Q", (), {"mean": z})()

    def decode(self, z):
        return z

    def to_text(self, z):
        return ["C" * int(min(max(round(3 + 5 * float(v)), 1), 30)) for v in z[:, 0]]


import torch  # noqa: E402

from vaekit.chem.optimize import LatentOptimizer, score  # noqa: E402
from vaekit.errors import ConfigError  # noqa: E402


@pytest.mark.parametrize("method", ["gradient", "cmaes", "bo"])
def test_optimizers_climb_a_known_objective(method):
    opt = LatentOptimizer(ChainModel(), "logp", known={"CC", "CCC"}, seed=0)
    if method == "gradient":
        r2 = opt.fit_predictor(["C" * k for k in range(1, 31)] * 4, epochs=100)
        assert r2 > 0.9
    with pytest.warns(UserWarning, match=r"1 of 3 starting molecules are not valid .*'C1CC'"):
        result = opt.run(["CC", "CCC", "C1CC"], method, steps=15)  # the invalid start is dropped
    assert [f.smiles for f in result.start] == ["CC", "CCC"]
    assert result.best_start == pytest.approx(score("CCC", "logp"))
    best = result.top(3)
    assert best[0].score > result.best_start + 1.0  # longer chains found
    assert [f.score for f in best] == sorted((f.score for f in best), reverse=True)
    assert all(f.smiles not in {"CC", "CCC"} and f.novel for f in best)
    assert len(result.path) == 15
    summary = result.summary()
    assert summary["valid"] == 1.0 and summary["improvement"] > 1.0
    assert summary["active_units"] == 1  # only z[0] differs between the starts


def test_optimizer_reports_starts_whose_codes_decode_to_another_molecule():
    opt = LatentOptimizer(ChainModel(), "logp", seed=0)
    result = opt.run(["CC", "CCO", "OCC"], "cmaes", steps=1)  # z[0] follows the string length
    assert [f.smiles for f in result.reconstructed] == ["CC", "CCC", "CCC"]
    assert all(f.step == 0 for f in result.reconstructed)
    changed = [(g.smiles, d.smiles) for g, d in result.changed_starts()]
    assert changed == [("CCO", "CCC"), ("OCC", "CCC")]
    assert result.summary()["starts_reconstructed"] == 1


def test_optimizer_warns_of_a_collapsed_latent_space():
    class Collapsed(ChainModel):
        def encode(self, smiles):
            return type("Q", (), {"mean": torch.zeros(len(smiles), 4)})()

    said = []
    opt = LatentOptimizer(Collapsed(), "logp", seed=0, log=said.append)
    result = opt.run(["CC", "CCC"], "cmaes", steps=2)
    assert result.active_units == 0 and any("collapsed" in s for s in said)
    said.clear()
    LatentOptimizer(ChainModel(), "logp", seed=0, log=said.append).run(["CC", "CCC"], "cmaes", 2)
    assert not any("collapsed" in s for s in said)


def test_optimizer_rejects_bad_options():
    with pytest.raises(ConfigError, match="objective"):
        score("CC", "potency")
    opt = LatentOptimizer(ChainModel(), "qed")
    with pytest.raises(ConfigError, match="method"):
        opt.run(["CC"], "annealing")
    with pytest.raises(ConfigError, match="fit_predictor"):
        opt.run(["CC"], "gradient")
    with pytest.raises(ConfigError, match="no valid starting"):
        opt.run(["C1CC"], "cmaes")
    lm = ChainModel()
    lm.has_latent = False
    with pytest.raises(ConfigError, match="latent code"):
        LatentOptimizer(lm, "qed")


@pytest.fixture(scope="module")
def molecule_run(tmp_path_factory):
    """A small seq-vae trained on drug SMILES (a few valid samples, not a good model)."""
    from vaekit.cli.app import main

    root = tmp_path_factory.mktemp("molecules")
    (root / "drugs.smi").write_text("\n".join(DRUGS * 10) + "\n")
    args = ["train", "--model", "seq-vae", "--dataset", str(root / "drugs.smi"), "--epochs", "8",
          "--latent-dim", "4", "--set", "model.rnn_hidden=32", "--set", "model.decoder_hidden=64",
          "--batch-size", "16", "--lr", "0.005", "--device", "cpu", "-q",
          "--out", str(root / "run")]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code in (0, None)
    return root / "run"


def test_sample_and_optimize_cli(molecule_run, tmp_path, capsys):
    run = molecule_run
    code, out, err = run_cli(["molecules", "sample", run, "-n", "25", "-o", tmp_path / "g.csv",
                              "--max-length", "40"], capsys)  # fmt: skip
    assert code == 0, err
    rows = chem.read_smiles(tmp_path / "g.csv")
    from vaekit.text import Tokenizer

    tokenizer = Tokenizer.load(run / "tokenizer.json")
    assert len(rows) == 25 and max(len(tokenizer.split(r)) for r in rows) <= 40
    code, out, err = run_cli(["molecules", "optimize", run, "--objective", "qed", "--method",
                              "cmaes", "--steps", "2", "--n-start", "5"], capsys)  # fmt: skip
    assert code == 0, err
    summary = json.loads((run / "optimize-qed-cmaes.json").read_text())
    assert summary["starting_molecules"] == 5 and len(summary["path"]) == 2
    assert 0 <= summary["valid"] <= 1 and summary["best_start"] <= 1
    assert summary["decoded"] == 2 * (4 + int(3 * np.log(4)))  # two generations of CMA-ES
    code, out, err = run_cli(["molecules", "optimize", run, "--objective", "potency"], capsys)
    assert code == 2 and "--objective" in err
    code, out, err = run_cli(["molecules", "sample", run, "-o", tmp_path / "g.png"], capsys)
    assert code == 2 and ".csv, .smi or .txt" in err


def test_molecule_figures_and_report(molecule_run, capsys):
    run = molecule_run
    for kind, extra in (("molecules", ["-n", "12"]), ("property-map", ["--property", "logp"]),
                        ("properties", ["-n", "60"])):  # fmt: skip
        code, out, err = run_cli(["plot", run, kind, *extra], capsys)
        assert code == 0, err
        assert (run / "plots" / f"{kind}.png").stat().st_size > 5000
    code, out, err = run_cli(["plot", run, "property-map", "--property", "potency"], capsys)
    assert code == 2 and "potency" in err
    code, out, err = run_cli(["report", run], capsys)
    assert code == 0, err
    html = (run / "report.html").read_text()
    assert all(k in html for k in ("molecules", "property-map", "properties"))
