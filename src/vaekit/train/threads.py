"""CPU threads for training and evaluation: a fair share of the cores this process may use."""

from __future__ import annotations

import os
import time

import torch
from rich.console import Console

from vaekit.cpu_load import (
    follows_load,
    free_threads,
    local_processes,
    others_busy,
    snapshot,
    usable_cores,
)
from vaekit.errors import ConfigError

__all__ = ["busy_cores", "default_threads", "local_processes", "set_threads", "usable_cores"]


def default_threads() -> int:
    """Usable cores divided by the job's processes on this node, at least 1."""
    return max(1, usable_cores() // local_processes())


def set_threads(
    requested: int | None = None, console: Console | None = None, warn: bool = True
) -> int:
    """Set PyTorch's intra-op threads to ``requested`` (``None`` or 0: the default share,
    or what ``OMP_NUM_THREADS`` asked for when it is set).

    The default share is the usable cores divided by the job's processes on this node; a
    single process takes only the cores that other programs leave free now (sampled from
    ``/proc/stat``), and the trainer follows the load from then on
    (:class:`vaekit.cpu_load.LoadFollower`). With ``warn``, prints a one-line warning when
    the job's threads exceed the usable cores, or when other programs keep most cores busy.
    Returns the thread count set.
    """
    if requested is not None and requested < 0:
        raise ConfigError(f"bad value for train.threads: {requested} (must be >= 0; 0 = auto)")
    auto = follows_load(requested)
    busy = busy_cores() if auto or warn else None
    if requested:
        n = requested
    elif os.environ.get("OMP_NUM_THREADS", "").strip().isdigit():
        n = max(1, int(os.environ["OMP_NUM_THREADS"]))
    else:
        n = default_threads()
        if auto and busy is not None:
            n = free_threads(busy, n)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    if not warn:
        return n
    cores, procs = usable_cores(), local_processes()
    console = console or Console(stderr=True)
    if n * procs > cores:
        console.print(
            f"[yellow]warning: {n} threads x {procs} process(es) on {cores} usable cores: "
            "the CPU is oversubscribed and each step waits for descheduled threads; "
            f"use --threads {max(1, cores // procs)}"
        )
    elif busy is not None and busy >= 0.75 * cores:
        follow = (
            f"vaekit uses {n} thread(s) on the free cores and follows the load"
            if auto
            else "training shares them and runs slower (--threads sets vaekit's share)"
        )
        console.print(
            f"[yellow]warning: other programs keep {busy:.1f} of {cores} cores busy; {follow}"
        )
    return n


def busy_cores(interval: float = 0.1) -> float | None:
    """How many of the usable cores other programs use now, sampled over ``interval`` s
    (this process's own CPU time left out); ``None`` off Linux."""
    first = snapshot()
    if first is None:
        return None
    time.sleep(interval)
    second = snapshot()
    if second is None or second[1] <= first[1]:
        return None
    return others_busy(first, second)
