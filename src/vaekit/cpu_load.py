"""Follow the load of other programs: intra-op threads only on the cores they leave free.

PyTorch's CPU kernels split each operation over OpenMP threads that meet at a barrier when
it ends. When another program holds a core, one of those threads is descheduled and the
others wait at every barrier until the scheduler gives it a turn: a training step, made of
hundreds of small operations, then runs many times slower than its fair share of the CPU.
With one thread per core that other programs leave free, there is no such wait (one thread
needs no barrier), and the job runs at its share of the machine. Measured on a 2-core
machine next to 1 and 3 CPU-bound processes: ``benchmarks/busy_cpu.py``.

:class:`LoadFollower` samples ``/proc/stat`` (the whole machine) and this process's own CPU
time, so that what other programs use is known even while vaekit's threads run, and sets
``torch.set_num_threads`` to the free cores, at most the count it started with. Polling is
cheap (a clock read) except once per ``interval`` seconds (one ``/proc/stat`` read).
"""

from __future__ import annotations

import os
import time

import torch

#: a core counts as free while other programs use less than this much of it
BUSY_SHARE = 0.3
#: seconds before the first look (a job started on a busy machine adapts at once)
FIRST_LOOK = 0.25
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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


def machine_ticks() -> tuple[int, int, int] | None:
    """(busy, total, cpus) clock ticks of all CPUs since boot, from ``/proc/stat``.

    ``busy`` counts everything but idle and I/O wait (steal included: a hypervisor that
    takes a core is load too). ``None`` off Linux.
    """
    try:
        with open("/proc/stat") as f:
            first = f.readline().split()
            cpus = sum(1 for line in f if line.startswith("cpu"))
        fields = [int(v) for v in first[1:9]]  # guest time is already inside user time
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields), max(1, cpus)


def own_ticks() -> float:
    """CPU time of this process (all its threads), in clock ticks."""
    t = os.times()
    return (t.user + t.system) * _TICKS


def others_busy(before: tuple[int, int, int, float], after: tuple[int, int, int, float]) -> float:
    """Cores that other programs used between two :func:`snapshot` readings, scaled to the
    cores this process may run on."""
    busy = (after[0] - before[0]) - (after[3] - before[3])
    elapsed = (after[1] - before[1]) / after[2]  # ticks of one CPU
    if elapsed <= 0:
        return 0.0
    return max(0.0, busy / elapsed) * usable_cores() / after[2]


def snapshot() -> tuple[int, int, int, float] | None:
    """Machine ticks and this process's ticks at one moment (``None`` off Linux)."""
    ticks = machine_ticks()
    return None if ticks is None else (*ticks, own_ticks())


def free_threads(others: float, ceiling: int) -> int:
    """Threads for ``others`` busy cores: the free cores, between 1 and ``ceiling``."""
    return max(1, min(ceiling, int(usable_cores() - others + BUSY_SHARE)))


class LoadFollower:
    """Keep PyTorch's intra-op threads on the cores other programs leave free.

    Parameters
    ----------
    enabled
        ``False`` makes every call a no-op (a thread count the user fixed).
    ceiling
        Most threads to use (``None``: the thread count when the follower starts).
    interval
        Seconds between two looks at the machine's load.

    Use as a context manager and call :meth:`poll` often (each call costs a clock read until
    ``interval`` has passed). On exit the thread count it started with is restored.
    """

    def __init__(
        self, enabled: bool = True, ceiling: int | None = None, interval: float = 1.0
    ) -> None:
        self.enabled = enabled and machine_ticks() is not None
        self.interval = interval
        self.start = torch.get_num_threads()
        self.ceiling = max(1, ceiling or self.start)
        self.changes = 0
        self._last = snapshot() if self.enabled else None
        self._due = time.monotonic() + min(interval, FIRST_LOOK)

    def __enter__(self) -> LoadFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and torch.get_num_threads() != self.start:
            torch.set_num_threads(self.start)

    def poll(self) -> int:
        """Re-check the load when ``interval`` has passed; returns the thread count."""
        if not self.enabled or self.ceiling < 2 or time.monotonic() < self._due:
            return torch.get_num_threads()
        now = snapshot()
        self._due = time.monotonic() + self.interval
        if now is None or self._last is None:
            return torch.get_num_threads()
        n = free_threads(others_busy(self._last, now), self.ceiling)
        self._last = now
        if n != torch.get_num_threads():
            torch.set_num_threads(n)
            self.changes += 1
        return n


def follows_load(requested: int | None = None) -> bool:
    """Whether the thread count is vaekit's to choose: no count given (``requested`` 0 or
    ``None``), no ``OMP_NUM_THREADS``, and one process of the job on this node."""
    if requested:
        return False
    return not os.environ.get("OMP_NUM_THREADS", "").strip() and local_processes() == 1
