"""Total-correlation terms: the beta-TC-VAE decomposition and FactorVAE's permutation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

LOG_2PI = math.log(2 * math.pi)


@dataclass
class KLDecomposition:
    """``E[KL(q(z|x) || p(z))] = MI + TC + DWKL`` (Chen et al. 2018), each ``(B,)``.

    Attributes
    ----------
    mi
        Index-code mutual information ``log q(z|x) - log q(z)``.
    tc
        Total correlation ``log q(z) - sum_d log q(z_d)``.
    dwkl
        Dimension-wise KL ``sum_d log q(z_d) - log p(z)``.
    """

    mi: torch.Tensor
    tc: torch.Tensor
    dwkl: torch.Tensor


def mws_decomposition(
    z: torch.Tensor,
    log_q: torch.Tensor,
    mean: torch.Tensor,
    logvar: torch.Tensor,
    log_pz: torch.Tensor,
    dataset_size: int,
) -> KLDecomposition:
    """The decomposition with minibatch-weighted sampling (Chen et al. 2018, eq. 5).

    ``log q(z_i) ~ logsumexp_j log q(z_i|x_j) - log(N M)`` over the ``M`` posteriors of the
    batch, ``N = dataset_size``; likewise per dimension for ``log q(z_id)``. The estimates
    carry constant offsets (a posterior that ignores ``x`` gets ``MI = log N`` and
    ``TC = (D - 1) log N``); they do not change the gradients.

    Parameters
    ----------
    z, mean, logvar
        Samples and the Gaussian posteriors they came from, ``(M, D)``.
    log_q, log_pz
        ``log q(z_i|x_i)`` and ``log p(z_i)``, ``(M,)``.
    """
    m = z.shape[0]
    # log q(z_i,d | x_j,d) for every pair: (M, M, D)
    diff = z.unsqueeze(1) - mean.unsqueeze(0)
    pair = -0.5 * (diff.pow(2) * torch.exp(-logvar).unsqueeze(0) + logvar.unsqueeze(0) + LOG_2PI)
    log_nm = math.log(dataset_size * m)
    log_qz = torch.logsumexp(pair.sum(2), dim=1) - log_nm  # (M,)
    log_prod_qz = (torch.logsumexp(pair, dim=1) - log_nm).sum(1)  # (M,)
    return KLDecomposition(log_q - log_qz, log_qz - log_prod_qz, log_prod_qz - log_pz)


def permute_dims(z: torch.Tensor) -> torch.Tensor:
    """Shuffle each latent dimension independently across the batch (Kim & Mnih 2018).

    The result ``(B, D)`` is a sample from the product of the marginals ``prod_d q(z_d)``.
    """
    order = torch.argsort(torch.rand(z.shape, device=z.device), dim=0)  # (B, D)
    return torch.gather(z, 0, order)
