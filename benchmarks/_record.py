"""Append a section to benchmarks/RESULTS.md with the command, machine and date."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

import torch

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores "
        f"({torch.get_num_threads()} torch threads), torch {torch.__version__}"
    )


def append_results(title: str, body: str) -> None:
    """Append ``body`` under ``title`` with the command line, machine and date."""
    script = f"benchmarks/{Path(sys.argv[0]).name}"
    command = " ".join(["python", script, *sys.argv[1:]])
    stamp = datetime.date.today().isoformat()
    text = (
        f"\n## {title}\n\n- command: `{command}`\n- machine: {machine()}\n- date: {stamp}\n\n"
        f"{body.strip()}\n"
    )
    with RESULTS.open("a") as f:
        f.write(text)
    print(text)
