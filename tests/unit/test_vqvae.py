"""VQ-VAE: the quantiser, its EMA codebook and restarts, the PixelCNN prior, the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

import vaekit
from vaekit.cli.app import main
from vaekit.models import create_model
from vaekit.nn.pixelcnn import PixelCNNPrior
from vaekit.nn.quantizer import VectorQuantizerEMA


def test_quantizer_picks_the_nearest_code_and_passes_gradients_straight_through():
    vq = VectorQuantizerEMA(4, 2).eval()
    with torch.no_grad():
        vq.embed.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]))
    z_e = torch.tensor([[0.9, 0.2], [0.1, 0.8], [4.0, 4.5], [0.1, -0.1]]).T.reshape(1, 2, 2, 2)
    z_e.requires_grad_(True)
    out = vq(z_e)
    assert out.indices.flatten().tolist() == [1, 2, 3, 0]
    torch.testing.assert_close(out.z_q.detach(), vq.lookup(out.indices))
    out.z_q.sum().backward()
    torch.testing.assert_close(z_e.grad, torch.ones_like(z_e))  # straight-through
    expected = (z_e.detach() - vq.lookup(out.indices)).pow(2).mean()
    torch.testing.assert_close(out.commitment, expected)
    assert out.perplexity.item() == pytest.approx(4.0)  # four codes used equally


def test_ema_update_with_laplace_smoothing():
    vq = VectorQuantizerEMA(2, 1, decay=0.5, eps=0.0, dead_threshold=0.0).train()
    with torch.no_grad():
        vq.embed.copy_(torch.tensor([[0.0], [10.0]]))
        vq.embed_sum.copy_(vq.embed)
        vq.initialized.fill_(True)
    z_e = torch.tensor([1.0, 2.0, 3.0, 9.0]).view(1, 1, 2, 2)
    vq(z_e)
    # cluster sizes 0.5 * 1 + 0.5 * (3, 1) = (2, 1); sums 0.5 * (0, 10) + 0.5 * (6, 9)
    torch.testing.assert_close(vq.cluster_size, torch.tensor([2.0, 1.0]))
    torch.testing.assert_close(vq.embed, torch.tensor([[3.0 / 2.0], [9.5 / 1.0]]))


def test_dead_codes_restart_at_encoder_outputs():
    torch.manual_seed(0)
    vq = VectorQuantizerEMA(3, 2, decay=0.5, dead_threshold=0.4).train()
    with torch.no_grad():
        vq.embed.copy_(torch.tensor([[0.0, 0.0], [0.1, 0.0], [100.0, 100.0]]))
        vq.embed_sum.copy_(vq.embed)
        vq.initialized.fill_(True)
    z_e = torch.randn(1, 2, 4, 4) * 0.01
    vq(z_e)
    assert torch.allclose(vq.embed[2], torch.tensor([100.0, 100.0]), atol=0.01)  # usage 0.5
    vq(z_e)  # code 2 was never chosen: usage 0.25 < 0.4, restarted at an encoder output
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, 2)
    assert (vq.embed[2] - flat).abs().sum(1).min() < 1e-6
    assert vq.cluster_size[2].item() == 1.0


def test_pixelcnn_is_causal():
    torch.manual_seed(0)
    prior = PixelCNNPrior(5, width=8, layers=3)
    codes = torch.randint(5, (1, 4, 4))
    base = prior(codes)
    changed = codes.clone()
    changed[0, 2, 1] = (codes[0, 2, 1] + 1) % 5
    diff = (prior(changed) - base).abs().sum(1)[0]  # (4, 4)
    positions = [(i, j) for i in range(4) for j in range(4)]
    for i, j in positions:
        after = (i, j) > (2, 1)
        assert (diff[i, j] > 0) == after, (i, j)  # only later positions see the change
    assert prior.sample(3, (4, 4)).shape == (3, 4, 4)
    nll = prior.nll(codes)
    assert nll.shape == (1,) and 0 < nll.item() < 16 * math.log(5) * 3


def test_vqvae_reports_the_uniform_prior_kl_and_perplexity():
    model = create_model("vqvae", num_codes=16, latent_dim=4, channels=[8, 8])
    x = torch.rand(8, 1, 28, 28).round()
    out = model.loss(x)
    assert out.kl.item() == pytest.approx(49 * math.log(16), rel=1e-5)
    assert 1.0 <= out.extra["perplexity"].item() <= 16.0
    assert model.latent_dim == 4 * 49
    with pytest.raises(vaekit.ConfigError, match="divisible"):
        create_model("vqvae", input_shape=(1, 30, 30))


def test_vqvae_train_prior_and_sample_from_the_cli(mnist_subset, tmp_path, capsys):
    run = tmp_path / "vq"
    args = ["train", "--model", "vqvae", "--data-dir", str(mnist_subset), "--epochs", "2",
            "--latent-dim", "8", "--set", "model.num_codes=32", "--set", "model.channels=[8,16]",
            "--out", str(run), "-q", "--device", "cpu"]  # fmt: skip
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 0, capsys.readouterr().err
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert "train_perplexity" in records[-1] and records[-1]["train_perplexity"] > 2
    before = vaekit.load(run).code_prior.out[-1].weight.clone()
    with pytest.raises(SystemExit) as e:
        main(["train-prior", str(run), "--epochs", "2", "-q", "--device", "cpu"])
    assert e.value.code == 0, capsys.readouterr().err
    prior_log = [json.loads(x) for x in (run / "prior_metrics.jsonl").read_text().splitlines()]
    assert [r["prior_epoch"] for r in prior_log] == [1, 2]
    assert prior_log[1]["prior_train_nll"] < prior_log[0]["prior_train_nll"]
    model = vaekit.load(run)
    assert not torch.equal(model.code_prior.out[-1].weight, before)
    assert int(model.prior_steps) > 0
    with pytest.raises(SystemExit) as e:
        main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "s.png")])
    assert e.value.code == 0
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run), "--iw", "10"])
    assert e.value.code == 2 and "no importance-sampled likelihood" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["train-prior", str(tmp_path / "nope")])
    assert e.value.code == 2


def test_vqvae_epoch_line_compares_like_with_like(mnist_subset, tmp_path):
    """The epoch line puts train and validation reconstruction side by side with the code
    perplexity; no active-unit count or collapse check for a point-mass code."""
    from rich.console import Console

    cfg = vaekit.Config()
    cfg.data.data_dir = str(mnist_subset)
    cfg.data.val_size = 100
    cfg.model.name = "vqvae"
    cfg.model.latent_dim = 8
    cfg.model.num_codes = 32
    cfg.model.channels = [8, 16]
    cfg.train.epochs = 4
    cfg.train.device = "cpu"
    cfg.out = str(tmp_path / "vq")
    console = Console(record=True, width=300)
    run = vaekit.fit(cfg, console=console)
    lines = [ln for ln in console.export_text().splitlines() if ln.startswith("epoch ")]
    assert len(lines) == 4
    for line in lines:
        assert "perplexity" in line and "val recon" in line and " AU" not in line, line
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert not any("active_units" in r or "warning" in r for r in records)
    last = records[-1]
    recon_val = float(lines[-1].split("val recon ")[1].split()[0])
    assert recon_val == pytest.approx(last["val_recon"], abs=0.01)


def test_a_resumed_run_fits_its_code_prior_as_an_uninterrupted_one(mnist_subset, tmp_path):
    """train.prior_epochs: the code prior is fitted after the autoencoder, also when the run
    was stopped and resumed, and the final weights equal an uninterrupted run's."""
    from vaekit.io.safe import load_tensors
    from vaekit.train import resume
    from vaekit.train.code_prior import prior_trained

    def config(out: str) -> vaekit.Config:
        cfg = vaekit.Config()
        cfg.data.data_dir = str(mnist_subset)
        cfg.data.val_size = 100
        cfg.model.name, cfg.model.latent_dim, cfg.model.num_codes = "vqvae", 4, 16
        cfg.model.channels = [8, 8]
        cfg.train.epochs, cfg.train.prior_epochs, cfg.train.threads = 2, 1, 1
        cfg.train.device, cfg.out = "cpu", str(tmp_path / out)
        return cfg

    straight = vaekit.fit(config("straight"), quiet=True)
    stopped = vaekit.fit(config("stopped"), quiet=True, stop_after_epoch=1)
    assert not prior_trained(stopped)
    resume(stopped, quiet=True)
    assert prior_trained(stopped) and prior_trained(straight)
    a = load_tensors(straight / "model.safetensors")[0]
    b = load_tensors(stopped / "model.safetensors")[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (stopped / "prior_metrics.jsonl").read_text().count("\n") == 1


def test_train_prior_interrupted_then_resumed_is_bit_identical(mnist_subset, tmp_path,
                                                               monkeypatch):  # fmt: skip
    """The prior fit runs on the shared Trainer with its own checkpoints in RUN/prior/: an
    interruption names the run, and resuming the run ends as an uninterrupted prior fit."""
    import shutil

    from vaekit.errors import TrainingInterrupted
    from vaekit.io.safe import load_tensors
    from vaekit.models.code_grid_prior import CodeGridPrior
    from vaekit.train import resume
    from vaekit.train import trainer as trainer_mod
    from vaekit.train.code_prior import prior_fit_started, prior_trained, train_prior

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    cfg = vaekit.Config()
    cfg.data.data_dir, cfg.data.val_size = str(mnist_subset), 100
    cfg.model.name, cfg.model.latent_dim, cfg.model.num_codes = "vqvae", 4, 16
    cfg.model.channels = [8, 8]
    cfg.train.epochs, cfg.train.threads, cfg.train.device = 1, 1, "cpu"
    cfg.out = str(tmp_path / "vq")
    base = vaekit.fit(cfg, quiet=True)
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    shutil.copytree(base, straight)
    shutil.copytree(base, stopped)
    history = train_prior(straight, epochs=3, batch_size=64, device="cpu", quiet=True)
    assert [r["prior_epoch"] for r in history] == [1, 2, 3] and prior_trained(straight)

    real = trainer_mod.Trainer._train_epoch

    def stop_in_epoch_2(self, *args, **kwargs):
        if isinstance(self.model, CodeGridPrior) and self.state.epoch == 1:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(trainer_mod.Trainer, "_train_epoch", stop_in_epoch_2)
    with pytest.raises(TrainingInterrupted) as info:
        train_prior(stopped, epochs=3, batch_size=64, device="cpu", quiet=True)
    assert info.value.run_dir == stopped and info.value.saved_epoch == 1
    assert prior_fit_started(stopped) and not prior_trained(stopped)
    monkeypatch.setattr(trainer_mod.Trainer, "_train_epoch", real)
    resume(stopped, quiet=True)  # what `vaekit resume RUN` runs for a train run
    assert prior_trained(stopped)
    a = load_tensors(straight / "model.safetensors")[0]
    b = load_tensors(stopped / "model.safetensors")[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert int(b["prior_steps"]) > 0
    resume(stopped, quiet=True)  # a finished run resumed again keeps its prior
    c = load_tensors(stopped / "model.safetensors")[0]
    assert all(torch.equal(b[k], c[k]) for k in b)
