"""Vector quantisation with an EMA codebook (van den Oord et al. 2017, appendix A.1)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from vaekit.errors import ConfigError


@dataclass
class Quantized:
    """What :class:`VectorQuantizerEMA` returns.

    Attributes
    ----------
    z_q
        Quantised codes ``(B, D, H, W)`` with straight-through gradients to ``z_e``.
    indices
        Code indices ``(B, H, W)``.
    commitment
        ``||z_e - sg(z_q)||^2``, mean over positions and dimensions (scalar).
    perplexity
        ``exp(H)`` of the batch's code histogram (scalar): the number of codes in use.
    """

    z_q: torch.Tensor
    indices: torch.Tensor
    commitment: torch.Tensor
    perplexity: torch.Tensor


class VectorQuantizerEMA(nn.Module):
    """Nearest-neighbour quantiser whose codebook follows EMA cluster means.

    In training mode each call updates ``cluster_size`` and ``embed_sum`` with decay
    ``decay``; the codebook is ``embed_sum / cluster_size`` with Laplace smoothing ``eps``.
    Codes whose EMA usage falls below ``dead_threshold`` restart at random encoder outputs
    of the batch (dead-code restarts). The first training batch initialises the codebook
    with random encoder outputs.

    Parameters
    ----------
    num_codes, code_dim
        ``K`` codes of dimension ``D``.
    """

    def __init__(
        self,
        num_codes: int,
        code_dim: int,
        decay: float = 0.99,
        eps: float = 1e-5,
        dead_threshold: float = 0.1,
    ) -> None:
        super().__init__()
        if num_codes < 2:
            raise ConfigError(f"num_codes must be >= 2, got {num_codes}")
        if not 0 < decay < 1:
            raise ConfigError(f"the EMA decay must lie in (0, 1), got {decay}")
        self.num_codes, self.code_dim = num_codes, code_dim
        self.decay, self.eps, self.dead_threshold = decay, eps, dead_threshold
        embed = torch.randn(num_codes, code_dim) / code_dim**0.5
        self.register_buffer("embed", embed)
        self.register_buffer("cluster_size", torch.ones(num_codes))
        self.register_buffer("embed_sum", embed.clone())
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))

    def nearest(self, flat: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code for each row of ``flat`` ``(N, D)``: ``(N,)``."""
        dist = (
            flat.pow(2).sum(1, keepdim=True)
            - 2 * flat @ self.embed.T
            + self.embed.pow(2).sum(1).unsqueeze(0)
        )  # (N, K)
        return dist.argmin(1)

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codes of ``indices`` ``(B, H, W)``: ``(B, D, H, W)``."""
        return self.embed[indices].permute(0, 3, 1, 2).contiguous()

    def forward(self, z_e: torch.Tensor) -> Quantized:
        b, d, h, w = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, d)  # (N, D)
        if self.training and not bool(self.initialized):
            self._init_from(flat.detach())
        idx = self.nearest(flat.detach())
        onehot = torch.zeros(idx.shape[0], self.num_codes, device=z_e.device, dtype=flat.dtype)
        onehot.scatter_(1, idx.unsqueeze(1), 1.0)
        if self.training:
            self._update(flat.detach(), onehot)
        z_q = self.embed[idx].view(b, h, w, d).permute(0, 3, 1, 2)
        commitment = (z_e - z_q.detach()).pow(2).mean()
        z_q = z_e + (z_q - z_e).detach()  # straight-through
        probs = onehot.mean(0)
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-10)).sum())
        return Quantized(z_q, idx.view(b, h, w), commitment, perplexity)

    @torch.no_grad()
    def _init_from(self, flat: torch.Tensor) -> None:
        pick = torch.randint(flat.shape[0], (self.num_codes,), device=flat.device)
        self.embed.copy_(flat[pick])
        self.embed_sum.copy_(flat[pick])
        self.cluster_size.fill_(1.0)
        self.initialized.fill_(True)
        _from_rank0(self.embed, self.embed_sum)

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, onehot: torch.Tensor) -> None:
        counts, sums = onehot.sum(0), onehot.T @ flat  # (K,), (K, D)
        _sum_over_ranks(counts, sums)  # data-parallel: the statistics of the global batch
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.num_codes * self.eps) * n
        self.embed.copy_(self.embed_sum / smoothed.unsqueeze(1))
        dead = self.cluster_size < self.dead_threshold
        if bool(dead.any()):
            pick = torch.randint(flat.shape[0], (int(dead.sum()),), device=flat.device)
            self.embed[dead] = flat[pick]
            self.embed_sum[dead] = flat[pick]
            self.cluster_size[dead] = 1.0
            _from_rank0(self.embed, self.embed_sum, self.cluster_size)


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _sum_over_ranks(*tensors: torch.Tensor) -> None:
    """Under data-parallel training, sum each tensor over the ranks in place."""
    if _distributed():
        for t in tensors:
            dist.all_reduce(t)


def _from_rank0(*tensors: torch.Tensor) -> None:
    """Under data-parallel training, copy rank 0's tensors to every rank."""
    if _distributed():
        for t in tensors:
            dist.broadcast(t, 0)
