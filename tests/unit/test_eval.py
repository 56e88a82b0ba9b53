from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import vaekit
from conftest import stripes
from vaekit.data import prepare_data
from vaekit.data.base import RawData
from vaekit.errors import ConfigError
from vaekit.eval import (
    EvalContext,
    active_units,
    elbo_terms,
    evaluate_run,
    frechet_distance,
    iw_log_likelihood,
    logistic_probe,
    mutual_information,
)
from vaekit.eval.metrics import iw_metric
from vaekit.models import create_model


def trained_stripes_model(steps: int = 300, name: str = "vae", **kw):
    torch.manual_seed(0)
    x, y = stripes(512)
    model = create_model(name, input_shape=(1, 8, 8), latent_dim=4, hidden=[64], **kw)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        idx = torch.randint(0, 512, (64,))
        loss = model.loss(torch.bernoulli(x[idx])).total
        opt.zero_grad()
        loss.backward()
        opt.step()
    data = prepare_data(RawData("s", x, y, x[:128], y[:128]), val_size=0, binarize="static")
    return model.eval(), data


def test_l1_equals_the_elbo_in_expectation():
    model, data = trained_stripes_model()
    x = data.test.x[:16]
    torch.manual_seed(1)
    log_w, log_px = model.log_weights(x, k=20000, return_log_px=True)  # (k, 16)
    elbo = log_px.mean(0) - model.prior.kl_per_dim(model.encode(x)).sum(1)
    assert torch.allclose(log_w.mean(0), elbo, atol=0.1)
    # the split-level estimators agree too
    l1 = iw_log_likelihood(model, data.test, k=1, seed=3).mean()
    assert float(l1) == pytest.approx(-elbo_terms(model, data.test, seed=4)["loss"], abs=0.5)


def test_lk_is_non_decreasing_in_k():
    model, data = trained_stripes_model()
    bounds = [
        float(iw_log_likelihood(model, data.test, k=k, seed=0).mean()) for k in (1, 5, 50, 500)
    ]
    assert all(b >= a - 0.05 for a, b in zip(bounds[:-1], bounds[1:], strict=True)), bounds
    assert bounds[-1] > bounds[0] + 0.5  # a real gain, not noise


def test_l5000_matches_a_linear_gaussian_closed_form():
    """p(z) = N(0, I), p(x|z) = N(Wz + b, s^2 I): log p(x) = log N(x; b, WW^T + s^2 I)."""
    torch.manual_seed(0)
    dx, dz, s = 6, 2, 0.5
    q_, _ = torch.linalg.qr(torch.randn(dx, dz))
    w = q_ * torch.tensor([1.5, 0.8])  # orthogonal columns: the true posterior is diagonal
    b = torch.randn(dx)
    model = create_model(
        "vae", input_shape=(dx,), latent_dim=dz, hidden=[], likelihood="gaussian", sigma=s
    )
    post_var = 1.0 / (1.0 + (w**2).sum(0) / s**2)  # (dz,)
    a = post_var[:, None] * w.T / s**2  # posterior mean = a (x - b)
    with torch.no_grad():
        model.decoder.output_layer.weight.copy_(w)
        model.decoder.output_layer.bias.copy_(b)
        head = model.posterior.linear
        head.weight.zero_()
        head.weight[:dz] = a
        head.bias[:dz] = -a @ b
        head.bias[dz:] = post_var.log() + 0.7  # a deliberately too-wide posterior
    cov = w @ w.T + s**2 * torch.eye(dx)
    p_x = torch.distributions.MultivariateNormal(b, cov)
    x = p_x.sample((200,))
    truth = p_x.log_prob(x).mean()
    data = prepare_data(RawData("lin", x, None, x, None), val_size=0)
    l5000 = iw_log_likelihood(model, data.test, k=5000, seed=0).mean()
    l1 = iw_log_likelihood(model, data.test, k=1, seed=0).mean()
    assert abs(float(l5000 - truth)) < 0.05
    assert float(truth - l1) > 0.1  # the ELBO is a strictly looser bound here


def test_memory_cap_changes_chunking_not_the_answer():
    model, data = trained_stripes_model()
    a = iw_log_likelihood(model, data.test, k=300, memory_mb=64)
    b = iw_log_likelihood(model, data.test, k=300, memory_mb=0.05)  # many small chunks
    # different draws, the same estimate (per example, IS estimates at k = 300 still vary)
    assert float(a.mean()) == pytest.approx(float(b.mean()), abs=0.2)
    assert a.shape == b.shape == (128,)


def test_bits_per_dim_conversion():
    model, data = trained_stripes_model(steps=50)
    ctx = EvalContext(model, data, "test", iw_samples=20)
    r = iw_metric(ctx)
    assert r["nll_bits_per_dim"] == pytest.approx(r["nll"] / (64 * math.log(2)))
    e = elbo_terms(model, data.test)
    assert e["bits_per_dim"] == pytest.approx(e["loss"] / (64 * math.log(2)))


def test_active_units_on_a_constructed_encoder():
    model = create_model("vae", input_shape=(6,), latent_dim=4, hidden=[], likelihood="gaussian")
    with torch.no_grad():
        head = model.posterior.linear
        head.weight.zero_()
        head.weight[0, 0] = 1.0  # dim 0 follows x_0 (variance 1)
        head.weight[1, 1] = 0.5  # dim 1 follows x_1 (variance 0.25)
        head.weight[2, 2] = 0.05  # dim 2 barely moves (variance 0.0025 < 0.01)
    x = torch.randn(4000, 6)
    means = model.encode(x).mean.detach()
    count, variances = active_units(means)
    assert count == 2
    assert variances[0] == pytest.approx(1.0, rel=0.1) and variances[3] == 0.0


