"""Set OpenMP's wait policy before PyTorch loads its OpenMP runtime.

PyTorch's CPU kernels run on OpenMP threads that, by default, spin at every barrier while
they wait for their siblings. When two processes share the cores (two trainings, a
training next to another program), a spinning thread burns the time slice that the
thread it waits for needs, and both jobs crawl: measured on a 2-core machine, two default
``vaekit train`` processes ran 57x slower than one (``benchmarks/concurrent_training.py``).
A passive policy (threads sleep while they wait) brings that down to about 2x, the fair
share, and costs about 12% on an otherwise idle machine. The runtime reads the variable
once, when it loads, so this module must run before ``import torch``; ``vaekit/__init__``
imports it first. A value the user set (``OMP_WAIT_POLICY=ACTIVE`` for a dedicated machine)
is kept.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
