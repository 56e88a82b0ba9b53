"""Registry-wide tests: every registered model gets these by registering."""

from __future__ import annotations

import pytest
import torch

from conftest import stripes
from vaekit.errors import ConfigError, DataError
from vaekit.io import load, save_model
from vaekit.models import create_model, get_model_class, list_models

#: the array models (sequence models get the same checks in test_sequence_models.py)
MODELS = [e.name for e in list_models() if e.cls.modality == "array"]
#: every registered model, plus the posterior and prior parts composed with them
CASES = [pytest.param(n, {}, id=n) for n in MODELS] + [
    pytest.param(name, opts, id=f"{name}+{'+'.join(map(str, opts.values()))}")
    for name, opts in [
        ("vae", {"posterior": "planar"}),
        ("vae", {"posterior": "iaf"}),
        ("vae", {"prior": "mog"}),
        ("vae", {"prior": "vamp"}),
        ("iwae", {"posterior": "iaf"}),
        ("iwae", {"prior": "vamp"}),
        ("hvae", {"inference": "ladder"}),
        ("hvae", {"iw_samples": 3}),
        ("cvae", {"posterior": "planar", "prior": "mog"}),
    ]
]


def make(name: str, arch: str = "mlp", **kw) -> torch.nn.Module:
    kwargs = dict(input_shape=(1, 8, 8), latent_dim=3, arch=arch, hidden=[32, 16])
    kwargs.update(kw)
    if arch == "conv":
        kwargs["channels"] = [4, 8]
    if get_model_class(name).conditional:
        kwargs["num_classes"] = 4
    return create_model(name, **kwargs)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("name,opts", CASES)
def test_forward_backward_finite_and_kl_nonnegative(name, opts, arch):
    if arch not in get_model_class(name).archs:
        pytest.skip(f"{name} is built on {', '.join(get_model_class(name).archs)} only")
    model = make(name, arch, **opts)
    x, y = stripes(16)
    out = model.loss(x, y)
    out.total.backward()
    assert torch.isfinite(out.total)
    if not opts:  # closed-form KL; a one-sample Monte Carlo KL may dip below 0
        assert (out.kl_per_dim >= 0).all() and out.kl.item() >= 0
    assert out.kl_per_dim.shape == (model.latent_dim,)
    assert torch.allclose(out.kl, out.kl_per_dim.sum())
    # (a VQ-VAE's code prior is fitted in a second stage, not by this loss)
    grads = [p.grad for n, p in model.named_parameters() if not n.startswith("code_prior.")]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name,opts", CASES)
def test_save_load_gives_identical_outputs(name, opts, tmp_path):
    model = make(name, likelihood="gaussian-learned-dim", **opts).eval()
    x, y = stripes(8)
    save_model(model, tmp_path)
    loaded = load(tmp_path)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k])
    torch.manual_seed(3)
    a = model.loss(x, y).total
    torch.manual_seed(3)
    b = loaded.loss(x, y).total
    assert torch.equal(a, b)
    assert torch.equal(model.reconstruct(x, y), loaded.reconstruct(x, y))


@pytest.mark.parametrize("name,opts", CASES)
def test_sample_reconstruct_interpolate_shapes(name, opts):
    model = make(name, **opts).eval()
    x, y = stripes(4)
    labels = 2 if model.conditional else None
    s = model.sample(5, labels=labels)
    assert s.shape == (5, 1, 8, 8) and ((s >= 0) & (s <= 1)).all()
    assert model.reconstruct(x, y).shape == (4, 1, 8, 8)
    kw = {"y_a": y[0], "y_b": y[1]} if model.conditional else {}
    path = model.interpolate(x[0], x[1], steps=7, **kw)
    assert path.shape == (7, 1, 8, 8)
    # endpoints are the reconstructions of the endpoints' posterior means
    ya = y[:1] if model.conditional else None
    yb = y[1:2] if model.conditional else None
    assert torch.allclose(path[0], model.reconstruct(x[:1], ya)[0], atol=1e-6)
    assert torch.allclose(path[-1], model.reconstruct(x[1:2], yb)[0], atol=1e-6)


def test_beta_weights_the_kl():
    x, _ = stripes(8)
    model = make("beta-vae")
    assert model.beta == 4.0
    torch.manual_seed(0)
    out = model.loss(x, kl_weight=0.5)
    assert out.kl_weight == 2.0
    assert torch.allclose(out.total, out.reconstruction + 2.0 * out.kl)


def test_wrong_input_shape_is_a_clear_error():
    with pytest.raises(DataError, match=r"expected inputs of shape \(B, 1, 8, 8\)"):
        make("vae").loss(torch.rand(2, 64))


def test_unconditional_model_refuses_labels_and_cvae_needs_them():
    with pytest.raises(ConfigError, match="not conditional"):
        make("vae").sample(2, labels=3)
    with pytest.raises(DataError, match="needs labels"):
        make("cvae").loss(torch.rand(2, 1, 8, 8))
    with pytest.raises(DataError, match=r"labels must lie in \[0, 4\)"):
        make("cvae").loss(torch.rand(2, 1, 8, 8), torch.tensor([0, 7]))


def test_cvae_generates_the_requested_class():
    """A CVAE trained on striped images draws the stripe of the class it is asked for."""
    torch.manual_seed(0)
    x, y = stripes(512)
    model = make("cvae", hidden=[64, 64])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        idx = torch.randint(0, 512, (64,))
        loss = model.loss(x[idx], y[idx]).total
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    for k in range(4):
        s = model.sample(32, labels=k)  # (32, 1, 8, 8)
        rows = s.mean(dim=(0, 1, 3))  # brightness per row, (8,)
        lit = rows.reshape(4, 2).mean(1)  # per stripe
        assert lit.argmax().item() == k, (k, lit)
        assert lit[k] > 0.6 and (lit[torch.arange(4) != k] < 0.35).all()


def test_output_bias_initialisation_decodes_the_mean():
    model = make("vae")
    mean = torch.full((1, 8, 8), 0.2)
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.zero_()
    model.init_output_bias(mean)
    assert torch.allclose(model.decode(torch.zeros(1, 3)), mean.unsqueeze(0), atol=1e-5)


def test_unknown_model_lists_choices():
    names = [e.name for e in list_models()]
    with pytest.raises(ConfigError, match="choose one of " + ", ".join(names)):
        create_model("vqvae-x")
