"""The two-layer hierarchical VAE: its bound, its layers and ladder inference."""

from __future__ import annotations

import pytest
import torch

from conftest import stripes
from vaekit.data.base import Split
from vaekit.distributions import DiagonalNormal
from vaekit.errors import ConfigError
from vaekit.eval import iw_log_likelihood
from vaekit.models import create_model
from vaekit.models.hvae import precision_weighted

KW = dict(input_shape=(1, 8, 8), latent_dim=4, hidden=[32], top_hidden=[16], top_latent_dim=2)


def test_precision_weighted_is_the_normalised_product():
    g = torch.Generator().manual_seed(0)
    q = DiagonalNormal(torch.randn(1, 3, generator=g), torch.randn(1, 3, generator=g))
    p = DiagonalNormal(torch.randn(1, 3, generator=g), torch.randn(1, 3, generator=g))
    r = precision_weighted(q, p)
    z = torch.randn(5, 1, 3, generator=g)
    # log q(z) + log p(z) - log r(z) does not depend on z
    gap = q.log_prob(z) + p.log_prob(z) - r.log_prob(z)
    torch.testing.assert_close(gap, gap[0].expand_as(gap), atol=1e-5, rtol=0)


def test_the_kl_is_the_sum_of_both_layers():
    torch.manual_seed(0)
    x, _ = stripes(16)
    for inference in ("bottom-up", "ladder"):
        model = create_model("hvae", inference=inference, **KW)
        out = model.loss(x)
        torch.testing.assert_close(out.kl, out.extra["kl_z1"] + out.extra["kl_z2"])
        assert out.kl_per_dim.shape == (4,)
        torch.testing.assert_close(out.total, out.reconstruction + out.kl)


def test_l1_is_the_elbo_and_lk_grows_with_k():
    torch.manual_seed(0)
    x, _ = stripes(64)
    model = create_model("hvae", **KW).eval()
    with torch.no_grad():
        torch.manual_seed(1)
        elbo = -torch.stack([model.loss(x).total for _ in range(200)]).mean()
        torch.manual_seed(2)
        l1 = torch.stack([model.log_weights(x, k=1).mean() for _ in range(200)]).mean()
    assert abs(float(elbo - l1)) < 0.5
    split = Split(x)
    bounds = [iw_log_likelihood(model, split, k=k, seed=0).mean().item() for k in (1, 10, 100)]
    assert bounds[0] < bounds[1] < bounds[2]


def test_iwae_objective_trains_on_the_bound():
    torch.manual_seed(0)
    x, _ = stripes(32)
    model = create_model("hvae", iw_samples=5, **KW)
    out = model.loss(x)
    assert torch.isclose(out.total, -out.extra["iw_bound"])
    out.total.backward()
    assert all(p.grad is not None for p in model.top_posterior.parameters())
    # on average L_5 is the tighter bound: -L_5 below the negative ELBO of the same model
    elbo_model = create_model("hvae", **KW)
    elbo_model.load_state_dict(model.state_dict())
    with torch.no_grad():
        l5 = torch.stack([model.loss(x).total for _ in range(100)]).mean()
        l1 = torch.stack([elbo_model.loss(x).total for _ in range(100)]).mean()
    assert l5 < l1


def test_kl_per_dim_from_the_posterior_matches_the_loss_in_expectation():
    torch.manual_seed(0)
    x, _ = stripes(32)
    model = create_model("hvae", **KW).eval()
    with torch.no_grad():
        q = model.encode(x)
        from_q = torch.stack([model.kl_per_dim(q).sum(1).mean() for _ in range(400)]).mean()
        from_loss = torch.stack([model.loss(x).kl for _ in range(400)]).mean()
    assert model.kl_per_dim(q).shape == (32, 4)
    assert abs(float(from_q - from_loss)) < 0.05 * float(from_loss.abs()) + 0.05
    ladder = create_model("hvae", inference="ladder", **KW)
    with pytest.raises(ConfigError, match="needs the inputs"):
        ladder.kl_per_dim(ladder.encode(x))


@pytest.mark.parametrize("inference", ["bottom-up", "ladder"])
def test_active_units_per_layer_see_a_dead_top_layer(inference):
    from vaekit.eval.latent import layer_active_units

    x, y = stripes(300)
    model = create_model("hvae", input_shape=(1, 8, 8), hidden=[32], latent_dim=6,
                         top_latent_dim=4, top_hidden=[16], inference=inference)  # fmt: skip
    split = Split(x, y)
    alive = layer_active_units(model, split, batch_size=64)
    assert set(alive) == {"z1", "z2"} and 0 <= alive["z2"] <= 4 and alive["z1"] <= 6
    with torch.no_grad():  # make z1's mean vary strongly with x and z2's mean constant
        model.posterior.linear.weight[:6].mul_(50.0)  # rows of the mean of q(z1|x)
        model.top_posterior.linear.weight[:4].zero_()  # rows of the mean of q(z2|.)
    dead = layer_active_units(model, split, batch_size=64)
    assert dead["z2"] == 0 and dead["z1"] == 6
    # the caller's random state is kept
    state = torch.get_rng_state()
    layer_active_units(model, split, batch_size=64)
    assert torch.equal(state, torch.get_rng_state())
    assert create_model("vae", input_shape=(1, 8, 8), hidden=[8], latent_dim=2).layer_means(x) == {}


def test_evaluate_and_epoch_log_report_each_layer(stripes_file, tmp_path):
    import json

    import vaekit

    cfg = vaekit.Config()
    cfg.model.name = "hvae"
    cfg.data.dataset = str(stripes_file)
    cfg.model.hidden = [32]
    cfg.model.latent_dim = 6
    cfg.model.top_latent_dim = 4
    cfg.model.top_hidden = [16]
    cfg.train.epochs = 2
    cfg.out = str(tmp_path / "run")
    run = vaekit.fit(cfg, quiet=True)
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    for key in ("active_units_z1", "active_units_z2", "val_kl_z1", "val_kl_z2", "train_kl_z1"):
        assert key in record, key
    assert record["val_kl_z1"] + record["val_kl_z2"] == pytest.approx(record["val_kl"], rel=1e-5)
    res = vaekit.evaluate_run(run, "test", ["elbo", "latent"])
    assert res["kl_z1"] + res["kl_z2"] == pytest.approx(res["kl"], rel=1e-5)
    assert 0 <= res["active_units_z2"] <= 4 and 0 <= res["active_units_z1"] <= 6
    assert res["active_units_z1"] == res["active_units"]  # z1 is the code encode() gives
