"""Epoch records (the lines of ``metrics.jsonl``) and the console lines of a training run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from vaekit.data import DataBundle
from vaekit.io.safe import atomic_write_text
from vaekit.train import distributed


class EpochTotals:
    """Running sums over an epoch's examples: total loss, reconstruction and KL, and the
    model's extra terms (``LossOutput.extra``)."""

    def __init__(self, device: torch.device) -> None:
        self.sums = torch.zeros(3, device=device)  # (3,) sum over examples of total, recon, kl
        self.extras: dict[str, torch.Tensor] = {}
        self.n = 0

    def add(self, total: torch.Tensor, out: Any, b: int) -> None:
        """Count a batch of ``b`` examples whose mean loss is ``total``."""
        for key, value in out.extra.items():
            self.extras[key] = self.extras.get(key, 0.0) + value.detach().float() * b
        terms = [total.detach(), out.reconstruction.detach().float(), out.kl.detach().float()]
        self.sums += torch.stack(terms) * b  # (3,)
        self.n += b

    def progress(self, seconds: float) -> str:
        """The progress bar's metrics: running means of loss, recon and KL, and the speed."""
        m = (self.sums / self.n).tolist()
        rate = self.n / seconds
        return f"loss {m[0]:.2f}  recon {m[1]:.2f}  KL {m[2]:.2f}  {rate:,.0f} samples/s"

    def record(self, info: distributed.DistInfo) -> dict[str, Any]:
        """The epoch's means over every rank's examples, as ``train_*`` record entries."""
        sums, extras, n = distributed.sum_epoch_totals(self.sums, self.extras, self.n, info)
        self.n = n
        train = (sums / max(n, 1)).tolist()
        record = {"train_loss": train[0], "train_recon": train[1], "train_kl": train[2]}
        record.update({f"train_{k}": float(v) / max(n, 1) for k, v in extras.items()})
        return record


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl``; a line cut short by a kill is dropped."""
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("epoch"), int):
            records.append(record)
    return records


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Add ``record`` as the last line of ``path``, rewriting the file atomically."""
    old = path.read_text() if path.exists() else ""
    atomic_write_text(path, old + json.dumps(record) + "\n")


def keep_records(path: Path, last_epoch: int) -> None:
    """Drop the lines of ``path`` written after epoch ``last_epoch`` (and cut-short lines)."""
    keep = [r for r in read_records(path) if r["epoch"] <= last_epoch]
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in keep))


def layers_text(record: dict[str, Any]) -> str:
    """``"  (z1: KL 20.10, 14 AU; z2: KL 3.00, 2 AU)"`` for models with several layers."""
    names = [k.removeprefix("active_units_") for k in record if k.startswith("active_units_")]
    parts = []
    for name in names:
        kl = record.get(f"val_kl_{name}", record.get(f"train_kl_{name}"))
        kl_txt = f"KL {kl:.2f}, " if kl is not None else ""
        parts.append(f"{name}: {kl_txt}{record[f'active_units_{name}']} AU")
    return f"  ({'; '.join(parts)})" if parts else ""


def code_text(record: dict[str, Any]) -> str:
    """``"recon 80.12 (perplexity 76.6)  val recon 82.40 (-ELBO 313.99)"`` for a model with a
    discrete code, whose train objective (reconstruction + commitment) has no KL term and
    whose -ELBO adds the constant KL of the codes' uniform prior."""
    text = f"recon {record['train_recon']:.2f}"
    if "train_perplexity" in record:
        text += f" (perplexity {record['train_perplexity']:.1f})"
    if "val_recon" in record:
        text += f"  val recon {record['val_recon']:.2f} (-ELBO {record['val_loss']:.2f})"
    return text


def setup_notes(config: Any, model: Any, device: torch.device) -> list[str]:
    """Notes worth a line before training: bf16 off the GPU, a model that wants KL warm-up."""
    notes = []
    if config.bf16 and device.type != "cuda":
        notes.append("bf16 autocast applies on CUDA only; training in float32")
    advice = model.kl_warmup_advice
    if advice and config.kl_schedule == "constant":
        notes.append(f"note: {advice}")
    return notes


def where_text(device: torch.device, follows_load: bool, world_size: int) -> str:
    """``"cpu, 2 threads (following the load)"``, ``"cuda:0, 4 processes"``."""
    where = str(device)
    if device.type == "cpu":
        follow = " (following the load)" if follows_load else ""
        where += f", {torch.get_num_threads()} threads{follow}"
    if world_size > 1:
        where += f", {world_size} processes"
    return where


def add_speed(
    record: dict[str, Any],
    beta: float,
    lr: float,
    seconds: float,
    n: int,
    threads: int | None,
    threads_auto: bool = False,
) -> None:
    """The epoch's KL weight, learning rate, time and speed (and, on CPU, ``threads``: the
    count at the end of the epoch, and ``threads_auto``: whether that count follows the
    machine's load, so that a resumed run may not be bit-identical)."""
    record.update(beta=beta, lr=lr, seconds=seconds, samples_per_s=n / seconds)
    if threads is not None:
        record.update(threads=threads, threads_auto=threads_auto)
    if "train_tokens" in record:  # sequences: mean tokens per example -> tokens/s
        record["tokens_per_s"] = record["samples_per_s"] * record["train_tokens"]


def start_line(model: torch.nn.Module, data: DataBundle, where: str, done: int, epochs: int) -> str:
    """``"training vae (4,518 parameters), 4 epochs on 144 train / 48 val examples of s;
    cpu, 2 threads"``: what is about to train, from epoch ``done + 1`` of ``epochs``."""
    params = sum(p.numel() for p in model.parameters())
    val = f" / {len(data.val):,} val" if data.val is not None else ""
    span = f"epochs {done + 1}-{epochs}" if done else f"{epochs} epochs"
    name = getattr(model, "registry_name", type(model).__name__)
    return (
        f"training {name} ({params:,} parameters), {span} on {len(data.train):,} "
        f"train{val} examples of {data.name}; {where}"
    )


def epoch_line(record: dict[str, Any], gaussian_latent: bool, selection: str | None) -> str:
    """One epoch's console line: losses, validation, active units, time and speed.

    ``selection`` names the score that selects the best epoch (logged as ``val_<name>``);
    a model without a Gaussian latent (a discrete code) reports its reconstruction."""
    val_txt = f"  val {record['val_loss']:.2f}" if "val_loss" in record else ""
    if selection is not None:
        val_txt += f"  val {selection} {record[f'val_{selection}']:.4f}"
    rate = (f"{record['tokens_per_s']:,.0f} tokens/s" if "tokens_per_s" in record
            else f"{record['samples_per_s']:,.0f} samples/s")  # fmt: skip
    timing = f"{record['seconds']:.1f}s  {rate}"
    if not gaussian_latent:  # the train objective has no KL: compare recon
        return f"epoch {record['epoch']}: {code_text(record)}  {timing}"
    au = f"  {record['active_units']} AU" if "active_units" in record else ""
    return (
        f"epoch {record['epoch']}: loss {record['train_loss']:.2f} (recon "
        f"{record['train_recon']:.2f}, KL {record['train_kl']:.2f}){val_txt}{au}"
        f"{layers_text(record)}  {timing}"
    )
