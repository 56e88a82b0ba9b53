"""The architecture: the import contracts of pyproject.toml hold, and the lower layers load
without the upper ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def contracts() -> list[dict]:
    return tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]


def test_import_contracts_are_kept(capsys):
    cli = pytest.importorskip(
        "importlinter.cli", reason="import-linter is not installed (pip install '.[dev]')"
    )
    code = cli.lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out


def test_layers_contract_covers_every_package():
    layers = [c for c in contracts() if c["type"] == "layers" and c.get("containers") == ["vaekit"]]
    assert len(layers) == 1 and layers[0]["exhaustive"] is True
    listed = {m.strip() for layer in layers[0]["layers"] for m in layer.split("|")}
    src = ROOT / "src" / "vaekit"
    children = {p.stem for p in src.glob("*.py") if p.stem != "__init__"}
    children |= {p.parent.name for p in src.glob("*/__init__.py")}
    assert children <= listed, f"not in a layer: {sorted(children - listed)}"


@pytest.mark.e2e  # a fresh process
def test_every_known_violation_is_marked_for_removal():
    text = PYPROJECT.read_text()
    for contract in contracts():
        for entry in contract.get("ignore_imports", []):
            before = text[: text.index(f'"{entry}"')]
            comment = before[before.rindex("ignore_imports = [") :]
            assert "# to remove" in comment, f"{contract['id']}: {entry} has no 'to remove' note"


def loaded_after(code: str) -> set[str]:
    """The ``vaekit`` modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport sys\nprint(' '.join(m for m in sys.modules if 'vaekit' in m))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout  # fmt: skip
    return set(out.split())


def packages(modules: set[str]) -> set[str]:
    return {m.split(".")[1] for m in modules if m.count(".") >= 1}


@pytest.mark.e2e  # a fresh process
def test_text_and_models_turn_text_into_ids_without_loading_data():
    code = (
        "from vaekit.models import create_model\n"
        "from vaekit.text import Tokenizer\n"
        "tok = Tokenizer.fit(['a b', 'b c'], 'word')\n"
        "m = create_model('seq-vae', tokenizer=tok.to_dict(), latent_dim=2, embed_dim=4,\n"
        "                 rnn_hidden=4, decoder_hidden=4)\n"
        "assert m.to_ids(['a b c']).shape == (1, 4)\n"
    )
    loaded = packages(loaded_after(code))
    assert not loaded & {"data", "io", "train", "eval", "cli"}, sorted(loaded)



@pytest.mark.e2e  # a fresh process
def test_the_old_name_of_render_still_imports_with_a_warning():
    """``vaekit.viz`` was renamed ``vaekit.render`` (drawing, beside ``plots``: a run's
    figures); the old name works for one release."""
    script = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import vaekit.viz.grid as old\n"
        "import vaekit.render.grid as new\n"
        "assert old is new, (old, new)\n"
        "assert any(issubclass(w.category, DeprecationWarning) and 'vaekit.render' in\n"
        "           str(w.message) for w in caught), [str(w.message) for w in caught]\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
