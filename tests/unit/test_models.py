"""Registry-wide tests: every registered model gets these by registering."""

from __future__ import annotations

import inspect
import json

import pytest
import torch

import vaekit.models
from conftest import stripes
from vaekit.errors import ConfigError, DataError
from vaekit.io import load, save_model
from vaekit.models import VAE, BaseModel, create_model, get_model_class, list_models
from vaekit.text import Tokenizer

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


# ----------------------------------------------------------------- the model base
ALL_MODELS = [e.name for e in list_models()]
_TOKENIZER = Tokenizer.fit(["the cat sat .", "a dog ran ."], "word").to_dict()
#: small constructor arguments of the models that do not take (1, 8, 8) images
SMALL = {
    "tvae": dict(spans=[["tanh", 1], ["softmax", 3]], latent_dim=3, hidden=(8,), beta=2.0),
    "miwae": dict(
        input_shape=(6,),
        latent_dim=3,
        hidden=(8,),
        likelihood="student-t",
        categorical_blocks=[(0, 2)],
        k=3,
    ),
    "mult-vae": dict(n_items=12, latent_dim=3, hidden=(8,), prior="mog"),
    "mult-dae": dict(n_items=12, latent_dim=3, hidden=(8,)),
    "seq-vae": dict(
        tokenizer=_TOKENIZER, latent_dim=3, embed_dim=8, rnn_hidden=8, decoder_hidden=8
    ),
    "rnnlm": dict(tokenizer=_TOKENIZER, embed_dim=8, decoder_hidden=8),
    "gp-vae": dict(input_shape=(6, 2), latent_dim=3, hidden=(8, 8), kernel_scales=2),
    "rnn-vae": dict(input_shape=(6, 2), latent_dim=3, hidden_size=8, likelihood="student-t"),
}


def make_small(name: str) -> torch.nn.Module:
    if name in SMALL:
        return create_model(name, **SMALL[name])
    return make(name, "conv" if name == "vqvae" else "mlp")


def test_every_model_is_covered_here():
    assert set(SMALL) | set(MODELS) == set(ALL_MODELS)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_every_model_is_a_base_model_built_through_its_constructor(name):
    cls = get_model_class(name)
    assert issubclass(cls, BaseModel)
    model = make_small(name)
    assert model.constructed  # set by BaseModel.__init__: no constructor skipped it


@pytest.mark.parametrize("name", ALL_MODELS)
def test_config_round_trips(name):
    model = make_small(name)
    config = model.config
    assert json.loads(json.dumps(config)) == config  # JSON as it is, tuples as lists
    rebuilt = create_model(name, **config)
    assert rebuilt.config == config
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes
    config["latent_dim"] = -1  # a copy: the model's own record is untouched
    assert model.config == rebuilt.config


def test_no_model_keeps_a_config_by_hand_or_skips_the_base_constructor():
    classes = {e.cls for e in list_models()}
    for module in vars(vaekit.models).values():
        if inspect.ismodule(module) and module.__name__.startswith("vaekit.models."):
            classes |= {c for c in vars(module).values() if inspect.isclass(c)}
    for cls in classes:
        if not (issubclass(cls, torch.nn.Module) and cls.__module__.startswith("vaekit.models")):
            continue
        assert "_config" not in vars(cls), cls
        if "__init__" in vars(cls):
            assert "Module.__init__" not in inspect.getsource(cls.__init__), cls


def test_config_records_the_outermost_call_with_defaults():
    model = make("beta-vae", hidden=(32, 16))
    assert model.config["beta"] == 4.0  # the subclass's default, not the parent's
    assert model.config["hidden"] == [32, 16]  # tuples as lists
    assert model.config["activation"] == "relu"  # the parent's default, filled in
    assert "args" not in model.config and "kwargs" not in model.config
    # arguments a class fixes for its parent stay out; those it names itself stay in
    tvae = create_model("tvae", **SMALL["tvae"])
    assert {"input_shape", "arch", "likelihood"}.isdisjoint(tvae.config)
    assert tvae.config["sigma"] == 0.1 and tvae.config["beta"] == 2.0
    # an integer given for a float parameter is recorded as a float (as JSON writes it)
    assert json.dumps(make("vae", sigma=1).config["sigma"]) == "1.0"


def test_a_new_variant_records_its_arguments_without_a_config_dict():
    class Scaled(VAE):
        def __init__(self, *args, scale: float = 2.0, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.scale = scale

    model = Scaled((1, 8, 8), 3, scale=0.5)
    assert model.config["input_shape"] == [1, 8, 8] and model.config["latent_dim"] == 3
    assert model.config["scale"] == 0.5
    assert Scaled(**model.config).config == model.config


def test_the_base_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        BaseModel()

    class NoLoss(BaseModel):
        def encode(self, x, y=None):
            return x

        def decode(self, z, y=None):
            return z

    with pytest.raises(TypeError, match="loss"):
        NoLoss()
