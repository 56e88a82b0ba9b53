"""Data-parallel training on ``torch.distributed``, launched by ``torchrun``.

``torchrun --nproc-per-node N -m vaekit train ...`` starts ``N`` processes with ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK`` in their environment; :func:`setup` joins them into a
process group (gloo on CPU, NCCL on CUDA). Gradients are averaged by
:class:`~torch.nn.parallel.DistributedDataParallel`; vaekit itself only shards the batches,
sums the logged metrics and averages the gradients of a model's extra optimizers, all
through ``torch.distributed`` collectives. Every collective has the process group's
timeout, so a rank that disappears ends the others with an error instead of a hang.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from vaekit.errors import ConfigError, TrainingError

DEFAULT_TIMEOUT_S = 120.0
_LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the job (a single process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        """More than one process trains together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes logs, checkpoints and weights."""
        return self.rank == 0


def launched() -> bool:
    """Whether this process was started by ``torchrun`` (or another launcher setting
    ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``)."""
    return all(v in os.environ for v in _LAUNCH_VARS)


def launch_rank() -> int:
    """This process's rank as the launcher set it (0 when not launched by one)."""
    try:
        return int(os.environ.get("RANK", "0"))
    except ValueError:
        return 0


def current() -> DistInfo:
    """The running process group's view of this process (single process when none)."""
    if not (dist.is_available() and dist.is_initialized()):
        return DistInfo()
    return DistInfo(
        dist.get_rank(),
        dist.get_world_size(),
        int(os.environ.get("LOCAL_RANK", 0)),
        str(dist.get_backend()),
    )


