"""The mixed tabular likelihood against torch.distributions, on a transformer's layout."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch.distributions import Categorical, Normal

from vaekit.data.table import from_cells
from vaekit.data.table_transform import TableTransformer
from vaekit.distributions.tabular import MixedTabular
from vaekit.errors import ConfigError

SPANS = [("tanh", 1), ("softmax", 3), ("softmax", 2), ("tanh", 1), ("softmax", 4)]


def one_hot_batch(b: int, gen: torch.Generator) -> torch.Tensor:
    """Data in the SPANS layout: values in (-1, 1), one slot set per block."""
    cols = []
    for activation, size in SPANS:
        if activation == "tanh":
            cols.append(torch.rand(b, 1, generator=gen) * 1.8 - 0.9)
        else:
            idx = torch.randint(size, (b,), generator=gen)
            cols.append(torch.nn.functional.one_hot(idx, size).float())
    return torch.cat(cols, 1)


def test_log_prob_is_the_sum_of_normals_and_categoricals():
    gen = torch.Generator().manual_seed(0)
    lik = MixedTabular(SPANS, sigma=0.3)
    with torch.no_grad():
        lik.log_sigma.copy_(torch.tensor([math.log(0.3), math.log(0.05)]))
    params, x = torch.randn(8, 11, generator=gen), one_hot_batch(8, gen)
    want = torch.zeros(8)
    at, t = 0, 0
    for activation, size in SPANS:
        if activation == "tanh":
            sigma = [0.3, 0.05][t]
            want += Normal(torch.tanh(params[:, at]), sigma).log_prob(x[:, at])
            t += 1
        else:
            want += Categorical(logits=params[:, at : at + size]).log_prob(
                x[:, at : at + size].argmax(1)
            )
        at += size
    torch.testing.assert_close(lik.log_prob(params, x), want)
    # the gradients too (the per-block max that keeps the exponentials finite is held
    # constant; the value does not depend on it, so neither does the gradient)
    p1, p2 = params.clone().requires_grad_(), params.clone().requires_grad_()
    lik.log_prob(p1, x).sum().backward()
    ref, at = torch.zeros(8), 0
    for activation, size in SPANS:
        if activation == "softmax":
            ref = ref + Categorical(logits=p2[:, at : at + size]).log_prob(
                x[:, at : at + size].argmax(1))
        at += size
    ref.sum().backward()
    softmax_cols = [i for i in range(11) if i not in (0, 6)]  # 0 and 6: the tanh spans
    torch.testing.assert_close(p1.grad[:, softmax_cols], p2.grad[:, softmax_cols])
    # leading sample dimensions broadcast (as in importance sampling)
    stacked = lik.log_prob(params.expand(3, 8, 11), x)
    torch.testing.assert_close(stacked, want.expand(3, 8))


def test_categorical_part_is_normalized():
    lik = MixedTabular([("softmax", 4), ("softmax", 3)])
    params = torch.randn(1, 7, generator=torch.Generator().manual_seed(1))
    total = 0.0
    for i, j in itertools.product(range(4), range(3)):
        x = torch.zeros(1, 7)
        x[0, i], x[0, 4 + j] = 1.0, 1.0
        total += lik.log_prob(params, x).exp().item()
    assert total == pytest.approx(1.0, abs=1e-6)


def test_sigma_is_clamped_as_tvae_clamps_it():
    lik = MixedTabular([("tanh", 1), ("tanh", 1)])
    with torch.no_grad():
        lik.log_sigma.copy_(torch.tensor([-20.0, 5.0]))
    torch.testing.assert_close(lik.sigma(), torch.tensor([0.01, 1.0]))
    x, params = torch.zeros(1, 2), torch.zeros(1, 2)
    want = Normal(0.0, 0.01).log_prob(torch.tensor(0.0)) + Normal(0.0, 1.0).log_prob(
        torch.tensor(0.0)
    )
    assert lik.log_prob(params, x).item() == pytest.approx(want.item(), rel=1e-6)


def test_mean_and_sample_have_the_layout_the_transformer_inverts():
    rng = np.random.default_rng(0)
    t = from_cells({"x": [f"{v:.4f}" for v in rng.normal(size=300)],
                    "c": list(rng.choice(["a", "b", "c"], 300))})  # fmt: skip
    tr = TableTransformer().fit(t)
    lik = MixedTabular([(s.activation, s.size) for s in tr.spans])
    params = torch.randn(50, tr.output_dim, generator=torch.Generator().manual_seed(2))
    mean, draw = lik.mean(params), lik.sample(params)
    at = 0
    for s in tr.spans:
        block_m, block_s = mean[:, at : at + s.size], draw[:, at : at + s.size]
        if s.activation == "softmax":
            torch.testing.assert_close(block_m.sum(1), torch.ones(50))
            assert set(block_s.unique().tolist()) <= {0.0, 1.0}
            torch.testing.assert_close(block_s.sum(1), torch.ones(50))
        else:
            assert block_m.abs().max() < 1
        at += s.size
    back = tr.inverse_transform(draw.numpy())
    assert set(back.columns["c"]) <= {"a", "b", "c"} and len(back) == 50


def test_init_bias_reproduces_the_data_mean():
    lik = MixedTabular([("tanh", 1), ("softmax", 3)])
    data_mean = torch.tensor([0.25, 0.5, 0.3, 0.2])
    torch.testing.assert_close(lik.mean(lik.init_bias(data_mean)[None])[0], data_mean)


def test_bad_layouts_and_shapes_are_refused():
    with pytest.raises(ConfigError, match="bad span"):
        MixedTabular([("tanh", 2)])
    with pytest.raises(ConfigError, match="bad span"):
        MixedTabular([("relu", 1)])
    with pytest.raises(ConfigError, match="sigma must lie"):
        MixedTabular([("tanh", 1)], sigma=5.0)
    lik = MixedTabular([("tanh", 1), ("softmax", 2)])
    with pytest.raises(ConfigError, match="expected 3 table features"):
        lik.log_prob(torch.zeros(2, 4), torch.zeros(2, 4))
