"""Importance-sampled evaluation stays within its memory budget (peak RSS, measured)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vaekit.eval.importance import plan_chunks
from vaekit.eval.memory import floats_per_sample
from vaekit.models import create_model

PROBE = r"""
import sys
import torch
from vaekit.data.base import Split
from vaekit.eval import iw_log_likelihood
from vaekit.models import create_model

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

memory_mb = float(sys.argv[1])
g = torch.Generator().manual_seed(0)
x = (torch.rand(400, 1, 28, 28, generator=g) > 0.7).float()
torch.manual_seed(0)
model = create_model("vae", input_shape=(1, 28, 28)).eval()
bound = iw_log_likelihood(model, Split(x[:2], None), 50, memory_mb)  # warm the allocator
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
base = status("VmRSS")
bound = iw_log_likelihood(model, Split(x, None), 2000, memory_mb)
assert torch.isfinite(bound).all()
print(status("VmHWM") - base)
"""


def test_plan_follows_the_decoder():
    mlp = create_model("vae", input_shape=(1, 28, 28))  # 784-512-256-20
    conv = create_model("vae", input_shape=(1, 28, 28), arch="conv")
    assert floats_per_sample(mlp) == 256 + 256 + 512 + 512 + 784 + 3 * 784
    assert floats_per_sample(conv) > 4 * floats_per_sample(mlp)  # feature maps dominate
    per_batch, per_chunk = plan_chunks(5000, floats_per_sample(mlp), 64)
    assert per_batch * per_chunk * floats_per_sample(mlp) * 4 <= 64 * 2**20
    assert plan_chunks(10, 1000, 1024)[1] == 10  # small k: all samples at once


@pytest.mark.e2e  # a fresh process
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize("memory_mb", [32, 256])
def test_peak_rss_within_budget(memory_mb):
    out = subprocess.run([sys.executable, "-c", PROBE, str(memory_mb)], capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    extra_mb = float(out.stdout.strip())
    assert extra_mb <= 1.5 * memory_mb, f"peak {extra_mb:.0f} MB over a {memory_mb} MB budget"
