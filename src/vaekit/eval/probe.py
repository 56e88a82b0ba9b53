"""Representation quality: a logistic-regression probe on posterior means."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def logistic_probe(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    c: float = 1.0,
    max_iter: int = 200,
) -> float:
    """Test accuracy of a multinomial logistic regression fitted on ``(train_x, train_y)``.

    Features are standardized with training statistics; the penalty is
    ``||W||^2 / (2 C N)`` (scikit-learn's convention); fitted with L-BFGS.
    """
    mu, sd = train_x.mean(0), train_x.std(0).clamp(min=1e-6)
    xtr, xte = ((train_x - mu) / sd).double(), ((test_x - mu) / sd).double()
    k = int(max(train_y.max(), test_y.max())) + 1
    w = torch.zeros(xtr.shape[1], k, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=max_iter, line_search_fn="strong_wolfe")
    n = len(xtr)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(xtr @ w + b, train_y) + (w**2).sum() / (2 * c * n)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float(((xte @ w + b).argmax(1) == test_y).double().mean())
