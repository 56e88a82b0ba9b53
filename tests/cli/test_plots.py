"""Figures: the content behind each plot, non-blank PNGs, the CLI and the HTML report."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
import torch

import vaekit
import vaekit.chem.plot_kinds  # noqa: F401 (registers the molecule figures)
from conftest import train_small_run
from vaekit.cli.app import main
from vaekit.eval import posterior_stats
from vaekit.plots import PLOT_KINDS, PlotRun, applicable_kinds, make_plot, make_report
from vaekit.plots.codes import (
    attribute_vector,
    kl_order,
    manifold_codes,
    normal_grid_values,
    pca_2d,
    slerp,
    traversal_codes,
)
from vaekit.plots.image_kinds import (
    arithmetic_data,
    interpolation_data,
    manifold_data,
    traversal_data,
)
from vaekit.plots.stats_kinds import kl_data, latent_map_data


@pytest.fixture(scope="module")
def runs(mnist_subset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("plot-runs")
    return {
        "2d": train_small_run(mnist_subset, root / "d2", True, latent_dim=2),
        "6d": train_small_run(mnist_subset, root / "d6", True, latent_dim=6),
        "cvae": train_small_run(mnist_subset, root / "cvae", True, latent_dim=2,
                                name="cvae"),
    }


@pytest.fixture(scope="module")
def run2(runs: dict[str, Path]) -> PlotRun:
    return PlotRun.open(runs["2d"])


@pytest.fixture(scope="module")
def run6(runs: dict[str, Path]) -> PlotRun:
    return PlotRun.open(runs["6d"])


def _pixel_variance(png: Path) -> float:
    import matplotlib.image

    img = matplotlib.image.imread(png)[..., :3]
    return float(img.var())


# --------------------------------------------------------------------- latent codes
def test_normal_grid_is_the_inverse_cdf_of_equal_mass_points():
    values = normal_grid_values(7)
    expected = [NormalDist().inv_cdf((i + 0.5) / 7) for i in range(7)]
    np.testing.assert_allclose(values.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(values.numpy(), -values.flip(0).numpy(), atol=1e-6)


def test_manifold_codes_layout():
    base = torch.arange(4, dtype=torch.float32)
    z, values = manifold_codes(5, 4, (1, 3), base)
    grid = z.view(5, 5, 4)
    # columns sweep dims[0] left to right; rows sweep dims[1] from the top (largest) down
    torch.testing.assert_close(grid[2, :, 1], values)
    torch.testing.assert_close(grid[:, 2, 3], values.flip(0))
    assert torch.all(grid[..., 0] == 0) and torch.all(grid[..., 2] == 2)  # others at base
    with pytest.raises(vaekit.ConfigError, match="two different"):
        manifold_codes(5, 4, (1, 1))


def test_slerp_keeps_the_norm_and_hits_the_endpoints():
    g = torch.Generator().manual_seed(0)
    za = torch.randn(8, generator=g)
    zb = torch.randn(8, generator=g)
    zb = zb / zb.norm() * za.norm()
    path = slerp(za, zb, 7)
    torch.testing.assert_close(path.norm(dim=1), za.norm().expand(7), rtol=1e-5, atol=1e-5)
    assert torch.equal(path[0], za) and torch.equal(path[-1], zb)
    # parallel codes fall back to the straight line
    torch.testing.assert_close(slerp(za, 2 * za, 3)[1], 1.5 * za)


def test_traversal_codes_change_one_dimension_per_row():
    base = torch.tensor([0.5, -1.0, 2.0])
    values = torch.linspace(-3, 3, 4)
    z = traversal_codes(base, [2, 0], values).view(2, 4, 3)
    torch.testing.assert_close(z[0, :, 2], values)
    torch.testing.assert_close(z[1, :, 0], values)
    assert torch.all(z[0, :, :2] == base[:2]) and torch.all(z[1, :, 1:] == base[1:])


def test_kl_order_and_attribute_vector():
    assert kl_order(torch.tensor([0.1, 3.0, 0.0, 3.0])) == [1, 3, 0, 2]
    means = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 6.0]])
    labels = torch.tensor([0, 0, 1, 1])
    torch.testing.assert_close(attribute_vector(means, labels, 1, 0), torch.tensor([-1.0, 5.0]))
    with pytest.raises(vaekit.ConfigError, match="no examples of class 7"):
        attribute_vector(means, labels, 7, 0)


def test_pca_finds_the_plane_of_the_data():
    g = torch.Generator().manual_seed(0)
    plane = torch.randn(500, 2, generator=g) * torch.tensor([3.0, 1.0])
    basis = torch.linalg.qr(torch.randn(6, 2, generator=g))[0]  # (6, 2) orthonormal
    x = plane @ basis.T + 5.0
    proj, frac = pca_2d(x)
    assert frac[0] + frac[1] == pytest.approx(1.0, abs=1e-6) and frac[0] > 0.85
    # distances within the plane are preserved
    d_proj = torch.cdist(proj[:50].double(), proj[:50].double())
    torch.testing.assert_close(d_proj, torch.cdist(plane[:50].double(), plane[:50].double()),
                               rtol=1e-4, atol=1e-4)  # fmt: skip


# --------------------------------------------------------------------- content of figures
def test_manifold_decodes_the_normal_grid(run2: PlotRun):
    m = manifold_data(run2, n=6)
    expected = [NormalDist().inv_cdf((i + 0.5) / 6) for i in range(6)]
    grid = m["z"].view(6, 6, 2)
    np.testing.assert_allclose(grid[0, :, 0].numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(grid[:, 0, 1].numpy(), expected[::-1], atol=1e-6)
    with torch.no_grad():
        direct = run2.model.decode(m["z"]).numpy()
    np.testing.assert_allclose(m["images"], direct.reshape(m["images"].shape), atol=1e-6)


def test_manifold_of_more_dims_uses_the_two_most_active(run6: PlotRun):
    m = manifold_data(run6, n=4)
    top2 = sorted(kl_order(run6.kl_per_dim())[:2])
    assert m["dims"] == tuple(top2)
    others = [d for d in range(6) if d not in top2]
    assert torch.all(m["z"][:, others] == 0)


@pytest.mark.parametrize("spherical", [False, True])
def test_interpolation_endpoints_are_the_endpoint_reconstructions(run2: PlotRun, spherical):
    d = interpolation_data(run2, indices=(3, 11), steps=6, spherical=spherical)
    row = d["rows"][0]
    x = run2.inputs()
    with torch.no_grad():
        recon = run2.model.decode(run2.model.encode(x[[3, 11]]).mean).numpy()
    np.testing.assert_allclose(row[0], recon[0], atol=1e-5)
    np.testing.assert_allclose(row[-1], recon[1], atol=1e-5)
    assert not np.allclose(row[2], row[0])


def test_interpolation_by_class_pairs_examples_of_those_classes(run2: PlotRun):
    d = interpolation_data(run2, source="3", target="8", n=2)
    y = run2.labels()
    assert len(d["pairs"]) == len(d["rows"]) == 2
    assert all(int(y[i]) == 3 and int(y[j]) == 8 for i, j in d["pairs"])
    with pytest.raises(vaekit.ConfigError, match="unknown class"):
        interpolation_data(run2, source="three", target="8")


def test_traversal_rows_follow_kl_order(run6: PlotRun):
    d = traversal_data(run6, dims=6, steps=5)
    kl = run6.kl_per_dim()
    assert d["order"] == sorted(range(6), key=lambda k: -float(kl[k]))
    ranked = [float(kl[k]) for k in d["order"]]
    assert ranked == sorted(ranked, reverse=True)
    z = d["z"].view(6, 5, 6)
    torch.testing.assert_close(z[0, :, d["order"][0]], torch.linspace(-3, 3, 5))
    # around an example: the other dims hold that example's posterior mean
    d7 = traversal_data(run6, dims=2, steps=3, index=7)
    with torch.no_grad():
        mean7 = run6.model.encode(run6.inputs()[7:8]).mean[0]
    torch.testing.assert_close(d7["base"], mean7)
    first = d7["order"][0]
    keep = [k for k in range(6) if k != first]
    torch.testing.assert_close(d7["z"][0, keep], mean7[keep])


def test_kl_per_dim_is_the_closed_form_mean(run6: PlotRun):
    means, logvars, _ = run6.posterior()
    closed = 0.5 * (means**2 + logvars.exp() - 1 - logvars)
    d = kl_data(run6)
    torch.testing.assert_close(d["kl"], closed.mean(0), rtol=1e-4, atol=1e-5)
    assert d["active_units"] == int((means.var(0, unbiased=False) > 0.01).sum())
    assert d["active"].sum() == d["active_units"] and not d["collapsed"]


def test_arithmetic_uses_the_class_means(run2: PlotRun):
    d = arithmetic_data(run2, "4", "9", n=3)
    means, _, labels = posterior_stats(run2.model, run2.data.test)
    expected = means[labels == 9].mean(0) - means[labels == 4].mean(0)
    torch.testing.assert_close(d["vector"], expected, rtol=1e-5, atol=1e-6)
    assert all(int(labels[i]) == 4 for i in d["indices"])
    with torch.no_grad():
        shifted = run2.model.decode(means[d["indices"]] + expected).numpy()
    np.testing.assert_allclose(d["shifted"], shifted.reshape(d["shifted"].shape), atol=1e-5)


def test_latent_map_of_2d_is_the_means_and_above_is_pca(run2: PlotRun, run6: PlotRun):
    d2 = latent_map_data(run2)
    torch.testing.assert_close(d2["points"], run2.posterior()[0][: len(d2["points"])])
    d6 = latent_map_data(run6, n=150)
    assert d6["points"].shape == (150, 2) and d6["axes"][0].startswith("PC1")
    with pytest.raises(vaekit.ConfigError, match="unknown projection"):
        latent_map_data(run6, method="isomap")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        with pytest.raises(vaekit.ConfigError, match="needs scikit-learn"):
            latent_map_data(run6, method="tsne", n=100)
    else:
        assert latent_map_data(run6, method="tsne", n=100)["points"].shape == (100, 2)


# --------------------------------------------------------------------- PNGs
@pytest.mark.parametrize("which", ["2d", "6d", "cvae"])
def test_every_figure_is_drawn_and_not_blank(runs, which, tmp_path):
    run = PlotRun.open(runs[which])
    kinds = [k.name for k in applicable_kinds(run)]
    molecule_kinds = {k.name for k in PLOT_KINDS.values() if k.molecules}
    assert molecule_kinds == {"molecules", "property-map", "properties"}  # not for images
    expected = set(PLOT_KINDS) - molecule_kinds - ({"arithmetic"} if which == "cvae" else set())
    assert set(kinds) == expected
    for kind in kinds:
        options = {"source": "4", "target": "9"} if kind == "arithmetic" else {}
        png = make_plot(run, kind, tmp_path / f"{kind}.png", **options)
        assert _pixel_variance(png) > 1e-3, kind


def test_option_a_kind_does_not_take_is_an_error(run2: PlotRun, tmp_path):
    with pytest.raises(vaekit.ConfigError, match="does not take --steps"):
        make_plot(run2, "samples", tmp_path / "s.png", steps=3)
    with pytest.raises(vaekit.ConfigError, match="unknown plot kind"):
        make_plot(run2, "histogram", tmp_path / "s.png")


# --------------------------------------------------------------------- CLI
def test_plot_cli_writes_into_the_run(runs, capsys):
    with pytest.raises(SystemExit) as e:
        main(["plot", str(runs["2d"]), "interpolation", "--from", "3", "--to", "8",
              "--steps", "5", "--spherical", "--device", "cpu"])  # fmt: skip
    assert e.value.code == 0
    png = runs["2d"] / "plots" / "interpolation.png"
    assert capsys.readouterr().out.strip() == str(png) and _pixel_variance(png) > 1e-3
    with pytest.raises(SystemExit) as e:
        main(["plot", str(runs["2d"]), "traversal", "--from", "3"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not take --from" in err


def test_image_plots_refuse_tabular_runs(tmp_path, capsys):
    from conftest import stripes

    x, y = stripes(200)
    data = np.concatenate([x.reshape(200, -1).numpy(), y.numpy()[:, None]], 1)
    np.savetxt(tmp_path / "t.csv", data, delimiter=",")
    cfg = vaekit.Config()
    cfg.data.dataset = str(tmp_path / "t.csv")
    cfg.data.label_column = 64
    cfg.model.hidden = [16]
    cfg.train.epochs = 1
    cfg.out = str(tmp_path / "run")
    run = vaekit.fit(cfg, quiet=True)
    with pytest.raises(SystemExit):
        main(["plot", str(run), "manifold"])
    err = capsys.readouterr().err
    assert "the 'manifold' plot draws images; this run's data are rows of shape (64,)" in err
    assert "The plots of this run: curves, latent-map, kl" in err
    pr = PlotRun.open(run)
    assert {k.name for k in applicable_kinds(pr)} == {"curves", "latent-map", "kl"}


# --------------------------------------------------------------------- report
def _data_uris(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_embeds_every_figure_and_the_numbers(runs):
    run = runs["2d"]
    vaekit.evaluate_run(run, "test", ["elbo", "latent"])
    path = make_report(run)
    html = path.read_text()
    pngs = _data_uris(html)
    image_kinds = [k for k in PLOT_KINDS.values() if not k.molecules]
    assert len(pngs) == len(image_kinds) and all(p.startswith(b"\x89PNG\r\n") for p in pngs)
    evaluation = json.loads((run / "evaluation.json").read_text())["test"]
    assert f"{evaluation['loss']:.4g}" in html and "latent_dim: 2" in html
    # nothing fetched from elsewhere (the embedded images' base64 may spell anything)
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", html).replace("http-equiv", "")
    assert "<script" not in text and "http" not in text


CHECK_SCRIPT = """<script>
window.__errors = [];
window.addEventListener('error',
  e => window.__errors.push(String(e.message || e.target.src)), true);
