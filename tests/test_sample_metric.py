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
    run = train_small_run(mnist_subset, tmp_path / "run")
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run), "--metrics", "samples", "--device", "cpu"])
    err = capsys.readouterr().err
    assert e.value.code == 0, err
    assert "Traceback" not in err and "MNIST classifier: test accuracy" in err
    cached = tmp_path / "empty-cache" / "vaekit" / "classifier" / "mnist-cnn.safetensors"
    assert cached.is_file() and json.loads(cached.with_suffix(".json").read_text())["images"] == 600
    result = json.loads((run / "evaluation.json").read_text())
    flat = json.dumps(result)
    assert "classifier_test_accuracy" in flat


def test_classifier_trains_under_no_grad(mnist_subset):
    with torch.no_grad():
        model, record = clf.train_classifier(str(mnist_subset), epochs=2)
    assert record["images"] == 600 and record["epochs"] == 2
    assert record["test_accuracy"] > 0.3  # 10 classes: chance is 0.1
    assert not any(p.grad is None for p in model.parameters())  # it did learn by gradients
