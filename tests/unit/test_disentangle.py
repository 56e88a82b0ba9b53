"""beta-TC-VAE's decomposition and FactorVAE's discriminator, with its own optimizer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from conftest import stripes
from helpers import metrics, small_config, weights
from vaekit.distributions import DiagonalNormal, StandardNormal
from vaekit.models import create_model
from vaekit.objectives import mws_decomposition, permute_dims
from vaekit.train import resume, train


def test_decomposition_sums_to_the_monte_carlo_kl():
    g = torch.Generator().manual_seed(0)
    q = DiagonalNormal(torch.randn(16, 3, generator=g), torch.randn(16, 3, generator=g) * 0.3)
    z, log_q = q.rsample_and_log_prob()
    log_pz = StandardNormal(3).log_prob(z)
    parts = mws_decomposition(z, log_q, q.mean, q.logvar, log_pz, dataset_size=1000)
    torch.testing.assert_close(parts.mi + parts.tc + parts.dwkl, log_q - log_pz)


def test_mws_follows_the_papers_estimator():
    g = torch.Generator().manual_seed(1)
    n = 1000
    q = DiagonalNormal(torch.randn(8, 2, generator=g), torch.randn(8, 2, generator=g) * 0.3)
    z, log_q = q.rsample_and_log_prob()
    parts = mws_decomposition(z, log_q, q.mean, q.logvar, torch.zeros(8), dataset_size=n)
    # log q(z_i) ~ log (1 / (N M)) sum_j q(z_i | x_j), computed directly
    comps = torch.stack([DiagonalNormal(q.mean[j], q.logvar[j]).log_prob(z) for j in range(8)])
    log_qz = torch.logsumexp(comps, 0) - math.log(n * 8)
    torch.testing.assert_close(parts.mi, log_q - log_qz)
    # a posterior that ignores x: the estimator's known offsets, MI = log N, TC = (D-1) log N
    same = DiagonalNormal(q.mean[:1].expand(8, 2), q.logvar[:1].expand(8, 2))
    z, log_q = same.rsample_and_log_prob()
    parts = mws_decomposition(z, log_q, same.mean, same.logvar, torch.zeros(8), dataset_size=n)
    torch.testing.assert_close(parts.mi, torch.full((8,), math.log(n)))
    torch.testing.assert_close(parts.tc, torch.full((8,), math.log(n)))


def test_permute_dims_keeps_marginals_and_breaks_dependence():
    torch.manual_seed(0)
    a = torch.randn(4000, 1)
    z = torch.cat([a, a + 0.01 * torch.randn(4000, 1)], 1)  # two nearly equal dimensions
    p = permute_dims(z)
    for d in range(2):
        assert torch.equal(p[:, d].sort().values, z[:, d].sort().values)
    assert np.corrcoef(z.T.numpy())[0, 1] > 0.99
    assert abs(np.corrcoef(p.T.numpy())[0, 1]) < 0.05


def test_btcvae_weights_the_total_correlation():
    torch.manual_seed(0)
    x, _ = stripes(32)
    kw = dict(input_shape=(1, 8, 8), latent_dim=3, hidden=[16], dataset_size=256)
    a, b = create_model("btcvae", beta=1.0, **kw), create_model("btcvae", beta=11.0, **kw)
    b.load_state_dict(a.state_dict())
    torch.manual_seed(1)
    out_a = a.loss(x)
    torch.manual_seed(1)
    out_b = b.loss(x)
    torch.testing.assert_close(out_b.total - out_a.total, 10.0 * out_a.extra["tc"])
    assert set(out_a.extra) == {"mi", "tc", "dwkl"}


def test_btcvae_and_factorvae_log_their_terms(stripes_file, tmp_path):
    cfg = small_config(stripes_file, tmp_path / "tc", epochs=2)
    cfg.model.name = "btcvae"
    run = train(cfg, quiet=True)
    spec = (run / "model.json").read_text()
    assert '"dataset_size": 144' in spec  # 192 examples minus the 25% validation split
    rec = metrics(run)[-1]
    assert {"train_mi", "train_tc", "train_dwkl"} <= set(rec)
    cfg = small_config(stripes_file, tmp_path / "fv", epochs=2)
    cfg.model.name = "factorvae"
    rec = metrics(train(cfg, quiet=True))[-1]
    assert {"train_tc", "train_disc_loss", "train_disc_accuracy"} <= set(rec)
    assert 0.0 <= rec["train_disc_accuracy"] <= 1.0


def test_the_trainer_steps_the_discriminator_with_its_own_optimizer():
    from vaekit.config import TrainConfig
    from vaekit.data import prepare_data
    from vaekit.data.base import RawData
    from vaekit.train import Trainer

    torch.manual_seed(0)
    x, y = stripes(128)
    data = prepare_data(RawData("stripes", x, y), val_size=0)
    model = create_model("factorvae", input_shape=(1, 8, 8), latent_dim=3, hidden=[16],
                         discriminator_hidden=[16])  # fmt: skip
    trainer = Trainer(model, data, TrainConfig(epochs=1, batch_size=32, device="cpu"), quiet=True)
    disc = {id(p) for p in model.discriminator.parameters()}
    main = {id(p) for g in trainer.optimizer.param_groups for p in g["params"]}
    assert disc.isdisjoint(main) and len(main) + len(disc) == len(list(model.parameters()))
    aux = trainer.aux_optimizers["discriminator"]
    assert aux.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert aux.param_groups[0]["betas"] == (0.5, 0.9)
    before = [p.detach().clone() for p in model.discriminator.parameters()]
    trainer.fit()
    assert all(not torch.equal(b, p) for b, p in zip(before, model.discriminator.parameters(),
                                                     strict=True))  # fmt: skip


def test_factorvae_resume_is_bit_identical(stripes_file, tmp_path):
    def cfg(name):
        c = small_config(stripes_file, tmp_path / name, epochs=3)
        c.model.name = "factorvae"
        return c

    full = train(cfg("full"), quiet=True)
    cut = train(cfg("cut"), quiet=True, stop_after_epoch=1)
    resume(cut, quiet=True)
    a, b = weights(full), weights(cut)
    assert all(torch.equal(a[k], b[k]) for k in a)
