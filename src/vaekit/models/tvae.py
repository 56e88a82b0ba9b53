"""TVAE (Xu et al. 2019, "Modeling Tabular Data using Conditional GAN"): a VAE over a
transformed table with a mixed Gaussian / categorical likelihood."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from vaekit.distributions.tabular import MixedTabular
from vaekit.errors import ConfigError
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE
from vaekit.objectives import LossOutput, elbo_loss


@register_model("tvae", "TVAE (Xu et al. 2019): mixed Gaussian/categorical likelihood for tables")
class TVAE(VAE):
    """A :class:`VAE` whose likelihood follows a table transformer's output spans.

    Built for the layout of :class:`vaekit.data.table_transform.TableTransformer`: each
    numeric column is a normalized value (Gaussian on ``tanh`` of the decoder output, one
    learned standard deviation per column, clamped to [0.01, 1]) and a categorical mode;
    each categorical column a categorical. The defaults are those of the TVAE paper's code:
    embedding 128, encoder and decoder (128, 128) with ReLU, loss factor 2 (the
    reconstruction term counts twice against the KL); its l2 scale (1e-5) is the trainer's
    ``weight_decay``.

    Parameters
    ----------
    spans
        ``[activation, size]`` pairs in output order (``TableTransformer.spans``).
    latent_dim
        Embedding size (TVAE: 128).
    hidden
        Encoder widths; the decoder mirrors them (TVAE: (128, 128)).
    loss_factor
        Weight of the reconstruction term in the training objective (TVAE: 2). The logged
        reconstruction and ELBO are the true, unweighted values.
    sigma
        Initial standard deviation of the Gaussian parts (TVAE: 0.1).
    **kwargs
        Other :class:`VAE` arguments (``beta``, ``posterior``, ``prior``...); ``input_shape``
        and ``likelihood`` follow from ``spans``.
    """

    modality = "table"
    archs = ("mlp",)
    fixed_arguments = ("input_shape", "arch", "likelihood", "channels", "batchnorm")

    def __init__(
        self,
        spans: Sequence[Sequence[Any]] = (("tanh", 1),),
        latent_dim: int = 128,
        hidden: Sequence[int] = (128, 128),
        loss_factor: float = 2.0,
        sigma: float = 0.1,
        **kwargs: Any,
    ) -> None:
        pairs = [(str(s[0]), int(s[1])) for s in spans]
        if not loss_factor > 0:
            raise ConfigError(f"loss_factor must be > 0, got {loss_factor}")
        for key in ("arch", "likelihood"):
            if kwargs.pop(key, None) not in (None, "mlp", "gaussian"):
                raise ConfigError(f"tvae sets its own {key} (an MLP with the mixed likelihood)")
        dim = sum(n for _, n in pairs)
        kwargs.pop("input_shape", None)
        kwargs.pop("sigma", None)
        super().__init__(input_shape=(dim,), latent_dim=latent_dim, arch="mlp", hidden=hidden,
                         activation=kwargs.pop("activation", "relu"), likelihood="gaussian",
                         **kwargs)  # fmt: skip
        self.likelihood = MixedTabular(pairs, sigma)
        self.loss_factor = float(loss_factor)

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        kl_weight: float = 1.0,
        free_bits: float = 0.0,
    ) -> LossOutput:
        """``loss_factor * (-log p(x|z)) + beta * kl_weight * KL``, one sample per row."""
        log_px, kl = self.one_sample_elbo(x, y)  # (B,), (B, D)
        out = elbo_loss(self.loss_factor * log_px, kl, self.beta * kl_weight, free_bits)
        out.reconstruction = -log_px.mean()
        return out

    @torch.no_grad()
    def sample_rows(self, n: int) -> torch.Tensor:
        """``n`` transformed rows drawn from the model ``(n, D)``: a prior code, then the
        likelihood (Gaussian noise on each value, one slot drawn per one-hot block)."""
        z = self.prior.sample(n, self.device)
        return self.likelihood.sample(self.decode_params(z))