def test_mutual_information_bounds():
    n, d = 5000, 3
    # posteriors equal to the prior carry no information
    assert abs(mutual_information(torch.zeros(n, d), torch.zeros(n, d))) < 0.05
    # tiny, well-separated posteriors identify the input: I -> log N
    means = torch.randn(n, d) * 10
    mi = mutual_information(means, torch.full((n, d), -12.0))
    assert mi == pytest.approx(math.log(n), abs=0.06)


def test_frechet_distance_properties():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 5, generator=g) @ torch.randn(5, 5, generator=g)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = torch.tensor([1.0, 0.0, 2.0, 0.0, 0.0])
    assert frechet_distance(a, a + shift) == pytest.approx(5.0, rel=1e-6)
    assert frechet_distance(a, a + 2 * shift) > frechet_distance(a, a + shift)
    # b = 2a: ||mu||^2 + Tr(S + 4S - 2 * 2S) = ||mu||^2 + Tr(S)
    expected = float((a.mean(0) ** 2).sum() + torch.trace(torch.cov(a.T)))
    assert frechet_distance(a, 2 * a) == pytest.approx(expected, rel=1e-6)


def test_logistic_probe_accuracy():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (600,), generator=g)
    x = torch.randn(600, 4, generator=g) * 0.3 + torch.nn.functional.one_hot(y, 4)[:, :4] * 3
    assert logistic_probe(x[:400], y[:400], x[400:], y[400:]) > 0.97
    noise = torch.randn(600, 4, generator=g)
    assert logistic_probe(noise[:400], y[:400], noise[400:], y[400:]) < 0.5


def test_iwae_objective():
    x, _ = stripes(32)
    iwae1, _ = trained_stripes_model(name="iwae", iw_samples=1)
    vae = create_model("vae", input_shape=(1, 8, 8), latent_dim=4, hidden=[64])
    vae.load_state_dict(iwae1.state_dict())
    torch.manual_seed(1)
    with torch.no_grad():
        a = torch.stack([iwae1.loss(x).total for _ in range(400)]).mean()
        b = torch.stack([vae.loss(x).total for _ in range(400)]).mean()
        assert float(a) == pytest.approx(float(b), abs=0.15)  # k = 1 is the VAE in expectation
        iwae50 = create_model(
            "iwae", input_shape=(1, 8, 8), latent_dim=4, hidden=[64], iw_samples=50
        )
        iwae50.load_state_dict(iwae1.state_dict())
        c = torch.stack([iwae50.loss(x).total for _ in range(50)]).mean()
        assert float(c) < float(b) - 0.2  # the 50-sample bound is tighter
    with pytest.raises(ConfigError):
        create_model("iwae", iw_samples=0)


@pytest.fixture
def stripes_run(tmp_path):
    x, y = stripes(256)
    np.savez(tmp_path / "s.npz", x=x[:, 0].numpy(), y=y.numpy(), x_test=x[:64, 0].numpy(),
             y_test=y[:64].numpy())  # fmt: skip
    cfg = vaekit.Config()
    cfg.data.dataset = str(tmp_path / "s.npz")
    cfg.model.hidden, cfg.model.latent_dim = [32], 3
    cfg.train.epochs, cfg.train.device = 4, "cpu"
    cfg.out = str(tmp_path / "run")
    return vaekit.fit(cfg, quiet=True)


def test_evaluate_run_writes_every_default_metric(stripes_run):
    r = evaluate_run(stripes_run, iw_samples=100)
    for key in ("loss", "kl", "kl_per_dim", "recon_bce", "recon_mse", "active_units",
                "mutual_info", "probe_accuracy", "nll", "nll_bits_per_dim"):  # fmt: skip
        assert key in r, key
    assert r["nll"] <= r["loss"] + 0.2  # -L_100 below -L_1 (up to sampling noise)
    saved = json.loads((stripes_run / "evaluation.json").read_text())["test"]
    assert saved["nll"] == r["nll"] and saved["iw_k"] == 100
    with pytest.raises(ConfigError, match="unknown metric 'fid'"):
        evaluate_run(stripes_run, metrics=["fid"])


def test_collapse_warning_once_in_log_and_metrics(tmp_path, capsys):
    x, y = stripes(256)
    np.savez(tmp_path / "s.npz", x=x[:, 0].numpy())
    cfg = vaekit.Config()
    cfg.data.dataset = str(tmp_path / "s.npz")
    cfg.model.hidden, cfg.model.latent_dim, cfg.model.beta = [32], 3, 200.0
    cfg.train.epochs, cfg.train.device, cfg.train.lr = 6, "cpu", 1e-2
    cfg.out = str(tmp_path / "collapse")
    run = vaekit.fit(cfg, quiet=True)
    rows = [json.loads(r) for r in (run / "metrics.jsonl").read_text().splitlines()]
    warned = [r for r in rows if "warning" in r]
    assert len(warned) == 1 and "posterior collapse" in warned[0]["warning"]
    assert all("active_units" in r for r in rows)
    assert "warning: posterior collapse" in capsys.readouterr().err