const _ce = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); _ce(...a); };
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const out = document.createElement('pre'); out.id = 'vaekit-check';
  out.textContent = JSON.stringify({images: imgs.length,
    decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length, errors: window.__errors});
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.e2e  # a browser
@pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium not installed (Debian: apt-get install chromium); CI installs it",
)
def test_report_opens_in_headless_chromium(runs, tmp_path):
    report = make_report(runs["cvae"], tmp_path / "report.html")
    checked = tmp_path / "checked.html"
    checked.write_text(report.read_text().replace("<head>", "<head>" + CHECK_SCRIPT, 1))
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=10000", "--dump-dom", checked.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="vaekit-check">(.*?)</pre>', proc.stdout)
    assert found, f"chromium produced no check output: {proc.stderr[-2000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"'))
    assert result["images"] == len(applicable_kinds(PlotRun.open(runs["cvae"])))
    assert result["decoded"] == result["images"] and result["errors"] == []
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []


# --------------------------------------------------------------------- sweeps
def test_parse_param():
    from vaekit.train import parse_param

    assert parse_param("beta=1,2,4") == ("beta", ["1", "2", "4"])
    assert parse_param("hidden=512,256;64") == ("hidden", ["512,256", "64"])
    for bad in ("beta", "beta=", "beta=1,1"):
        with pytest.raises(vaekit.ConfigError):
            parse_param(bad)


