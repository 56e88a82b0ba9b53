"""Mult-VAE and Mult-DAE (Liang et al. 2018, "Variational Autoencoders for Collaborative
Filtering"): autoencoders over a user's clicks with a multinomial likelihood over items.

Both read a user's row of the users x items matrix ``x`` ``(B, I)``, L2-normalize it and
drop input units with probability ``dropout`` while training; both return the decoder's
logits over items as the recommendation scores (``scores``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vaekit.distributions import DiagonalNormal
from vaekit.distributions.likelihoods import Multinomial
from vaekit.errors import ConfigError, DataError
from vaekit.models.array import ArrayModel
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE
from vaekit.nn import MLPDecoder, MLPEncoder
from vaekit.objectives import LossOutput


def _paper_init(module: nn.Module) -> None:
    """The paper's initialisation: Xavier-uniform weights, biases N(0, 0.001^2)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=1e-3)


class _ClickInput:
    """What both models do to a click row before the encoder (a mixin of helpers only)."""

    input_shape: tuple[int, ...]
    dropout: float
    l2: float
    training: bool

    def _clicks(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.input_shape[0]:
            raise DataError(f"expected click rows of shape (B, {self.input_shape[0]}), got "
                            f"{tuple(x.shape)}")  # fmt: skip
        h = F.normalize(x, dim=1)  # (B, I) unit L2 norm
        return F.dropout(h, self.dropout, self.training) if self.dropout > 0 else h

    def _add_l2(self, out: LossOutput) -> LossOutput:
        """``out`` with ``l2 * sum ||W||^2`` over the weight matrices (the paper's
        ``2 * reg``) added to the total and logged as ``l2``."""
        if self.l2 > 0:
            layers = [m for m in self.modules() if isinstance(m, nn.Linear)]  # type: ignore[attr-defined]
            reg = self.l2 * torch.stack([m.weight.pow(2).sum() for m in layers]).sum()
            out.total = out.total + reg
            out.extra["l2"] = reg.detach()
        return out

    @torch.no_grad()
    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """Logits over items ``(B, I)`` for click rows ``(B, I)``: the decoder at the code's
        mean, as the paper ranks (no dropout, no sampling)."""
        was = self.training
        self.eval()  # type: ignore[attr-defined]
        try:
            return self.decoder(self.encode(x).mean).float()  # type: ignore[attr-defined]
        finally:
            self.train(was)  # type: ignore[attr-defined]


def _check(n_items: int, dropout: float, l2: float) -> None:
    if n_items < 2:
        raise ConfigError(f"n_items must be >= 2, got {n_items}")
    if not 0 <= dropout < 1:
        raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
    if l2 < 0:
        raise ConfigError(f"l2 must be >= 0, got {l2}")


@register_model("mult-vae", "Mult-VAE (Liang et al. 2018): multinomial likelihood over items "
                "for recommendation")  # fmt: skip
class MultVAE(_ClickInput, VAE):
    """Mult-VAE^PR: a VAE with a multinomial likelihood over ``n_items`` items.

    The defaults are the paper's: encoder ``[I -> 600 -> 200]`` and decoder
    ``[200 -> 600 -> I]`` with tanh, input dropout 0.5, the KL weight annealed linearly from
    0 to ``anneal_cap`` (0.2) over ``total_anneal_steps`` (200,000) updates, no weight decay.
    The KL weight is this model's ``beta`` (= ``anneal_cap``) times the trainer's linear
    KL schedule; :class:`vaekit.recsys.Recommender` sets that schedule from
    ``total_anneal_steps``.

    Parameters
    ----------
    n_items
        Number of items ``I``.
    latent_dim, hidden
        Code size and the encoder's hidden widths (the decoder mirrors them).
    dropout
        Probability of dropping each (normalized) input unit while training.
    anneal_cap, total_anneal_steps
        Largest KL weight, and the updates over which it is reached.
    l2
        Weight of ``sum ||W||^2`` added to the loss (the paper: 0 for Mult-VAE).
    **kwargs
        ``posterior``, ``flow_steps``, ``prior``, ``prior_components`` as for :class:`VAE`.
    """

    modality = "interactions"
    archs = ("mlp",)
    fixed_arguments = ("input_shape", "arch", "likelihood", "activation", "beta", "sigma",
                       "channels", "batchnorm")  # fmt: skip

    def __init__(
        self,
        n_items: int = 2,
        latent_dim: int = 200,
        hidden: Sequence[int] = (600,),
        dropout: float = 0.5,
        anneal_cap: float = 0.2,
        total_anneal_steps: int = 200_000,
        l2: float = 0.0,
        **kwargs: Any,
    ) -> None:
        _check(int(n_items), dropout, l2)
        for key in self.fixed_arguments:
            kwargs.pop(key, None)
        super().__init__(input_shape=(int(n_items),), latent_dim=latent_dim, arch="mlp",
                         hidden=hidden, activation="tanh", likelihood="gaussian",
                         beta=anneal_cap, **kwargs)  # fmt: skip
        self.likelihood = Multinomial()
        self.dropout, self.l2 = float(dropout), float(l2)
        self.anneal_cap, self.total_anneal_steps = float(anneal_cap), int(total_anneal_steps)
        _paper_init(self)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DiagonalNormal:
        """q(z|x) for click rows ``(B, I)`` (normalized, with dropout while training)."""
        return self.posterior(self.encoder(self._clicks(x), None))

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        """``-sum_i x_i log pi_i(z) + anneal * KL`` per user (+ the l2 term)."""
        return self._add_l2(super().loss(x, y, kl_weight, free_bits))


@register_model("mult-dae", "Mult-DAE (Liang et al. 2018): denoising autoencoder with a "
                "multinomial likelihood over items")  # fmt: skip
class MultDAE(_ClickInput, ArrayModel):
    """Mult-DAE: input dropout, a deterministic tanh code, a multinomial likelihood.

    The defaults follow the paper's code: ``[I -> 200 -> I]`` with tanh at the code,
    input dropout 0.5 and ``l2 = 0.01 / batch_size`` (batch 500: 2e-5) on the weights.
    The code is a point mass (``logvar = -inf``), so there is no KL and no prior to sample.

    Parameters
    ----------
    n_items, latent_dim, hidden, dropout, l2
        As for :class:`MultVAE` (``hidden`` are widths between the input and the code).
    """

    modality = "interactions"
    archs = ("mlp",)
    variational = False

    def __init__(
        self,
        n_items: int = 2,
        latent_dim: int = 200,
        hidden: Sequence[int] = (),
        dropout: float = 0.5,
        l2: float = 2e-5,
        **unused: Any,
    ) -> None:
        super().__init__()
        _check(int(n_items), dropout, l2)
        if latent_dim < 1:
            raise ConfigError(f"latent_dim must be >= 1, got {latent_dim}")
        self.input_shape = (int(n_items),)
        self.latent_dim, self.beta = int(latent_dim), 0.0
        self.dropout, self.l2 = float(dropout), float(l2)
        widths = [int(h) for h in hidden]
        self.encoder = MLPEncoder(self.input_shape, [*widths, self.latent_dim], 0, "tanh")
        self.decoder = MLPDecoder(self.latent_dim, list(reversed(widths)), self.input_shape,
                                  "tanh")  # fmt: skip
        self.likelihood = Multinomial()
        _paper_init(self)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DiagonalNormal:
        """The code as a point mass: ``mean`` ``(B, D)``, ``logvar`` ``-inf``."""
        code = self.encoder(self._clicks(x), None)  # (B, D)
        return DiagonalNormal(code, torch.full_like(code, float("-inf")))

    def decode_params(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Logits over items ``(B, I)`` for codes ``(B, D)``."""
        return self.decoder(z)

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        """``-sum_i x_i log pi_i`` per user, mean over the batch (+ the l2 term)."""
        log_px = self.likelihood.log_prob(self.decoder(self.encode(x).mean), x)  # (B,)
        recon = -log_px.mean()
        zero = torch.zeros(self.latent_dim, device=x.device)
        return self._add_l2(LossOutput(recon, recon.detach(), zero.sum(), zero, 0.0))

    def log_weights(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        raise ConfigError("mult-dae is not a latent-variable model: it has no likelihood bound")

    @torch.no_grad()
    def sample(self, n: int, labels: Any = None) -> torch.Tensor:
        raise ConfigError("mult-dae has no prior to sample from (it is a denoising "
                          "autoencoder); use mult-vae")  # fmt: skip
