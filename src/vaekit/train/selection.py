"""Model selection by a score other than the validation loss (e.g. ranking quality)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from vaekit.models import VAE


@dataclass(frozen=True)
class Selection:
    """A score the trainer computes after every epoch to pick the best weights.

    The trainer logs it as ``val_<name>``, keeps the weights of the best epoch, counts
    epochs without improvement for early stopping and, at the end, restores the best
    weights, as it does with the validation loss when no selection is given.

    Attributes
    ----------
    name
        Short name of the score (``ndcg@100``).
    score
        ``score(model) -> float``; called in eval mode without gradients.
    higher_is_better
        Direction of the score.
    """

    name: str
    score: Callable[[VAE], float]
    higher_is_better: bool = True

    def __call__(self, model: VAE) -> tuple[float, float]:
        """The score and its loss-like key (lower is better)."""
        was = model.training
        model.eval()
        try:
            with torch.no_grad():
                value = float(self.score(model))
        finally:
            model.train(was)
        return value, (-value if self.higher_is_better else value)
