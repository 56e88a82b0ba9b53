"""What `vaekit train` prints when its output is piped (CI logs, `| tee`, nohup)."""

from __future__ import annotations

import json

import pytest

from vaekit.cli.app import main


def test_piped_training_output(mnist_subset, tmp_path, capsys):
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as e:
        main(["train", "--data-dir", str(mnist_subset), "--hidden", "64,32", "--latent-dim",
              "4", "--epochs", "2", "--val-size", "100", "--threads", "2", "--device", "cpu",
              "--out", str(run)])  # fmt: skip
    out, err = capsys.readouterr()
    assert e.value.code == 0, err
    lines = err.splitlines()
    start = [ln for ln in lines if ln.startswith("training vae")]
    assert len(start) == 1, err
    # the model's size, the data, the device and the threads, before the first epoch
    assert "parameters), 2 epochs on 500 train / 100 val examples of mnist; cpu, 2 threads" in (
        start[0]
    )
    epochs = [ln for ln in lines if ln.startswith("epoch ")]
    assert len(epochs) == 2 and all("samples/s" in ln and "val" in ln for ln in epochs), err
    assert len(epochs[0]) > 80  # one line, not wrapped at the pipe's 80 columns
    final = [ln for ln in lines if ln.startswith("trained vae")]
    assert len(final) == 1 and "; test loss " in final[0], err
    loss = float(final[0].split("test loss ")[1].split()[0])
    saved = json.loads((run / "evaluation.json").read_text())["test"]
    assert saved["n"] == 200 and loss == pytest.approx(saved["loss"], abs=0.006)
    assert out.strip() == str(run)  # stdout: the run directory alone, for scripts


def test_evaluate_without_a_test_split_says_which_split(tmp_path, capsys):
    """A CSV table has no test split: evaluate (and the report's hint) use the validation
    split and say so."""
    import numpy as np

    rng = np.random.default_rng(0)
    table = tmp_path / "table.csv"
    rows = rng.normal(size=(200, 5))
    table.write_text("a,b,c,d,e\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in rows))
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", str(table), "--epochs", "1", "--out", str(run), "-q"])
    err = capsys.readouterr().err
    assert e.value.code == 0 and "; val loss " in err, err
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run)])
    out, err = capsys.readouterr()
    assert e.value.code == 0, err
    assert "has no test split; evaluated the val split" in err
    assert json.loads((run / "evaluation.json").read_text())["val"]["n"] == 20
    assert "elbo" in out


def test_application_fits_show_a_bar_not_a_line_per_epoch(tmp_path, capsys):
    """`synth fit` and `impute fit` train with vaekit's Trainer but print no epoch lines."""
    import numpy as np

    rng = np.random.default_rng(0)
    table = tmp_path / "t.csv"
    lines = ["x,y,kind"] + [f"{a:.3f},{'' if i % 7 == 0 else f'{b:.3f}'},{'abc'[i % 3]}"
                            for i, (a, b) in enumerate(rng.normal(size=(120, 2)))]  # fmt: skip
    table.write_text("\n".join(lines) + "\n")
    for argv in (["synth", "fit", str(table), "--out", str(tmp_path / "s"), "--epochs", "12"],
                 ["impute", "fit", str(table), "--out", str(tmp_path / "i"), "--epochs", "12"]):
        with pytest.raises(SystemExit) as e:
            main([*argv, "--device", "cpu"])
        err = capsys.readouterr().err
        assert e.value.code == 0, err
        assert "epoch 1:" not in err and len(err.strip().splitlines()) <= 6, err


def test_piped_notes_are_not_wrapped_at_80_columns(monkeypatch, capsys):
    """Rich wraps at 80 columns when no stream is a terminal; vaekit's commands do not."""
    import io

    from rich.console import Console

    from vaekit.cli.app import _unwrapped_when_piped

    monkeypatch.delenv("COLUMNS", raising=False)
    note = "note: " + "a long note naming a file " * 8  # 206 characters

    def printed() -> list[str]:
        buffer = io.StringIO()
        Console(file=buffer).print(note)
        return buffer.getvalue().splitlines()

    assert len(printed()) > 1  # rich's own default for a pipe
    with _unwrapped_when_piped():
        assert [line.rstrip() for line in printed()] == [note.rstrip()]
    assert "COLUMNS" not in __import__("os").environ  # restored for whatever runs next
    monkeypatch.setenv("COLUMNS", "60")  # a width the user sets wins
    with _unwrapped_when_piped():
        assert len(printed()) > 3


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["train", "--bogus"], "No such option: --bogus (see"),  # it offered "--out"
        (["train", "--epoch", "3"], "No such option: --epoch; did you mean --epochs?"),
        (["synth", "fit", "t.csv", "--ephocs", "3"], "did you mean --epochs?"),
    ],
)
def test_unknown_options_suggest_only_close_names(args, said, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and said in err and "Possible options" not in err
