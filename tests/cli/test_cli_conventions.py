"""Every command of the ``vaekit`` app follows the same conventions (the README's "Command
line" section): ``--out`` names a run directory, ``-o`` is ``--output``, ``-n`` is ``--num``,
and a command that computes takes ``--device`` (default auto), ``--seed`` where it draws
random numbers, ``--threads`` and ``-q``; ``sweep`` layers its configuration as ``train``
does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer

from vaekit.cli.app import app, main
from vaekit.cli.options import check_out_dir, deprecated_alias, parse_hidden
from vaekit.errors import ConfigError

#: commands that compute nothing to place on a device, with the reason
NOT_COMPUTING = {
    "models": "lists the registered models",
    "explore": "serves an interactive page until Ctrl-C; each request decodes one point",
}
#: computing commands that draw no random numbers of their own, with the reason
SEEDLESS = {
    "resume": "continues with the seed the run was started with",
    "report": "each figure keeps the fixed seed 'vaekit plot' uses by default",
    "anomaly score": "draws with the fitted detector's random_state",
    "molecules metrics": "metrics of a given file: nothing is drawn",
    "recommend evaluate": "scores from the encoder's mean: nothing is drawn",
    "recommend top-k": "scores from the encoder's mean: nothing is drawn",
}
#: commands whose flags layer over a configuration: their --device defaults to None (the
#: configuration's value, itself auto by default)
LAYERED = {"train", "sweep"}


def commands() -> dict[str, Any]:
    """Every leaf command of the app by its path ("anomaly fit")."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: str) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}".strip())
        else:
            found[path] = command

    walk(typer.main.get_command(app), "")
    return found


ALL = commands()


def options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option"]


def by_flag(command: Any, flag: str) -> Any:
    hits = [p for p in options(command) if flag in p.opts or flag in p.secondary_opts]
    return hits[0] if hits else None


def test_the_walk_finds_every_command():
    assert {"train", "sample", "sweep", "anomaly fit", "synth report", "recommend top-k",
            "molecules optimize", "impute transform"} <= set(ALL)  # fmt: skip
    assert set(NOT_COMPUTING) <= set(ALL) and set(SEEDLESS) <= set(ALL)


@pytest.mark.parametrize("path", sorted(ALL))
def test_option_names_mean_one_thing(path):
    command = ALL[path]
    for p in options(command):
        text = (p.help or "").strip()
        assert text, f"{path} {p.opts}: no help text"
        if p.hidden:  # an old spelling kept for one release
            assert text.startswith("Deprecated"), f"{path} {p.opts}: hidden but not deprecated"
            continue
        names = set(p.opts)
        if "--out" in names:
            assert names == {"--out"}, f"{path}: --out has other names {names}"
            assert "run directory" in text.lower(), f"{path}: --out is not a run directory"
        if names & {"-o", "--output"}:
            assert names == {"-o", "--output"}, f"{path}: -o and --output go together: {names}"
        if names & {"-n", "--num"}:
            assert names == {"-n", "--num"}, f"{path}: -n and --num go together: {names}"
        if names & {"-q", "--quiet"}:
            assert names == {"-q", "--quiet"} and p.is_flag, f"{path}: -q is --quiet"


@pytest.mark.parametrize("path", sorted(set(ALL) - set(NOT_COMPUTING)))
def test_computing_commands_take_device_seed_threads_quiet(path):
    command = ALL[path]
    device = by_flag(command, "--device")
    assert device is not None, f"{path}: no --device"
    assert "auto" in (device.help or ""), f"{path}: --device help does not name auto"
    if path in LAYERED:
        assert device.default is None, f"{path}: --device must not override the config"
    else:
        assert device.default == "auto", f"{path}: --device defaults to {device.default!r}"
    if path not in SEEDLESS:
        assert by_flag(command, "--seed") is not None, f"{path}: no --seed"
    threads = by_flag(command, "--threads")
    assert threads is not None and threads.default is None, f"{path}: --threads"
    assert by_flag(command, "-q") is not None, f"{path}: no -q/--quiet"


