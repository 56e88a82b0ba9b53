"""CPU threads for training and evaluation: a fair share of the cores this process may use."""

from __future__ import annotations

import os
import time

import torch
from rich.console import Console

from vaekit.errors import ConfigError


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def local_processes() -> int:
    """Processes of this job on this node (``torchrun``'s ``LOCAL_WORLD_SIZE``, else 1)."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def default_threads() -> int:
    """Usable cores divided by the job's processes on this node, at least 1."""
    return max(1, usable_cores() // local_processes())


def set_threads(
    requested: int | None = None, console: Console | None = None, warn: bool = True
) -> int:
    """Set PyTorch's intra-op threads to ``requested`` (``None`` or 0: the default share,
    or what ``OMP_NUM_THREADS`` asked for when it is set).

    With ``warn``, prints a one-line warning when the job's threads exceed the usable
    cores, or when other programs already keep most cores busy (sampled from
    ``/proc/stat``): either way the job shares the CPU and runs slower than it would alone.
    Returns the thread count set.
    """
    if requested is not None and requested < 0:
        raise ConfigError(f"bad value for train.threads: {requested} (must be >= 0; 0 = auto)")
    if requested:
        n = requested
    elif os.environ.get("OMP_NUM_THREADS", "").strip().isdigit():
        n = max(1, int(os.environ["OMP_NUM_THREADS"]))
    else:
        n = default_threads()
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
    else:
        busy = busy_cores()
        if busy is not None and busy >= 0.75 * cores:
            console.print(
                f"[yellow]warning: other programs keep {busy:.1f} of {cores} cores busy; "
                "training shares them and runs slower (--threads sets vaekit's share)"
            )
    return n


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from ``/proc/stat`` (None off Linux)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(interval: float = 0.1) -> float | None:
    """How many cores of the machine other programs use now, sampled over ``interval`` s."""
    first = _cpu_times()
    if first is None:
        return None
    time.sleep(interval)
    second = _cpu_times()
    if second is None or second[1] <= first[1]:
        return None
    share = (second[0] - first[0]) / (second[1] - first[1])
    return share * (os.cpu_count() or 1)
