# %% [markdown]
# # Training at scale: resume, threads, several processes, a GPU
#
# Long fits get interrupted, machines have more cores than one process uses well, and the
# same command should run on a laptop, on several processes and on a GPU. This tutorial
# shows, with the command line:
#
# - stopping a fit after two epochs and resuming it to four, and that the result is the one
#   an uninterrupted fit gives;
# - fixing the CPU thread count, and what it does to the speed;
# - data-parallel training under `torchrun` (DDP), here two CPU processes;
# - the flags of a GPU run.
#
# The commands run through `vaekit.cli.app.main`, which takes the same arguments as the
# `vaekit` executable, so that each step is the exact line you would type. With
# `VAEKIT_TUTORIAL_SMOKE=1` every fit uses 600 MNIST digits and a small network; without
# it, full MNIST (a few minutes on two CPU cores).

# %%
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

import vaekit
from vaekit.cli.app import main

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"  # CI: tiny epochs/data, seconds
OUT = Path(os.environ.get("VAEKIT_TUTORIAL_OUT", Path(__file__).resolve().parent / "figures"))
OUT = OUT / "at_scale"
OUT.mkdir(parents=True, exist_ok=True)
RUNS = Path(tempfile.mkdtemp(prefix="vaekit-scale-"))  # the run directories

# flags every fit below shares: the data and the network size
SIZE = ["--set", "data.max_examples=600", "--val-size", "100", "--hidden", "64",
        "--set", "train.held_out_examples=200"] if SMOKE else []  # fmt: skip
COMMON = ["--latent-dim", "8", "-q", *SIZE]


def vaekit_cli(args: list[str]) -> None:
    """Run one ``vaekit`` command line in this process (it ends with ``SystemExit``, as the
    executable exits); a non-zero status is raised."""
    try:
        main(args)
    except SystemExit as e:
        if e.code:
            raise


def records(run: Path) -> list[dict]:
    """The per-epoch lines of ``metrics.jsonl``."""
    return vaekit.Run.open(run).records()


# %% [markdown]
# ## Resume
#
# A fit writes a checkpoint at the end of every epoch (`train.checkpoint_every`): weights,
# optimizer state, the random number generators' states, the step and the KL schedule's
# position. Ctrl-C, a lost SSH session or a job scheduler's time limit stops the fit; the
# message ends with `continue with: vaekit resume RUN`, which picks up from the last
# checkpoint. `--epochs` sets a new total, so a finished fit can also be extended.
#
# We train for 2 epochs, then resume to 4:
#
# ```bash
# vaekit train --epochs 2 --out runs/a
# vaekit resume runs/a --epochs 4
# ```

# %%
run_a = RUNS / "a"
vaekit_cli(["train", "--epochs", "2", "--threads", "2", "--out", str(run_a), *COMMON])
vaekit_cli(["resume", str(run_a), "--epochs", "4", "-q"])
for r in records(run_a):
    print(f"epoch {r['epoch']}  step {r['step']:5d}  val loss {r['val_loss']:.4f}")

# %% [markdown]
# The records continue where they stopped: epochs 3 and 4 follow epoch 2, and the step
# count goes on. On CPU with a fixed thread count the resumed fit is bit-identical to one
# that was never interrupted; a thread count that follows the machine's load would change
# the order of floating-point sums (which is why the commands above give `--threads`).
# Here is the uninterrupted fit beside it:
#
# ![Validation loss, resumed against uninterrupted](figures/at_scale/resume.png)

# %%
run_b = RUNS / "b"
vaekit_cli(["train", "--epochs", "4", "--threads", "2", "--out", str(run_b), *COMMON])
resumed = [r["val_loss"] for r in records(run_a)]
straight = [r["val_loss"] for r in records(run_b)]
print("identical:", resumed == straight)
assert resumed == straight

plt.figure(figsize=(5.5, 3))
epochs = range(1, len(straight) + 1)
plt.plot(epochs, straight, "o-", label="4 epochs in one go", lw=4, alpha=0.4)
plt.plot(epochs, resumed, "x--", color="C3", label="2 epochs, then resumed to 4")
plt.axvline(2.5, color="0.6", ls=":")
plt.xlabel("epoch")
plt.ylabel("validation loss (nats)")
plt.legend()
plt.tight_layout()
plt.savefig(OUT / "resume.png", dpi=100)
plt.close()