def test_parse_hidden():
    assert parse_hidden("512,256") == [512, 256]
    assert parse_hidden(" 600 ") == [600] and parse_hidden("") == []
    for bad in ("64x", "64,-1", "1.5"):
        with pytest.raises(ConfigError, match="--hidden takes comma-separated") as e:
            parse_hidden(bad)
        assert "\n" not in str(e.value)


def test_check_out_dir(tmp_path, capsys):
    assert check_out_dir(tmp_path / "new") == tmp_path / "new"  # missing: fine
    early = tmp_path / "early"  # a run stopped before its first checkpoint: started over
    early.mkdir()
    (early / "config.yaml").write_text("model: {}\n")
    (early / "run.json").write_text("{}")
    check_out_dir(early)
    assert not any(early.iterdir()) and "starting it over" in capsys.readouterr().err
    done = tmp_path / "done"
    done.mkdir()
    (done / "model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match=f"run directory {done} already exists and is not empty"):
        check_out_dir(done)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        check_out_dir(tmp_path / "file")


def test_deprecated_alias_prints_one_note(capsys):
    assert deprecated_alias(None, 5, "--num-rows", "-n/--num") == 5
    assert capsys.readouterr().err == ""
    assert deprecated_alias(7, 5, "--num-rows", "-n/--num") == 7
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--num-rows is deprecated" in err and "-n/--num" in err


def test_renamed_options_keep_their_old_spelling():
    for path, old, new in (("synth sample", "--num-rows", "--num"),
                           ("synth report", "--num-rows", "--num"),
                           ("synth report", "--out", "--output"),
                           ("anomaly score", "--out", "--output")):  # fmt: skip
        command = ALL[path]
        assert by_flag(command, old).hidden and not by_flag(command, new).hidden


def test_sweep_keeps_the_preset(tmp_path, capsys):
    """`vaekit sweep --preset NAME` trains every member with the preset's settings, under
    the flags given."""
    import vaekit

    rng = np.random.default_rng(0)
    table = tmp_path / "table.csv"
    rows = rng.normal(size=(120, 4))
    table.write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in rows))
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--param", "beta=1,2", "--preset", "moses-vae", "--out", str(out),
              "--model", "vae", "--dataset", str(table), "--hidden", "8", "--latent-dim", "2",
              "--epochs", "1", "--device", "cpu", "--threads", "1", "-q"])  # fmt: skip
    err = capsys.readouterr().err
    assert e.value.code == 0, err
    for beta in (1.0, 2.0):
        cfg = vaekit.Config.from_yaml(Path(out / f"beta={beta:g}") / "config.yaml")
        assert cfg.model.beta == beta and cfg.model.name == "vae"  # the flags win
        assert cfg.model.latent_dim == 2 and cfg.train.epochs == 1
        # the preset's own settings
        assert cfg.train.lr == 3e-4 and cfg.train.grad_clip == 50.0
        assert cfg.train.kl_schedule == "linear" and cfg.train.batch_size == 512


WITH_OUTPUT = sorted(p for p, c in ALL.items() if by_flag(c, "-o") is not None)


def test_output_commands_are_found():
    assert {"sample", "plot", "anomaly score", "synth sample", "impute transform",
            "molecules sample"} <= set(WITH_OUTPUT)  # fmt: skip


@pytest.mark.parametrize("path", WITH_OUTPUT)
def test_output_into_a_missing_folder_creates_it_and_says_so(path, tmp_path, capsys):
    """One rule for every -o: a missing folder is made, with a note (it was made silently by
    some commands and refused by others)."""
    target = tmp_path / "new" / "deeper" / "out.csv"
    with pytest.raises(SystemExit):  # the command's own arguments are missing: usage error
        main([*path.split(), "-o", str(target)])
    err = capsys.readouterr().err
    assert target.parent.is_dir()
    assert f"note: created the folder {target.parent} for -o {target}" in err
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as e:
        main([*path.split(), "-o", str(tmp_path / "file" / "out.csv")])
    assert e.value.code == 2 and "cannot create the folder" in capsys.readouterr().err
