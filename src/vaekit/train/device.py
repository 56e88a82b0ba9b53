"""Choosing the training device, and a CPU setting that keeps training fast."""

from __future__ import annotations

import torch

from vaekit.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for, but no CUDA GPU is available")
    return device


def flush_denormals() -> None:
    """Flush denormal floats to zero on CPU.

    Adam's second moments for parameters that never get a gradient (e.g. the weights of
    MNIST's always-black border pixels) decay into denormal floats, which x86 CPUs process
    many times slower: without this, epochs get ~1.7x slower as training goes on. The
    setting is per thread and PyTorch's worker threads copy it when they start, so it
    reaches them only when set before the first parallel operation: ``vaekit train``
    (and :func:`vaekit.fit`) set it first thing.
    """
    torch.set_flush_denormal(True)