def test_sweep_cli_trains_one_run_per_value_and_compares(mnist_subset, tmp_path, capsys):
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--param", "beta=1,8", "--out", str(out), "--data-dir", str(mnist_subset),
              "--hidden", "32", "--latent-dim", "4", "--epochs", "1", "-q"])  # fmt: skip
    assert e.value.code == 0, capsys.readouterr().err
    summary = json.loads((out / "sweep.json").read_text())
    rows = summary["runs"]
    assert summary["param"] == "beta" and [r["beta"] for r in rows] == [1.0, 8.0]
    for r in rows:
        cfg = vaekit.Config.from_yaml(Path(r["run"]) / "config.yaml")
        assert cfg.model.beta == r["beta"] and cfg.train.epochs == 1
        assert cfg.model.latent_dim == 4 and Path(r["run"]).parent == out
        ev = json.loads((Path(r["run"]) / "evaluation.json").read_text())["test"]
        assert r["loss"] == ev["loss"] and r["active_units"] == ev["active_units"]
    assert rows[1]["kl"] < rows[0]["kl"]  # a heavier KL weight buys a smaller KL
    table = (out / "sweep.md").read_text()
    assert table.count("\n| ") == 4 and "| 8.0 | 1 |" in table and "active units" in table
    assert _pixel_variance(out / "sweep.png") > 1e-3


