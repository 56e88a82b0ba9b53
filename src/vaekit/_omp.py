"""Choose how OpenMP threads wait, before PyTorch loads its OpenMP runtime.

PyTorch's CPU kernels run on OpenMP threads that meet at a barrier after every parallel
operation. GNU OpenMP's default lets a waiting thread spin for about 300,000 rounds before
it sleeps: on an idle machine that is fast, but next to other programs a spinning thread
burns the time slice that the thread it waits for needs. A passive policy (sleep at once)
costs a wake-up per operation instead: on the 2-core development machine the default MLP
training ran 1.4-1.6x slower alone with it than with spinning (``benchmarks/busy_cpu.py``).
vaekit sets a short spin (``GOMP_SPINCOUNT=3000``, then sleep), which keeps nearly all of
the speed of spinning alone; under load vaekit also drops to the cores other programs leave
free (:mod:`vaekit.cpu_load`), where one thread never waits at a barrier at all.

The runtime reads the variables once, when it loads, so this module must run before
``import torch``; ``vaekit/__init__`` imports it first. A choice the user made
(``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``) is kept.
"""

from __future__ import annotations

import os

SPIN_COUNT = "3000"

if not os.environ.get("OMP_WAIT_POLICY") and not os.environ.get("GOMP_SPINCOUNT"):
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
