"""Conditional VAE (Sohn et al. 2015): a one-hot label enters the encoder and the decoder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from vaekit.errors import ConfigError, DataError
from vaekit.models.registry import register_model
from vaekit.models.vae import VAE


@register_model(
    "cvae", "conditional VAE (Sohn et al. 2015): one-hot label into encoder and decoder"
)
class CVAE(VAE):
    """A :class:`VAE` conditioned on a class label.

    Parameters
    ----------
    num_classes
        Number of classes; labels are integers in ``[0, num_classes)``.
    *args, **kwargs
        As for :class:`VAE`.
    """

    conditional = True

    def __init__(self, *args: Any, num_classes: int = 10, **kwargs: Any) -> None:
        if num_classes < 2:
            raise ConfigError(f"cvae needs num_classes >= 2, got {num_classes}")
        self.cond_dim = int(num_classes)
        super().__init__(*args, **kwargs)
        self.num_classes = int(num_classes)

    def condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        if y is None:
            raise DataError("cvae needs labels: give y (class indices) with the inputs")
        y = y.reshape(-1).long()
        if y.shape[0] != n:
            raise DataError(f"got {y.shape[0]} labels for {n} inputs")
        # range check only where it costs no device sync (the data layer checks training labels)
        if (
            y.device.type == "cpu"
            and y.numel()
            and (int(y.min()) < 0 or int(y.max()) >= self.num_classes)
        ):
            raise DataError(
                f"labels must lie in [0, {self.num_classes}); got values in "
                f"[{int(y.min())}, {int(y.max())}]"
            )
        # scatter instead of F.one_hot: no host sync on GPU
        onehot = torch.zeros(n, self.num_classes, device=y.device)
        return onehot.scatter_(1, y.unsqueeze(1), 1.0)  # (B, K)

    @torch.no_grad()
    def sample(
        self, n: int, labels: int | Sequence[int] | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode ``n`` prior codes for the given class(es): ``(n, *input_shape)``.

        ``labels`` is one class for all samples, ``n`` classes, or ``None`` for classes
        drawn uniformly.
        """
        if labels is None:
            y = torch.randint(self.num_classes, (n,), device=self.device)
        else:
            y = torch.as_tensor(labels, device=self.device).reshape(-1)
            if y.numel() == 1:
                y = y.expand(n)
            elif y.numel() != n:
                raise ConfigError(f"give one label or {n} labels, got {y.numel()}")
        z = self.prior.sample(n, self.device)
        return self.decode(z, y)
