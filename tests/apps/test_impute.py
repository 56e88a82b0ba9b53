"""MIWAE imputation: the masked bound, importance-sampled imputation, the scikit-learn
transformer, multiple imputation, files and ``vaekit impute``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from vaekit.cli.app import main
from vaekit.data.table import Table, from_cells, read_csv, write_csv
from vaekit.errors import ConfigError, DataError
from vaekit.models import create_model
from vaekit.tabular import VAEImputer


def correlated(n: int = 500, seed: int = 0, missing: float = 0.3):
    """Five columns driven by one factor: the missing ones are predictable from the rest."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = f @ np.array([[1.0, -2.0, 0.5, 3.0, 1.5]]) + 0.1 * rng.normal(size=(n, 5)) + 10
    mask = rng.random(x.shape) < missing
    xm = x.copy()
    xm[mask] = np.nan
    return x, xm, mask


def test_missing_entries_leave_the_bound_and_the_encoder_sees_the_mask():
    torch.manual_seed(0)
    model = create_model("miwae", input_shape=(4,), latent_dim=2, hidden=[16],
                         likelihood="gaussian-learned-dim", k=5)  # fmt: skip
    x = torch.randn(6, 4)
    params = torch.randn(3, 6, 4)
    full = model.observed_log_prob(params, x)
    lik = model.likelihood.log_prob(params, x)
    assert torch.allclose(full, lik, atol=1e-5)  # nothing missing: the usual likelihood
    xm = x.clone()
    xm[:, 0] = float("nan")
    # the missing column's terms are gone: changing its parameters changes nothing
    p2 = params.clone()
    p2[..., 0] += 5
    assert torch.equal(model.observed_log_prob(params, xm), model.observed_log_prob(p2, xm))
    assert not torch.equal(model.observed_log_prob(params, x), model.observed_log_prob(p2, x))
    out = model.loss(xm)
    assert torch.isfinite(out.total)
    out.total.backward()
    # a row's posterior depends on which entries are missing, not only on the zero fill
    z = torch.zeros(1, 4)
    zm = z.clone()
    zm[0, 0] = float("nan")
    assert not torch.allclose(model.encode(z).mean, model.encode(zm).mean)


def test_imputer_beats_the_mean_and_keeps_observed_values():
    x, xm, mask = correlated()
    imp = VAEImputer(epochs=60, device="cpu", n_samples=200).fit(xm)
    out = imp.transform(xm)
    assert out.shape == x.shape and not np.isnan(out).any()
    np.testing.assert_array_equal(out[~mask], x[~mask])
    sd = x.std(0)
    err = np.sqrt(np.mean((((out - x) / sd)[mask]) ** 2))
    mean_err = np.sqrt(np.mean((((SimpleImputer().fit_transform(xm) - x) / sd)[mask]) ** 2))
    assert err < 0.5 * mean_err
    np.testing.assert_array_equal(out, imp.transform(xm))  # seeded: the same every time
    draws = imp.sample_imputations(xm, n_draws=4)
    assert draws.shape == (4, *x.shape)
    np.testing.assert_array_equal(draws[:, ~mask], np.broadcast_to(x[~mask], (4, (~mask).sum())))
    assert draws[:, mask].std(0).mean() > 0  # the draws differ where values are missing
    # the draws scatter around the conditional mean, closer to it than the mean fill is
    spread = np.abs(draws.mean(0) - out)[mask].mean()
    assert spread < np.abs(SimpleImputer().fit_transform(xm) - out)[mask].mean()


def test_pipeline_save_load_and_bad_input(tmp_path):
    x, xm, _ = correlated(200)
    pipe = make_pipeline(VAEImputer(epochs=3, device="cpu", n_samples=20), StandardScaler())
    assert not np.isnan(pipe.fit_transform(xm)).any()
    imp = pipe[0]
    imp.save(tmp_path)
    loaded = VAEImputer.load(tmp_path)
    np.testing.assert_array_equal(loaded.transform(xm), imp.transform(xm))
    with pytest.raises(DataError, match="X has 3 features, but VAEImputer is expecting 5"):
        imp.transform(xm[:, :3])
    bad = xm.copy()
    bad[:, 2] = np.nan
    with pytest.raises(DataError, match="column 2 has no observed value"):
        VAEImputer(epochs=1).fit(bad)
    with pytest.raises(DataError, match="infinite"):
        VAEImputer(epochs=1).fit(np.where(np.isnan(xm), np.inf, xm))


