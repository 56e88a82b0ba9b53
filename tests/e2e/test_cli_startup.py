"""`vaekit --help` and argument errors answer without loading PyTorch; every option has help;
the public names of ``import vaekit`` still resolve (imported on first use)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

import vaekit
from vaekit.cli.app import app, main


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["train", "--help"], ["evaluate", "--help"], ["anomaly", "fit", "--help"],
     ["train", "--epochs", "many"], ["evaluate"]],
)  # fmt: skip
def test_help_and_argument_errors_do_not_load_torch(argv):
    code = (
        "import sys\nfrom vaekit.cli.app import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as e:\n    code = e.code\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO TORCH', code)"
    )
    done = run_python(code)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("NO TORCH"), done.stdout + done.stderr
    expected = "0" if "--help" in argv else "2"
    assert last.split()[-1] == expected, done.stderr


def test_every_option_has_help_and_usage_names_arguments(capsys):
    def walk(command, path):
        for p in command.params:
            text = (getattr(p, "help", None) or "").strip()
            assert text and not text.startswith("["), f"{path} {p.name}: no help text"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "vaekit")
    with pytest.raises(SystemExit):
        main(["anomaly", "score", "--help"])
    out = capsys.readouterr().out
    assert "Usage: vaekit anomaly score [OPTIONS] DETECTOR DATA" in out
    assert "{" not in out and "<bool>" not in out


def test_help_name_lists_match_the_registries():
    import vaekit.chem.plot_kinds  # noqa: F401 (registers the molecule figures)
    from vaekit.cli.evaluate import METRIC_NAMES
    from vaekit.cli.plot import PLOT_NAMES
    from vaekit.eval import METRICS
    from vaekit.plots import PLOT_KINDS

    assert set(METRIC_NAMES) == set(METRICS) and set(PLOT_NAMES) == set(PLOT_KINDS)
    from vaekit.cli.train import DATASET_NAMES
    from vaekit.data.registry import DATASETS

    assert DATASET_NAMES == tuple(DATASETS)  # `vaekit train --help` lists every dataset


def test_public_names_resolve_lazily():
    done = run_python(
        "import sys, vaekit\n"
        "assert 'torch' not in sys.modules\n"
        "import vaekit.train.threads  # binds the subpackage (callable for one release)\n"
        "import vaekit.explore.session\n"
        "assert callable(vaekit.fit) and vaekit.fit.__module__ == 'vaekit.train.api'\n"
        "assert callable(vaekit.train) and isinstance(vaekit.train, type(sys))\n"
        "assert callable(vaekit.explore) and not isinstance(vaekit.explore, type(sys))\n"
        "from vaekit import Config, fit\n"
        "assert callable(fit) and Config().train.epochs >= 1\n"
        "assert vaekit.anomaly.VAEDetector.__name__ == 'VAEDetector'\n"
        "print('ok')"
    )
    assert done.stdout.strip() == "ok", done.stderr
    assert set(vaekit.__all__) <= set(dir(vaekit))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        vaekit.nope  # noqa: B018
