"""MIWAE (Mattei & Frellsen 2019): an importance-weighted VAE trained on data with missing
values, and imputation by self-normalized importance sampling."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from vaekit.distributions.likelihoods import LOG_2PI, Bernoulli
from vaekit.distributions.masked_table import MaskedTable
from vaekit.errors import ConfigError, DataError
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE
from vaekit.nn import MLPDecoder, MLPEncoder
from vaekit.objectives import LossOutput


@register_model(
    "miwae", "MIWAE (Mattei & Frellsen 2019): importance-weighted VAE for data with missing values"
)
class MIWAE(VAE):
    """A VAE whose inputs may hold NaN for missing values.

    The encoder sees the zero-filled input and the observation mask side by side; the
    likelihood counts the observed entries only; training maximises the importance-weighted
    bound with ``k`` samples (the MIWAE bound). :meth:`impute` fills the missing entries with
    ``E[x_miss | x_obs]`` estimated by self-normalized importance sampling and
    :meth:`multiple_imputation` draws completions by sampling importance resampling.

    Parameters
    ----------
    input_shape
        Shape of one example: ``(D,)`` for a table, ``(1, H, W)`` for images (MLP either way).
    k
        Importance samples per example in the training bound (MIWAE: 20).
    likelihood
        ``"bernoulli"`` (values in [0, 1], the default as for :class:`VAE`),
        ``"student-t"`` (numbers, standardized first: a t per cell with location, scale and
        degrees of freedom from the decoder, the MIWAE paper's choice for tables; with
        ``categorical_blocks``, mixed tables) or ``"gaussian-learned-dim"`` (numbers; a
        learned standard deviation per column).
    categorical_blocks
        ``[start, size]`` of each one-hot categorical column in a row (``"student-t"``
        only; a missing categorical cell is NaN over its whole block).
    **kwargs
        Other :class:`VAE` arguments (``latent_dim``, ``hidden``, ``activation``...).
    """

    archs = ("mlp",)
    fixed_arguments = ("arch", "channels", "batchnorm")

    def __init__(
        self,
        input_shape: Sequence[int] = (10,),
        latent_dim: int = 9,
        hidden: Sequence[int] = (128, 128, 128),
        activation: str = "tanh",
        likelihood: str = "bernoulli",
        k: int = 20,
        categorical_blocks: Sequence[Sequence[int]] = (),
        **kwargs: Any,
    ) -> None:
        if likelihood not in ("student-t", "gaussian-learned-dim", "gaussian-learned",
                              "bernoulli"):  # fmt: skip
            raise ConfigError(f"miwae takes a student-t, gaussian-learned(-dim) or bernoulli "
                              f"likelihood, got {likelihood!r}")  # fmt: skip
        if categorical_blocks and likelihood != "student-t":
            raise ConfigError("categorical_blocks need the student-t (table) likelihood")
        if k < 1:
            raise ConfigError(f"k must be >= 1, got {k}")
        if kwargs.pop("arch", "mlp") != "mlp":
            raise ConfigError("miwae is an MLP model (images are flattened)")
        table = likelihood == "student-t"
        super().__init__(input_shape=input_shape, latent_dim=latent_dim, hidden=hidden,
                         activation=activation,
                         likelihood="gaussian-learned-dim" if table else likelihood,
                         **kwargs)  # fmt: skip
        d = math.prod(self.input_shape)
        self.encoder = MLPEncoder((2 * d,), hidden, 0, activation)  # [x filled, mask]
        if table:
            if len(self.input_shape) != 1:
                raise ConfigError("the student-t likelihood is for tables: input_shape (D,)")
            self.likelihood = MaskedTable(d, categorical_blocks)
            self.decoder = MLPDecoder(self.latent_dim, list(reversed(list(hidden))),
                                      (self.likelihood.param_dim,), activation)  # fmt: skip
        self.k = int(k)

    @torch.no_grad()
    def init_output_bias(self, data_mean: torch.Tensor) -> None:
        """Start the decoder at the data: column means (NaN-free) and level frequencies."""
        if not isinstance(self.likelihood, MaskedTable):
            return super().init_output_bias(data_mean)
        layer = self.decoder.output_layer
        layer.bias.copy_(self.likelihood.init_bias(data_mean.cpu()).to(layer.bias))

    # ------------------------------------------------------------------ pieces
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> Any:
        """q(z | x_obs) from the zero-filled input and its mask (NaN = missing)."""
        self._check_x(x)
        mask = ~torch.isnan(x)
        h = torch.cat([torch.nan_to_num(x).flatten(1), mask.flatten(1).to(x.dtype)], dim=1)
        return self.posterior(self.encoder(h, None))

    def observed_log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``log p(x_obs | z)``: the likelihood summed over the observed entries ``(..., B)``."""
        lik = self.likelihood
        if isinstance(lik, MaskedTable):
            return lik.log_prob(params, x)
        mask = ~torch.isnan(x)
        x0 = torch.nan_to_num(x)
        if isinstance(lik, Bernoulli):
            lp = params * x0 - F.softplus(params)
        else:
            log_sigma = lik.log_sigma()
            lp = -0.5 * (((x0 - params) * torch.exp(-log_sigma)) ** 2 + LOG_2PI) - log_sigma
        return (lp * mask).flatten(-len(self.input_shape)).sum(-1)

    def _weights(self, x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, Any,
                                                        torch.Tensor]:  # fmt: skip
        """Log weights ``(k, B)``, decoder outputs ``(k, B, *out)``, q and
        ``log p(x_obs | z)`` ``(k, B)``."""
        q = self.encode(x)
        z, log_q = q.rsample_and_log_prob(k)  # (k, B, d), (k, B)
        b = x.shape[0]
        params = self.decoder(z.reshape(k * b, -1)).view(k, b, *self.decoder.output_shape)
        log_px = self.observed_log_prob(params, x)
        return log_px + self.prior.log_prob(z) - log_q, params, q, log_px

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, kl_weight: float = 1.0,
             free_bits: float = 0.0) -> LossOutput:  # fmt: skip
        """Minus the MIWAE bound ``log 1/k sum_k w_k`` (mean over the batch)."""
        log_w, _, q, log_px = self._weights(x, self.k)
        bound = torch.logsumexp(log_w, 0) - math.log(self.k)  # (B,)
        kl_per_dim = self.prior.kl_per_dim(q).mean(0)  # (d,), closed form, for the logs
        recon = -log_px.detach().mean()
        return LossOutput(-bound.mean(), recon, kl_per_dim.sum(), kl_per_dim, 1.0)

    def log_weights(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 1,
                    q: Any = None, kl_weight: float = 1.0,
                    return_log_px: bool = False) -> Any:  # fmt: skip
        log_w, _, _, log_px = self._weights(x, k)
        return (log_w, log_px) if return_log_px else log_w

    # ------------------------------------------------------------------ imputation
    @torch.no_grad()
    def impute(self, x: torch.Tensor, n_samples: int = 1000, chunk: int = 256) -> torch.Tensor:
        """``x`` with each missing entry replaced by ``sum_k w_k E[x | z_k]`` (self-normalized
        importance weights over ``n_samples`` posterior draws); observed entries unchanged."""
        self._check_x(x)
        out = x.clone()
        for s in range(0, x.shape[0], chunk):
            xb = x[s : s + chunk]
            log_w, params, _, _ = self._weights(xb, n_samples)
            w = torch.softmax(log_w, 0)  # (S, B)
            mean = self.likelihood.mean(params)  # (S, B, *shape): E[x | z]
            est = (w.view(*w.shape, *([1] * len(self.input_shape))) * mean).sum(0)
            out[s : s + chunk] = torch.where(torch.isnan(xb), est, xb)
        return out

    @torch.no_grad()
    def multiple_imputation(self, x: torch.Tensor, n_draws: int = 5, n_samples: int = 1000,
                            chunk: int = 256) -> torch.Tensor:  # fmt: skip
        """``(n_draws, B, *shape)`` completed copies of ``x``: for each draw, a posterior
        sample picked by its importance weight, then ``x_miss ~ p(x_miss | z)``."""
        if n_draws < 1:
            raise DataError(f"n_draws must be >= 1, got {n_draws}")
        self._check_x(x)
        out = x.unsqueeze(0).repeat(n_draws, *([1] * x.dim()))
        for s in range(0, x.shape[0], chunk):
            xb = x[s : s + chunk]
            log_w, params, _, _ = self._weights(xb, n_samples)
            pick = torch.multinomial(torch.softmax(log_w, 0).T, n_draws, replacement=True)  # (B, M)
            chosen = params.gather(0, pick.T.view(n_draws, -1, *([1] * len(self.input_shape)))
                                   .expand(n_draws, *params.shape[1:]))  # fmt: skip
            draws = self.likelihood.sample(chosen)
            out[:, s : s + chunk] = torch.where(torch.isnan(xb), draws, xb)
        return out
