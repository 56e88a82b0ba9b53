"""Anomaly detection with VAEs, with the scikit-learn / PyOD detector interface.

Examples
--------
>>> from vaekit.anomaly import VAEDetector
>>> det = VAEDetector(contamination=0.05).fit(X_train)      # doctest: +SKIP
>>> scores = det.decision_function(X_test)                  # doctest: +SKIP
"""

from vaekit.anomaly.columns import LabelColumnWarning, NamedRows
from vaekit.anomaly.detector import VAEDetector
from vaekit.anomaly.scores import SCORES, anomaly_scores

__all__ = ["SCORES", "LabelColumnWarning", "NamedRows", "VAEDetector", "anomaly_scores"]
