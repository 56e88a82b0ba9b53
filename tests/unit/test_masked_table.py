"""Rows with missing cells: the MIWAE table likelihood and the table <-> rows layout."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, StudentT

from vaekit.data.missing_layout import MissingLayout
from vaekit.data.table import from_cells
from vaekit.distributions.masked_table import MaskedTable
from vaekit.errors import ConfigError, DataError

# a row: numeric, a 3-level block, numeric, a 2-level block -> D = 7, params 3*2 + 5 = 11
BLOCKS = [[1, 3], [5, 2]]


def rows(gen: torch.Generator, b: int = 6) -> torch.Tensor:
    x = torch.zeros(b, 7)
    x[:, 0], x[:, 4] = torch.randn(b, generator=gen), torch.randn(b, generator=gen)
    x[:, 1:4] = F.one_hot(torch.randint(3, (b,), generator=gen), 3).float()
    x[:, 5:7] = F.one_hot(torch.randint(2, (b,), generator=gen), 2).float()
    return x


def test_log_prob_is_student_t_plus_categorical_over_observed_cells():
    gen = torch.Generator().manual_seed(0)
    lik = MaskedTable(7, BLOCKS)
    assert lik.param_dim == 11
    params, x = torch.randn(6, 11, generator=gen), rows(gen)
    loc, scale = params[:, :2], F.softplus(params[:, 2:4]) + 1e-3
    df = F.softplus(params[:, 4:6]) + 3
    t = StudentT(df, loc, scale)
    want = (t.log_prob(x[:, [0, 4]]).sum(1)
            + Categorical(logits=params[:, 6:9]).log_prob(x[:, 1:4].argmax(1))
            + Categorical(logits=params[:, 9:11]).log_prob(x[:, 5:7].argmax(1)))  # fmt: skip
    torch.testing.assert_close(lik.log_prob(params, x), want)
    # missing cells drop out: a NaN numeric cell and a NaN block
    xm = x.clone()
    xm[0, 4] = math.nan
    xm[1, 1:4] = math.nan
    got = lik.log_prob(params, xm)
    torch.testing.assert_close(got[0], want[0] - t.log_prob(x[:, [0, 4]])[0, 1])
    cat = Categorical(logits=params[1, 6:9]).log_prob(x[1, 1:4].argmax())
    torch.testing.assert_close(got[1], want[1] - cat)
    assert lik.log_prob(params, torch.full_like(x, math.nan)).abs().max() == 0  # nothing seen
    # leading sample dimensions broadcast (importance sampling)
    torch.testing.assert_close(lik.log_prob(params.expand(4, 6, 11), xm), got.expand(4, 6))


def test_mean_sample_and_bad_layouts():
    gen = torch.Generator().manual_seed(1)
    lik = MaskedTable(7, BLOCKS)
    params = torch.randn(5, 11, generator=gen)
    mean = lik.mean(params)
    torch.testing.assert_close(mean[:, [0, 4]], params[:, :2])
    torch.testing.assert_close(mean[:, 1:4].sum(1), torch.ones(5))
    torch.manual_seed(0)
    draws = lik.sample(params.expand(2000, 5, 11))
    assert set(draws[..., 1:4].sum(-1).unique().tolist()) == {1.0}  # one level per block
    # t draws centred on the location (the median's standard error: ~1.3 scale / sqrt(n))
    _, scale, df, _ = lik.split(params)
    err = (draws[..., 0].median(0).values - params[:, 0]).abs()
    assert (err < 0.15 * scale[:, 0]).all()
    # and spread as the t: interquartile range 2 scale t_df(0.75), within 10%
    from scipy.stats import t as student_t

    q = torch.quantile(draws[..., 4], torch.tensor([0.25, 0.75]), dim=0)
    want = 2 * scale[:, 1].numpy() * student_t.ppf(0.75, df[:, 1].numpy())
    np.testing.assert_allclose((q[1] - q[0]).numpy(), want, rtol=0.1)
    for bad in ([[5, 3]], [[1, 3], [2, 2]], [[-1, 2]]):
        with pytest.raises(ConfigError, match="bad categorical block"):
            MaskedTable(7, bad)
    with pytest.raises(ConfigError, match="decoder outputs"):
        lik.log_prob(torch.zeros(2, 7), torch.zeros(2, 7))


def table():
    return from_cells({
        "age": ["30", "", "41", "52", "30"],
        "job": ["a", "b", "", "a", "c"],
        "ok": ["true", "false", "true", "", "true"],
        "pay": ["1.5", "2.5", "", "4.0", "0.5"],
    })  # fmt: skip


def test_layout_round_trip_and_missing_blocks():
    t = table()
    layout = MissingLayout().fit(t)
    assert layout.types == {"age": "integer", "job": "categorical", "ok": "boolean",
                            "pay": "numeric"}  # fmt: skip
    assert layout.blocks == [[1, 3], [4, 2]] and layout.dim == 7
    x = layout.encode(t)
    assert x.shape == (5, 7)
    assert np.isnan(x[1, 0]) and np.isnan(x[2, 1:4]).all() and np.isnan(x[3, 4:6]).all()
    assert np.nansum(x[:, 1:4], 1).tolist() == [1, 1, 0, 1, 1]
    np.testing.assert_allclose(np.nanmean(x[:, [0, 6]], 0), 0, atol=1e-12)  # standardized
    # decoding the encoded rows gives the observed cells back exactly
    filled = np.nan_to_num(x, nan=0.3)
    back = layout.decode(filled, t)
    for name in t.names:
        seen = ~t.missing(name)
        assert list(back.columns[name][seen]) == list(t.columns[name][seen])
        assert not back.missing(name).any()
    assert back.columns["age"][1] == round(back.columns["age"][1])  # integers stay integers
    # a missing categorical cell gets the level with the highest score
    scores = filled.copy()
    scores[2, 1:4] = [0.1, 0.2, 0.7]
    assert layout.decode(scores, t).columns["job"][2] == "c"
    again = MissingLayout.from_json(json.loads(json.dumps(layout.to_json())))
    np.testing.assert_array_equal(again.encode(t), x)


def test_layout_refuses_what_it_cannot_impute():
    t = table()
    with pytest.raises(DataError, match="'job': level 'z' was not seen"):
        MissingLayout().fit(t).encode(from_cells({**{n: ["1"] for n in ("age", "pay")},
                                                  "job": ["z"], "ok": ["true"]}))  # fmt: skip
    ids = from_cells({"id": [f"u{i}" for i in range(500)], "v": ["1"] * 500})
    with pytest.raises(DataError, match="'id' has 500 distinct values"):
        MissingLayout(max_categories=100).fit(ids)
    with pytest.raises(DataError, match="'e' has no values"):
        MissingLayout().fit(from_cells({"e": ["", ""], "v": ["1", "2"]}))
    one_value = from_cells({"c": ["x", "x", ""], "v": ["1", "2", "3"], "k": ["5", "", "5"]})
    one = MissingLayout().fit(one_value)
    assert one.blocks == [[0, 1]]  # a one-level column: a block of one (imputed as that level)
    back = one.decode(np.full((3, 3), 0.7), one_value)
    assert back.columns["c"][2] == "x" and back.columns["k"][1] == 5.0  # exactly the one value
