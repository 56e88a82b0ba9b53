"""``evaluate_run``: metrics of a run directory, written to ``evaluation.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaekit.data import build_data
from vaekit.eval.elbo import elbo_terms
from vaekit.io.model_io import load
from vaekit.io.run_dir import EVALUATION_FILE, read_run_config
from vaekit.io.safe import atomic_write_text


def evaluate_run(
    run_dir: str | Path,
    split: str = "test",
    batch_size: int = 1000,
    device: str = "cpu",
    seed: int = 0,
) -> dict[str, Any]:
    """Test ELBO, reconstruction and KL of the run's model on ``split``.

    The results are merged into ``run_dir/evaluation.json`` under the split's name.
    """
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    data = build_data(cfg)
    model = load(run_dir, device)
    result = elbo_terms(model, data.split(split), batch_size, device, seed=seed, bundle=data)
    path = run_dir / EVALUATION_FILE
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing[split] = result
    atomic_write_text(path, json.dumps(existing, indent=2))
    return result