def test_sweep_checks_every_value_before_training(tmp_path):
    cfg = vaekit.Config()
    with pytest.raises(vaekit.ConfigError, match="kl_schedule"):
        vaekit.sweep(cfg, "kl-schedule", ["constant", "sometimes"], tmp_path / "s")
    assert not (tmp_path / "s").exists()
    with pytest.raises(vaekit.ConfigError, match="unknown option"):
        vaekit.sweep(cfg, "betta", ["1"], tmp_path / "s")


@pytest.mark.parametrize("name", ["hvae", "vqvae", "factorvae", "btcvae"])
def test_report_of_every_model_family(name, mnist_subset, tmp_path):
    cfg = vaekit.Config()
    cfg.model.name = name
    cfg.data.data_dir = str(mnist_subset)
    cfg.model.hidden = [32]
    cfg.model.latent_dim = 4
    cfg.model.channels = [8, 8]
    cfg.train.epochs = 1
    cfg.out = str(tmp_path / name)
    run = vaekit.fit(cfg, quiet=True)
    html = make_report(run).read_text()
    pngs = _data_uris(html)
    assert len(pngs) == len(applicable_kinds(PlotRun.open(run))) >= 8
    for png in (run / "plots").glob("*.png"):
        assert _pixel_variance(png) > 1e-4, png.name
