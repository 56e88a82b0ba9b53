import pytest

from vaekit import Config
from vaekit.cli.train import build_config
from vaekit.errors import ConfigError


def test_precedence_defaults_file_flags_set(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("model:\n  latent_dim: 8\n  hidden: [64, 32]\ntrain:\n  epochs: 3\n  lr: 0.01\n")
    cfg = build_config(f, {"epochs": 5, "lr": None}, ["train.lr=2e-4", "free_bits=0.25"])
    assert cfg.model.latent_dim == 8 and cfg.model.hidden == [64, 32]
    assert cfg.train.epochs == 5  # flag beats file
    assert cfg.train.lr == 2e-4  # --set beats both
    assert cfg.train.free_bits == 0.25
    assert cfg.train.batch_size == 128  # default


def test_yaml_round_trip():
    cfg = Config()
    cfg.set("hidden", "400,400")
    cfg.set("model.beta", 2)
    again = Config.from_dict(__import__("yaml").safe_load(cfg.to_yaml()))
    assert again == cfg and again.model.hidden == [400, 400] and again.model.beta == 2.0


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("latnt_dim=3", "unknown option 'latnt_dim'; did you mean 'latent_dim'"),
        ("model.nope=1", "unknown option 'model.nope'"),
        ("opt.lr=1", "unknown config section 'opt'"),
        ("epochs=two", "bad value for train.epochs: 'two'"),
        ("epochs=2.5", "bad value for train.epochs"),
        ("batchnorm=maybe", "bad value for model.batchnorm"),
        ("lr", "--set expects key=value"),
    ],
)
def test_bad_keys_and_values(assignment, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Config().set_from_string(assignment)


def test_bad_config_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        Config.from_yaml(tmp_path / "none.yaml")
    (tmp_path / "b.yaml").write_text("model: [1, 2\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        Config.from_yaml(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text("optim:\n  lr: 1\n")
    with pytest.raises(ConfigError, match="unknown config section 'optim'"):
        Config.from_yaml(tmp_path / "c.yaml")
