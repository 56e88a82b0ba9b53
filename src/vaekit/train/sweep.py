"""``sweep``: one run per value of a configuration option, and a comparison of the runs."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console

from vaekit.config import Config
from vaekit.errors import ConfigError, DataError, TrainingError
from vaekit.eval.evaluate import evaluate_run
from vaekit.io.run import Run
from vaekit.io.safe import atomic_write_text
from vaekit.render.bars import draw_sweep
from vaekit.train.api import train, validate_config
from vaekit.train.threads import usable_cores
from vaekit.train.trainer import resolve_device

SWEEP_JSON = "sweep.json"
SWEEP_TABLE = "sweep.md"
SWEEP_FIGURE = "sweep.png"
#: (result key, label) of the comparison table and figure
COLUMNS = (
    ("loss", "loss (-ELBO, nats)"),
    ("reconstruction", "reconstruction (nats)"),
    ("kl", "KL (nats)"),
    ("active_units", "active units"),
)


def parse_param(text: str) -> tuple[str, list[str]]:
    """``"beta=1,2,4"`` -> ``("beta", ["1", "2", "4"])``.

    Values are separated by commas, or by semicolons when a value itself holds commas
    (``"hidden=512,256;256,128"``).
    """
    if "=" not in text:
        raise ConfigError(f"--param expects name=value1,value2,..., got {text!r}")
    name, rest = (s.strip() for s in text.split("=", 1))
    sep = ";" if ";" in rest else ","
    values = [v.strip() for v in rest.split(sep) if v.strip()]
    if not name or not values:
        raise ConfigError(f"--param expects name=value1,value2,..., got {text!r}")
    if len(set(values)) != len(values):
        raise ConfigError(f"--param {name} repeats a value: {', '.join(values)}")
    return name, values


def sweep(
    cfg: Config,
    param: str,
    values: Sequence[Any],
    out: str | Path,
    quiet: bool = True,
    console: Console | None = None,
    jobs: int = 1,
) -> list[dict[str, Any]]:
    """Train one run per value of ``param`` and compare them on the test (else val) split.

    Parameters
    ----------
    cfg
        The configuration shared by all runs (its ``out`` is ignored).
    param
        A configuration key (``beta``, ``train.kl_schedule``, ``kl-schedule``, ...).
    values
        The values, as Python values or strings parsed like ``--set`` values.
    out
        The sweep directory: each run goes to ``out/<param>=<value>``; the comparison to
        ``sweep.json``, ``sweep.md`` and ``sweep.png``.
    jobs
        Trainings run at once, each in its own process with an equal share of the CPU
        threads (``train.threads``, else the usable cores, divided by ``jobs``). On a
        CUDA device they share the GPU.

    Returns
    -------
    list of dict
        One row per run: the value, the run directory, the epochs, training seconds, the
        split and its loss, reconstruction, KL and active units.
    """
    console = console or Console(stderr=True)
    out = Path(out)
    section, name = cfg.resolve_key(param)
    key = f"{section}.{name}"
    if key == "train.device" or section not in ("model", "data", "train"):
        raise ConfigError(f"cannot sweep over {key}")
    configs = []
    for value in values:
        run_cfg = Config.from_dict(cfg.to_dict())
        if isinstance(value, str):
            run_cfg.set_from_string(f"{key}={value}")
        else:
            run_cfg.set(key, value)
        run_cfg.out = str(out / f"{name}={value}")
        validate_config(run_cfg)
        if Path(run_cfg.out).exists():
            raise ConfigError(f"{run_cfg.out} already exists; give the sweep another --out")
        configs.append((value, run_cfg))  # every value is checked before any training
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    if jobs > 1:
        runs = train_in_processes([c for _, c in configs], jobs, console)
    else:
        runs = []
        for i, (value, run_cfg) in enumerate(configs, 1):
            console.print(f"sweep {name} {i}/{len(configs)}: {name}={value} -> {run_cfg.out}")
            runs.append(train(run_cfg, quiet=quiet, console=console))
    rows = []
    for (_, run_cfg), run in zip(configs, runs, strict=True):
        device = resolve_device(run_cfg.train.device)
        split = "test"
        try:
            res = evaluate_run(run, split, ["elbo", "latent"], device=device)
        except DataError as e:  # a dataset without a test split: compare on validation
            if "no test split" not in str(e):
                raise
            split = "val"
            res = evaluate_run(run, split, ["elbo", "latent"], device=device)
        records = Run.open(run, "train").records()
        rows.append({
            name: getattr(getattr(run_cfg, section), name), "run": str(run), "epochs": len(records),
            "seconds": round(sum(r["seconds"] for r in records), 1), "split": split,
            **{k: res[k] for k, _ in COLUMNS},
        })  # fmt: skip
    write_sweep(rows, name, out)
    return rows


def train_in_processes(configs: Sequence[Config], jobs: int, console: Console) -> list[Path]:
    """Train each configuration in a ``vaekit train`` process, ``jobs`` at a time.

    Each process gets ``max(1, threads // jobs)`` CPU threads, ``threads`` being the
    configured count or the usable cores. A failed run raises one line naming it.
    """
    share = max(1, (configs[0].train.threads or usable_cores()) // jobs)
    total = len(configs)

    def run_one(item: tuple[int, Config]) -> Path:
        i, cfg = item
        run_cfg = Config.from_dict(cfg.to_dict())
        run_cfg.train.threads = share
        with tempfile.TemporaryDirectory(prefix="vaekit-sweep-") as tmp:
            path = Path(tmp) / "config.yaml"
            path.write_text(run_cfg.to_yaml())
            console.print(f"sweep {i}/{total} started ({share} threads): {cfg.out}")
            proc = subprocess.run(
                [sys.executable, "-m", "vaekit", "train", "--config", str(path), "-q"],
                capture_output=True, text=True,
            )  # fmt: skip
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            why = lines[-1] if lines else f"exit status {proc.returncode}"
            raise TrainingError(f"sweep run {cfg.out} failed: {why}")
        console.print(f"sweep {i}/{total} done: {cfg.out}")
        return Path(str(cfg.out))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_one, enumerate(configs, 1)))


def write_sweep(rows: list[dict[str, Any]], name: str, out: Path) -> None:
    """``sweep.json`` (rows), ``sweep.md`` (table) and ``sweep.png`` (one panel per column)."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / SWEEP_JSON, json.dumps({"param": name, "runs": rows}, indent=2))
    cols = [name, "epochs", "seconds"] + [label for _, label in COLUMNS]
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for r in rows:
        cells = [str(r[name]), str(r["epochs"]), f"{r['seconds']:.1f}"]
        cells += [f"{r[k]:.2f}" if isinstance(r[k], float) else str(r[k]) for k, _ in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    split = rows[0]["split"] if rows else "test"
    table = f"Sweep over {name} ({split} split)\n\n" + "\n".join(lines) + "\n"
    atomic_write_text(out / SWEEP_TABLE, table)
    draw_sweep(rows, name, COLUMNS, out / SWEEP_FIGURE, f"Sweep over {name} ({split} split)")
