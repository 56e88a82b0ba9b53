"""Quality of generated MNIST digits judged by vaekit's cached classifier."""

from __future__ import annotations

import torch

from vaekit.eval.classifier import MNISTClassifier
from vaekit.eval.frechet import frechet_distance

#: a class counts as covered when it receives at least this share of the samples
COVERAGE_SHARE = 0.01


@torch.no_grad()
def classifier_features(
    classifier: MNISTClassifier, images: torch.Tensor, batch: int = 2000
) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate features ``(N, 128)`` and class probabilities ``(N, 10)`` of images."""
    classifier.eval()
    feats, probs = [], []
    for i in range(0, len(images), batch):
        f = classifier.features(images[i : i + batch].float().clamp(0, 1))
        feats.append(f)
        probs.append(torch.softmax(classifier.head(f), dim=1))
    return torch.cat(feats), torch.cat(probs)


def sample_quality(
    classifier: MNISTClassifier, samples: torch.Tensor, reference: torch.Tensor
) -> dict[str, float | int | list[int]]:
    """Fréchet distance to ``reference`` images, mean max-confidence and class histogram.

    ``samples`` and ``reference`` are ``(N, 1, 28, 28)`` in [0, 1].
    """
    f_s, p_s = classifier_features(classifier, samples)
    f_r, _ = classifier_features(classifier, reference)
    hist = torch.bincount(p_s.argmax(1), minlength=10)
    return {
        "sample_frechet": frechet_distance(f_s, f_r),
        "sample_confidence": float(p_s.max(1).values.mean()),
        "sample_class_histogram": hist.tolist(),
        "sample_classes_covered": int((hist >= COVERAGE_SHARE * len(samples)).sum()),
        "sample_n": len(samples),
    }


def label_accuracy(
    classifier: MNISTClassifier, samples: torch.Tensor, labels: torch.Tensor
) -> dict[str, float | list[float]]:
    """How often the classifier reads a conditional sample as the class it was drawn for.

    ``samples`` ``(N, 1, 28, 28)`` in [0, 1] were drawn for ``labels`` ``(N,)``; returns the
    overall share and the share per class (``nan`` for a class with no samples).
    """
    _, probs = classifier_features(classifier, samples)
    hit = (probs.argmax(1) == labels.to(probs.device)).float()
    per_class = [
        float(hit[labels == k].mean()) if bool((labels == k).any()) else float("nan")
        for k in range(probs.shape[1])
    ]
    return {"label_accuracy": float(hit.mean()), "label_accuracy_per_class": per_class}
