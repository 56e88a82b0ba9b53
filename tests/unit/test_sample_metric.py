"""The samples metric on a machine without the cached classifier: it trains the classifier
first (with gradients, although metrics run under ``torch.no_grad()``), caches it and uses it."""

from __future__ import annotations

import json

import pytest
import torch

from conftest import train_small_run
from vaekit.cli.app import main
from vaekit.eval import classifier as clf


def test_samples_metric_with_an_empty_cache(mnist_subset, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    # the 600-image subset cannot reach the cached classifier's bar; the path is what is tested
    monkeypatch.setattr(clf, "MIN_TEST_ACCURACY", 0.0)
    run = train_small_run(mnist_subset, tmp_path / "run", name="cvae")
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run), "--metrics", "samples", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert e.value.code == 0, err
    assert "Traceback" not in err and "MNIST classifier: test accuracy" in err
    cached = tmp_path / "empty-cache" / "vaekit" / "classifier" / "mnist-cnn.safetensors"
    assert cached.is_file() and json.loads(cached.with_suffix(".json").read_text())["images"] == 600
    result = json.loads((run / "evaluation.json").read_text())["test"]
    assert result["classifier_test_accuracy"] >= 0.0 and result["sample_n"] == 10000
    # a conditional model: the share of samples read as the class they were drawn for
    assert 0.0 <= result["label_accuracy"] <= 1.0
    per_class = result["label_accuracy_per_class"]
    assert len(per_class) == 10
    assert result["label_accuracy"] == pytest.approx(sum(per_class) / 10, abs=1e-6)
    assert "label_accuracy" in out  # printed in the table


def test_label_accuracy_overall_and_per_class(monkeypatch):
    from vaekit.eval import sample_quality as sq

    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    predicted = torch.tensor([0, 1, 1, 1, 0, 2])  # right: 1/2 of class 0, 2/3 of 1, 1/1 of 2
    probs = torch.nn.functional.one_hot(predicted, 10).float()
    monkeypatch.setattr(sq, "classifier_features", lambda c, x: (None, probs))
    got = sq.label_accuracy(None, torch.zeros(6, 1, 28, 28), labels)
    assert got["label_accuracy"] == pytest.approx(4 / 6)
    assert got["label_accuracy_per_class"][:3] == pytest.approx([0.5, 2 / 3, 1.0])
    assert all(v != v for v in got["label_accuracy_per_class"][3:])  # nan: no samples


def test_classifier_trains_under_no_grad(mnist_subset):
    with torch.no_grad():
        model, record = clf.train_classifier(str(mnist_subset), epochs=2)
    assert record["images"] == 600 and record["epochs"] == 2
    assert record["test_accuracy"] > 0.3  # 10 classes: chance is 0.1
    assert not any(p.grad is None for p in model.parameters())  # it did learn by gradients
