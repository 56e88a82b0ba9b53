"""The four estimators on one base: each refuses the others' run directories in one line
naming their kind, and each follows scikit-learn's conventions for parameters."""

from __future__ import annotations

import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from vaekit.anomaly import VAEDetector
from vaekit.errors import ConfigError
from vaekit.estimators import VAEEstimator
from vaekit.io.run import write_run_json
from vaekit.io.run_info import a_kind
from vaekit.recsys import Recommender
from vaekit.tabular import Synthesizer
from vaekit.tabular.imputer import VAEImputer

ESTIMATORS = {"detector": VAEDetector, "imputer": VAEImputer, "synthesizer": Synthesizer,
              "recommender": Recommender}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_one_base_one_kind_each(kind):
    cls = ESTIMATORS[kind]
    assert issubclass(cls, VAEEstimator) and cls.run_kind == kind
    est = cls()
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert "random_state" in est.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


@pytest.mark.parametrize("written", [*sorted(ESTIMATORS), "train"])
@pytest.mark.parametrize("reader", sorted(ESTIMATORS))
def test_each_refuses_the_others_run_directories(tmp_path, written, reader):
    if written == reader:
        pytest.skip("its own kind")
    write_run_json(tmp_path, written)
    with pytest.raises(ConfigError) as info:
        ESTIMATORS[reader].load(tmp_path)
    message = str(info.value)
    assert f"is {a_kind(written)}" in message and f"not {a_kind(reader)}" in message
    assert "\n" not in message
