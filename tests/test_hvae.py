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