def setup(device: torch.device, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[DistInfo, bool]:
    """Join the process group when launched by ``torchrun``.

    Returns the process's :class:`DistInfo` and whether this call created the group (the
    caller then ends it with :func:`teardown`). The backend follows the device: NCCL for
    CUDA (each process on ``cuda:LOCAL_RANK``), gloo otherwise.
    """
    if dist.is_available() and dist.is_initialized():
        return current(), False
    if not launched():
        return DistInfo(), False
    if not dist.is_available():
        raise ConfigError("this PyTorch build has no torch.distributed; launch one process")
    if not timeout_s > 0:
        raise ConfigError(f"train.dist_timeout must be > 0 seconds, got {timeout_s}")
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local_rank = int(os.environ["LOCAL_RANK"])
    except ValueError:
        raise ConfigError("RANK, WORLD_SIZE and LOCAL_RANK must be integers") from None
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(
                f"LOCAL_RANK {local_rank} but only {torch.cuda.device_count()} GPU(s) here; "
                "use --nproc-per-node <= the GPU count"
            )
        torch.cuda.set_device(local_rank)
    try:
        dist.init_process_group(
            backend, rank=rank, world_size=world, timeout=timedelta(seconds=timeout_s)
        )
    except (RuntimeError, ValueError) as e:
        raise TrainingError(
            f"rank {rank}: could not join the {backend} process group of {world} within "
            f"{timeout_s:g} s ({_first_line(e)}); check that every rank was launched with the "
            "same rendezvous settings"
        ) from None
    return current(), True


def teardown() -> None:
    """Leave the process group once every rank is done with it."""
    if dist.is_available() and dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()


def local_device(device: torch.device, info: DistInfo) -> torch.device:
    """``cuda:LOCAL_RANK`` for a multi-process CUDA job; ``device`` otherwise."""
    if info.enabled and device.type == "cuda":
        return torch.device("cuda", info.local_rank)
    return device


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def collective_error(e: BaseException, info: DistInfo) -> TrainingError:
    """The one-line error for a collective that failed (a peer died, timed out or left)."""
    return TrainingError(
        f"rank {info.rank}: lost contact with the other ranks ({_first_line(e)}); another "
        "rank probably died or the network failed. Restart the job: resuming the run "
        "continues from its last checkpoint"
    )


def is_collective_failure(e: BaseException) -> bool:
    """Whether ``e`` came from the communication layer (a peer or the network), not a bug."""
    if isinstance(e, getattr(dist, "DistError", ())):
        return True
    text = str(e).lower()
    return isinstance(e, RuntimeError) and any(
        key in text for key in ("gloo", "nccl", "connection", "timed out", "timeout", "peer")
    )


def all_reduce_sum(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Sum ``t`` over the ranks, in place (nothing to do in a single process)."""
    if info.enabled:
        try:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        except RuntimeError as e:
            raise collective_error(e, info) from None
    return t


def batch_share(
    size: int, n_local: int, info: DistInfo
) -> tuple[AbstractContextManager[Any], float]:
    """This rank's share of a global batch of ``size`` (``n_local`` examples here): a context
    in which the noise follows the global batch, and the loss scale that makes DDP's
    gradient average the global-batch mean."""
    if not info.enabled:
        return nullcontext(), 1.0
    from vaekit.data import shard_bounds
    from vaekit.distributions.noise import batch_shard

    lo, hi = shard_bounds(size, info.rank, info.world_size)
    return batch_shard(lo, hi, size), n_local * info.world_size / size


def sum_epoch_totals(
    sums: torch.Tensor, extras: dict[str, torch.Tensor], n_seen: int, info: DistInfo
) -> tuple[torch.Tensor, dict[str, torch.Tensor], int]:
    """An epoch's per-rank sums (``sums`` (3,), the model's ``extras``, ``n_seen`` examples)
    summed over the ranks in one all-reduce, so that the logged means are global."""
    if not info.enabled:
        return sums, extras, n_seen
    keys = sorted(extras)
    n_t = torch.tensor([float(n_seen)], device=sums.device)
    parts = [sums, torch.stack([extras[k] for k in keys]) if keys else sums[:0], n_t]
    packed = torch.cat(parts)  # (3 + len(keys) + 1,)
    all_reduce_sum(packed, info)
    return packed[:3], {k: packed[3 + j] for j, k in enumerate(keys)}, int(round(float(packed[-1])))


def average_gradients(params: Iterable[nn.Parameter], info: DistInfo) -> None:
    """Average the gradients of ``params`` over the ranks (one flat all-reduce)."""
    if not info.enabled:
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    all_reduce_sum(flat, info).div_(info.world_size)
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def broadcast_text(text: str, info: DistInfo) -> str:
    """Rank 0's ``text`` on every rank (UTF-8 bytes in a tensor; no pickling)."""
    if not info.enabled:
        return text
    data = torch.tensor(list(text.encode()), dtype=torch.uint8)
    size = torch.tensor([data.numel()], dtype=torch.long)
    try:
        dist.broadcast(size, 0)
        buf = data if info.is_main else torch.zeros(int(size), dtype=torch.uint8)
        dist.broadcast(buf, 0)
    except RuntimeError as e:
        raise collective_error(e, info) from None
    return bytes(buf.tolist()).decode()


def barrier(info: DistInfo) -> None:
    """Wait for every rank."""
    if info.enabled:
        try:
            dist.barrier()
        except RuntimeError as e:
            raise collective_error(e, info) from None


def check_in_sync(module: nn.Module, info: DistInfo) -> None:
    """Raise when the ranks' copies of ``module`` (parameters and buffers) differ."""
    if not info.enabled:
        return
    tensors = [t.detach().float().reshape(-1) for t in module.state_dict().values()]
    if not tensors:
        return
    flat = torch.cat(tensors)
    lo, hi = flat.clone(), flat.clone()
    try:
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    except RuntimeError as e:
        raise collective_error(e, info) from None
    gap = float((hi - lo).abs().max())
    if not gap <= 1e-5 * (1.0 + float(flat.abs().max())):
        raise TrainingError(
            f"the ranks' model copies differ by up to {gap:.3g} after training; a parameter "
            "was updated outside DistributedDataParallel"
        )


class LossModule(nn.Module):
    """``forward`` is ``model.loss``, so that DDP sees the loss computation as a forward."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, y: torch.Tensor | None, **kwargs: Any) -> Any:
        return self.model.loss(x, y, **kwargs)


def wrap(model: nn.Module, device: torch.device, ignore: Iterable[nn.Parameter]) -> nn.Module:
    """``model.loss`` as a DDP module; ``ignore`` (e.g. a discriminator with its own
    optimizer, or a prior trained later) is left out of DDP's gradient averaging."""
    module = LossModule(model)
    skip = {id(p) for p in ignore}
    names = [f"model.{n}" for n, p in model.named_parameters() if id(p) in skip]
    if names:
        nn.parallel.DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
            module, names
        )
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)
