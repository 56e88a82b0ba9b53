"""Paths between two latent codes: linear and spherical interpolation."""

from __future__ import annotations

import torch

from vaekit.errors import ConfigError


def lerp(za: torch.Tensor, zb: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points on the segment from ``za`` to ``zb`` ``(D,)``: ``(steps, D)``."""
    if steps < 2:
        raise ConfigError(f"steps must be >= 2, got {steps}")
    t = torch.linspace(0, 1, steps, dtype=za.dtype, device=za.device).unsqueeze(1)
    z = (1 - t) * za + t * zb
    z[0], z[-1] = za, zb  # exact endpoints
    return z


def slerp(za: torch.Tensor, zb: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation (White 2016): ``(steps, D)``, exact at the endpoints.

    Falls back to :func:`lerp` when the two codes are (anti)parallel or zero.
    """
    if steps < 2:
        raise ConfigError(f"steps must be >= 2, got {steps}")
    na, nb = za.norm(), zb.norm()
    if na == 0 or nb == 0:
        return lerp(za, zb, steps)
    cos = torch.clamp(torch.dot(za / na, zb / nb), -1.0, 1.0)
    omega = torch.arccos(cos)
    if torch.sin(omega).abs() < 1e-6:
        return lerp(za, zb, steps)
    t = torch.linspace(0, 1, steps, dtype=za.dtype, device=za.device).unsqueeze(1)
    z = (torch.sin((1 - t) * omega) * za + torch.sin(t * omega) * zb) / torch.sin(omega)
    z[0], z[-1] = za, zb
    return z
