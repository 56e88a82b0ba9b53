"""The application tutorials run top to bottom at smoke size and write their figures."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"
DATA_DIR = os.environ.get("VAEKIT_DATA_DIR")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: tutorial -> (data it reads under VAEKIT_DATA_DIR, figures it writes, needs RDKit)
CASES = {
    "anomaly": ("odds/cardio.mat", ["score_histogram.png"], False),
    "synthetic_tables": ("tabular/adult.csv.gz", ["marginals.png", "conditional.png"], False),
    "imputation": ("tabular/concrete.csv.gz", ["imputation.png"], False),
    "molecules": ("moses/train.csv.gz", ["neighbourhood.png", "neighbours.png"], True),
    "recommendation": ("ml-100k/ml-100k.inter.gz", ["ndcg.png"], False),
    "sentences": ("sentences/train.txt", ["training.png"], False),
    "timeseries": ("timeseries/stocks/stocks_daily.csv.gz",
                   ["imputation.png", "generation.png", "year.png"], False),
}


def _have_rdkit_drawing() -> bool:
    if importlib.util.find_spec("rdkit") is None:
        return False
    try:
        from rdkit.Chem import Draw  # noqa: F401
    except ImportError:
        return False
    return True


# CI runs every tutorial at smoke size before the tests (.ci/run), so this test is left out
# of CI (slow) and serves to check one tutorial locally: pytest -m slow -k anomaly
@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(CASES))
def test_tutorial_runs_at_smoke_size(name: str, tmp_path: Path) -> None:
    data, figures, needs_rdkit = CASES[name]
    if not DATA_DIR or not (Path(DATA_DIR) / data).exists():
        pytest.skip(f"{data} not found: set VAEKIT_DATA_DIR to a folder that holds it")
    if needs_rdkit and not _have_rdkit_drawing():
        pytest.skip("RDKit (with its drawing code) is not installed: pip install '.[chem]'")
    env = {**os.environ, "VAEKIT_TUTORIAL_SMOKE": "1", "VAEKIT_TUTORIAL_OUT": str(tmp_path),
           "MPLBACKEND": "Agg"}  # fmt: skip
    done = subprocess.run([sys.executable, str(TUTORIALS / f"{name}.py")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"{name}.py failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    for figure in figures:
        path = tmp_path / name / figure
        assert path.is_file(), f"{name}.py did not write {path.name}"
        head = path.read_bytes()[:8]
        assert path.stat().st_size > 100 and head == PNG_MAGIC, f"{path} is not a PNG"


@pytest.mark.parametrize("name", sorted(CASES))
def test_tutorial_refers_to_its_figures(name: str) -> None:
    """Every figure the script writes is shown in one of its markdown cells."""
    text = (TUTORIALS / f"{name}.py").read_text(encoding="utf-8")
    for figure in CASES[name][1]:
        assert f"](figures/{name}/{figure})" in text
