"""Helpers shared by test files in several folders (``tests`` is on the path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import vaekit
from vaekit.cli.app import main
from vaekit.io.safe import load_tensors


def run_cli(args, capsys) -> tuple[int, str, str]:
    """Run ``vaekit ARGS`` in this process: (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def small_config(dataset, out, **train) -> vaekit.Config:
    """A small, quick training configuration on ``dataset`` into the run directory ``out``,
    with one fixed thread: runs compared bit for bit must not follow the machine's load."""
    cfg = vaekit.Config()
    cfg.data.dataset = str(dataset)
    cfg.data.val_size = 0.25
    cfg.data.binarize = "dynamic"
    cfg.model.hidden = [32]
    cfg.model.latent_dim = 3
    cfg.train.batch_size = 32
    cfg.train.epochs = 4
    cfg.train.kl_schedule = "linear"
    cfg.train.warmup_epochs = 3
    cfg.train.device = "cpu"
    cfg.train.threads = 1
    for k, v in train.items():
        setattr(cfg.train, k, v)
    cfg.out = str(out)
    return cfg


def weights(run: Path) -> dict[str, torch.Tensor]:
    """The final weights of a run."""
    return load_tensors(run / "model.safetensors")[0]


def metrics(run: Path) -> list[dict]:
    """The per-epoch records of a run."""
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