def test_images_with_missing_pixels():
    rng = np.random.default_rng(0)
    imgs = np.zeros((300, 6, 6))
    for i in range(300):  # a bar in one of three rows: the rest of the row tells the missing
        imgs[i, 2 * (i % 3)] = 1.0
    holes = rng.random(imgs.shape) < 0.3
    x = np.where(holes, np.nan, imgs)
    out = VAEImputer(epochs=40, device="cpu", n_samples=100).fit(x).transform(x)
    assert out.shape == imgs.shape and 0 <= out.min() and out.max() <= 1
    assert np.abs(out - imgs)[holes].mean() < 0.2  # far better than the 1/3 mean fill


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_impute_fit_transform_cli(tmp_path, capsys):
    _, t, _ = mixed(200)  # numbers, integers, a category and a boolean with missing cells
    path = tmp_path / "t.csv"
    write_csv(t, path)
    run = tmp_path / "imp"
    code, _, err = run_cli(["impute", "fit", path, "--out", run, "--epochs", "3", "--device",
                            "cpu", "-q"], capsys)  # fmt: skip
    assert code == 0, err
    out = tmp_path / "filled.csv"
    code, _, err = run_cli(["impute", "transform", run, path, "-o", out], capsys)
    assert code == 0, err
    filled = read_csv(out)
    assert not any(filled.missing(n).any() for n in filled.names)
    assert filled.types == t.types
    seen = ~t.missing("level")
    assert list(filled.columns["level"][seen]) == list(t.columns["level"][seen])
    code, _, err = run_cli(["impute", "transform", run, path, "-o", out, "--n-draws", "2"],
                           capsys)  # fmt: skip
    assert code == 0 and (tmp_path / "filled-2.csv").exists()
    fewer = tmp_path / "fewer.csv"
    write_csv(Table({n: t.columns[n] for n in ("a", "b")}, {"a": "numeric", "b": "numeric"}),
              fewer)  # fmt: skip
    code, _, err = run_cli(["impute", "transform", run, fewer, "-o", out], capsys)
    assert code == 2 and f"{fewer}: the columns differ from those fitted (missing ['level', " in err
    write_csv(from_cells({"a": [f"id{i}" for i in range(300)], "b": ["1", ""] * 150}),
              tmp_path / "ids.csv")  # fmt: skip
    code, _, err = run_cli(["impute", "fit", tmp_path / "ids.csv", "--out", tmp_path / "o2"],
                           capsys)  # fmt: skip
    assert code == 2 and "'a' has 300 distinct values" in err