# %% [markdown]
# `vaekit resume` continues the fits of the applications too (`anomaly fit`, `impute fit`,
# `synth fit`, `recommend fit`), and from Python `vaekit.resume(run, epochs=4)` does the same.
#
# ## Threads
#
# On CPU, vaekit uses the free cores by default and re-checks the load every second, so a
# fit shares a busy machine politely. `--threads N` fixes the count (needed for bit-exact
# resumes and for timing). Each epoch's record holds its throughput, `samples_per_s`, and the
# thread count it ran with:
#
# ![Training throughput by thread count](figures/at_scale/threads.png)
#
# Small networks and small batches gain little from more threads: the work per step is too
# small to split. Raise `--batch-size` (and the learning rate with it) to use more cores.

# %%
speed = {}
for threads in (1, 2):
    run_t = RUNS / f"threads-{threads}"
    vaekit_cli(["train", "--epochs", "2", "--threads", str(threads), "--out", str(run_t), *COMMON])
    last = records(run_t)[-1]
    speed[threads] = last["samples_per_s"]
    print(f"{last['threads']} thread(s): {speed[threads]:,.0f} samples/s")

plt.figure(figsize=(4, 3))
plt.bar([str(t) for t in speed], list(speed.values()), color="C0")
plt.xlabel("--threads")
plt.ylabel("training samples / s")
plt.tight_layout()
plt.savefig(OUT / "threads.png", dpi=100)
plt.close()

# %% [markdown]
# ## Several processes: DDP under torchrun
#
# `vaekit train` runs under `torchrun` unchanged. The processes train one model with
# PyTorch's `DistributedDataParallel` (gloo on CPU, NCCL on GPUs, one GPU per process).
# `--batch-size` stays the *global* batch, split across the processes, and the noise of every
# example is drawn as in a single process, so the run takes the same steps as one process
# would, up to float rounding (the all-reduce sums gradients in another order). Rank 0 writes
# the run directory; its checkpoints are the single-process format, so a DDP fit resumes in
# one process and the other way round.
#
# ```bash
# torchrun --standalone --nproc-per-node 2 -m vaekit train --epochs 2 --out runs/ddp
# # 2 machines with 8 GPUs each: the same line on both, one rendezvous endpoint
# torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST0:29500 \
#     --rdzv-id vae-run -m vaekit train --epochs 50
# ```
#
# We run the first line for real (`torchrun` is `python -m torch.distributed.run`), with two
# CPU processes of one thread each, and compare its validation loss with a single process's.

# %%
run_ddp = RUNS / "ddp"
command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", "-m", "vaekit", "train", "--epochs", "2", "--out", str(run_ddp),
           *COMMON]  # fmt: skip
print(" ".join(command[1:]))
subprocess.run(command, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
ddp = records(run_ddp)[-1]
single = records(RUNS / "threads-1")[-1]  # the same fit in one process
print(f"val loss after 2 epochs: 2 processes {ddp['val_loss']:.3f}, "
      f"1 process {single['val_loss']:.3f}")  # fmt: skip
print(json.dumps({k: ddp[k] for k in ("epoch", "step", "samples_per_s")}))

# %% [markdown]
# The two agree to float rounding, not necessarily bit for bit: the rounding differences
# grow as training goes on (the same training, not the same bits). The step counts agree
# exactly.
#
# ## A GPU run
#
# On a CUDA machine `--device auto` (the default) already picks the GPU. Two flags speed it
# up further: `--bf16` runs the forward pass under bfloat16 autocast, and `--compile` compiles
# the loss with `torch.compile` (the first steps are slower while it compiles). Data that fits
# on the device is moved there once and batches are slices of it, with no host round-trip per
# step.
#
# ```bash
# vaekit train --device cuda --bf16 --compile --epochs 50 --batch-size 512 --lr 2e-3
# torchrun --standalone --nproc-per-node 4 -m vaekit train --bf16 --compile --epochs 50
# ```
#
# The cell below runs the first line for one epoch where a GPU is present, and skips it
# elsewhere.

# %%
if torch.cuda.is_available():
    vaekit_cli(["train", "--device", "cuda", "--bf16", "--compile", "--epochs", "1",
                "--out", str(RUNS / "gpu"), "-q", *SIZE])  # fmt: skip
    print(records(RUNS / "gpu")[-1]["samples_per_s"], "samples/s on", torch.cuda.get_device_name())
else:
    print("no CUDA device here: the GPU run is skipped")

# %%
shutil.rmtree(RUNS, ignore_errors=True)