def mixed(n: int = 600, seed: int = 0, missing: float = 0.3):
    """A table driven by one factor: two numbers, a 3-level category (its tertile), a
    boolean (its sign) and an integer; 30% of cells missing at random."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    cols = {
        "a": np.round(f + 0.1 * rng.normal(size=n), 4),
        "b": np.round(-2 * f + 5 + 0.2 * rng.normal(size=n), 4),
        "level": np.where(f < -0.43, "lo", np.where(f > 0.43, "hi", "mid")),
        "pos": f > 0,
        "count": np.round(3 * f + 10),
    }
    cells = {k: [str(v) for v in c] for k, c in cols.items()}
    full = from_cells(cells, {"count": "integer"})
    holes = {k: rng.random(n) < missing for k in cells}
    for k in cells:
        cells[k] = ["" if h else v for v, h in zip(cells[k], holes[k], strict=True)]
    return full, from_cells(cells, {"count": "integer"}), holes


def test_mixed_table_imputation():
    full, t, holes = mixed()
    imp = VAEImputer(epochs=40, device="cpu", n_samples=200).fit(t)
    out = imp.transform(t)
    assert out.types == t.types and not any(out.missing(n).any() for n in out.names)
    for name in t.names:  # observed cells untouched
        seen = ~holes[name]
        assert list(out.columns[name][seen]) == list(full.columns[name][seen])
    # categorical and boolean cells: the right level far more often than the commonest one
    for name in ("level", "pos"):
        got, want = out.columns[name][holes[name]], full.columns[name][holes[name]]
        vals, counts = np.unique(full.columns[name][~holes[name]].astype(str), return_counts=True)
        mode_acc = np.mean(want.astype(str) == vals[np.argmax(counts)])
        acc = np.mean(got.astype(str) == want.astype(str))
        assert acc > 0.8 and acc > mode_acc + 0.3, (name, acc, mode_acc)
    # numbers: well below mean imputation's error; integers stay whole
    for name in ("a", "b", "count"):
        h, col = holes[name], full.columns[name]
        err = np.sqrt(np.mean((out.columns[name][h] - col[h]) ** 2))
        assert err < 0.5 * np.sqrt(np.mean((np.nanmean(t.columns[name]) - col[h]) ** 2))
    assert np.array_equal(out.columns["count"], np.round(out.columns["count"]))
    # multiple imputation: tables that agree on observed cells and differ on missing ones
    draws = imp.sample_imputations(t, n_draws=3)
    assert len(draws) == 3
    assert any(not np.array_equal(draws[0].columns["a"], d.columns["a"]) for d in draws[1:])
    assert all(np.array_equal(d.columns["b"][~holes["b"]], full.columns["b"][~holes["b"]])
               for d in draws)  # fmt: skip


def test_mixed_tables_bad_input_and_files(tmp_path):
    _, t, _ = mixed(200)
    imp = VAEImputer(epochs=2, device="cpu", n_samples=20).fit(t)
    imp.save(tmp_path)
    loaded = VAEImputer.load(tmp_path)
    a, b = loaded.transform(t), imp.transform(t)
    assert all(list(a.columns[n]) == list(b.columns[n]) for n in t.names)
    fewer = Table({n: t.columns[n] for n in t.names if n != "pos"},
                  {n: k for n, k in t.types.items() if n != "pos"})  # fmt: skip
    with pytest.raises(DataError, match=r"columns differ from those fitted \(missing \['pos'\]"):
        imp.transform(fewer)
    with pytest.raises(DataError, match="fitted on a table"):
        imp.transform(np.zeros((3, 5)))
    odd = from_cells({**{n: ["1.5"] for n in ("a", "b")}, "count": ["1"], "level": ["huge"],
                      "pos": ["true"]}, {"count": "integer"})  # fmt: skip
    with pytest.raises(DataError, match="'level': level 'huge' was not seen"):
        imp.transform(odd)
    with pytest.raises(ConfigError, match="student-t likelihood"):
        VAEImputer(likelihood="gaussian").fit(t)


def test_mixed_tables_from_pandas():
    pd = pytest.importorskip("pandas")
    _, t, _ = mixed(200)
    df = t.to_pandas()
    imp = VAEImputer(epochs=2, device="cpu", n_samples=20).fit(df)
    out = imp.transform(df)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == t.names
    assert not out.isna().any().any()


def test_imputed_table_cells_keep_to_the_observed_range_and_precision():
    """A column of values >= 0 got negative imputations; one of 4 decimals got 15 digits."""
    _, t, holes = mixed(200)
    t.columns["a"] = np.abs(t.columns["a"])  # observed values >= 0
    imp = VAEImputer(epochs=2, device="cpu", n_samples=20).fit(t)
    for out in (imp.transform(t), *imp.sample_imputations(t, n_draws=2)):
        for name in ("a", "b"):
            seen, got = t.columns[name][~holes[name]], out.columns[name][holes[name]]
            assert seen.min() <= got.min() and got.max() <= seen.max(), name
            np.testing.assert_array_equal(np.round(got, 4), got)
        np.testing.assert_array_equal(out.columns["a"][~holes["a"]], t.columns["a"][~holes["a"]])
