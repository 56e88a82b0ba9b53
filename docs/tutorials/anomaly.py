# %% [markdown]
# # Anomaly detection by reconstruction and ELBO
#
# A VAE fitted to mostly normal rows gives normal rows a high ELBO and unusual rows a low
# one, so minus the ELBO is an outlier score. This tutorial fits
# `vaekit.anomaly.VAEDetector` on the ODDS *cardio* set (1,831 cardiotocography records,
# 21 features, 176 of them labelled pathologic = outliers), scores held-out rows with three
# scores, and compares the ROC-AUC with scikit-learn's `IsolationForest` fitted on the same
# rows in the same run.
#
# The detector never sees the labels: they are used only to measure the scores.
#
# With `VAEKIT_TUTORIAL_SMOKE=1` the detector trains for a few epochs only, so the numbers it
# prints then mean nothing; run the script without it for the real figures.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.io import loadmat
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from vaekit.anomaly import VAEDetector

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"  # CI: tiny epochs/data, seconds
OUT = Path(os.environ.get("VAEKIT_TUTORIAL_OUT", Path(__file__).resolve().parent / "figures"))
OUT = OUT / "anomaly"
OUT.mkdir(parents=True, exist_ok=True)
DATA = Path(os.environ.get("VAEKIT_DATA_DIR", "data")) / "odds" / "cardio.mat"

# %% [markdown]
# ## The data
#
# ODDS `.mat` files hold `X` (rows by features) and `y` (1 = outlier). We keep 40% of the
# rows aside, stratified by label, to score; the detector is fitted on the other 60%, which
# contain outliers too, as real unlabelled data would.

# %%
mat = loadmat(DATA)
X, y = mat["X"].astype(np.float64), mat["y"].ravel().astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
print(f"train {X_train.shape}, test {X_test.shape}, outliers in test: {y_test.mean():.1%}")

# %% [markdown]
# ## Fit the detector
#
# `contamination` is the share of outliers we expect; it only sets the threshold behind
# `predict` (the `1 - contamination` quantile of the training scores), not the scores.
# Sizes, epochs and batch default to values picked from the data (about 3,000 optimisation
# steps). The same from the command line:
#
# ```bash
# vaekit anomaly fit cardio.mat --out detectors/cardio --contamination 0.1
# vaekit anomaly score detectors/cardio cardio.mat -o scores.csv
# ```
#
# `score` reads the labels of a `.mat` file and prints ROC-AUC and precision@n.

# %%
epochs = 3 if SMOKE else None  # None: about 3000 steps
det = VAEDetector(contamination=0.1, scoring="elbo", epochs=epochs, random_state=0)
det.fit(X_train)
elbo_scores = det.decision_function(X_test)  # (n_test,), higher = more anomalous
flags = det.predict(X_test)  # 1 = outlier
print(f"threshold {det.threshold_:.2f}, flagged {flags.mean():.1%} of the test rows")

# %% [markdown]
# ## Three scores and an Isolation Forest
#
# `scoring` picks the score: `elbo` (minus the ELBO averaged over posterior draws),
# `iwae` (minus the importance-weighted bound, closer to `-log p(x)`) and `recon` (the
# reconstruction term from the posterior mean alone). `set_params` changes the score of a
# fitted detector without refitting, since the scores share the model.

# %%
scores = {"elbo": elbo_scores}
for name in ("iwae", "recon"):
    scores[name] = det.set_params(scoring=name).decision_function(X_test)
det.set_params(scoring="elbo")

forest = IsolationForest(random_state=0).fit(X_train)
scores["IsolationForest"] = -forest.score_samples(X_test)  # higher = more anomalous

auc = {name: roc_auc_score(y_test, s) for name, s in scores.items()}
for name, value in auc.items():
    print(f"{name:>16}  ROC-AUC {value:.3f}")

# %% [markdown]
# At full size, in our run on a 2-core CPU: `elbo` 0.78, `iwae` 0.73, `recon` 0.67 and the
# Isolation Forest 0.94 (the default of about 3,000 steps is some 150 epochs here). On
# cardio the forest wins clearly; over the ten ODDS sets the benchmark on the
# [Anomaly page](../applications/anomaly.md) gives
# a mean ROC-AUC of 0.803 for one VAE and 0.808 for an ensemble of three (`n_models=3`),
# against 0.809 for the Isolation Forest. A VAE earns its keep on data a forest handles
# badly, such as images (`data_kind="image"`), rather than on small tables.
#
# A likely part of the gap on cardio: a VAE trained long enough also learns the outliers
# among its training rows. Fewer epochs score better here, as the loop below shows (full
# size: 0.89 after 10 epochs, 0.81 after 30, 0.76 after 100); but in real use there are no
# labels to pick the epochs by, so read this as a property of the method, not as a recipe.

# %%
for n_epochs in [1] if SMOKE else [10, 30, 100]:
    short = VAEDetector(contamination=0.1, epochs=n_epochs, random_state=0).fit(X_train)
    value = roc_auc_score(y_test, short.decision_function(X_test))
    print(f"{n_epochs:>4} epochs  ROC-AUC {value:.3f}")

# %% [markdown]
# ## Where the scores fall
#
# A histogram of the test scores by label shows how well one threshold separates them; the
# dashed line is `threshold_`, fitted on the training rows.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, name in zip(axes, ("elbo", "IsolationForest"), strict=True):
    s = scores[name]
    bins = np.linspace(np.percentile(s, 0.5), np.percentile(s, 99.5), 40)
    ax.hist(s[y_test == 0], bins=bins, alpha=0.6, density=True, label="inlier")
    ax.hist(s[y_test == 1], bins=bins, alpha=0.6, density=True, label="outlier")
    if name == "elbo":
        ax.axvline(det.threshold_, color="k", ls="--", lw=1, label="threshold_")
    ax.set_title(f"{name} (ROC-AUC {auc[name]:.3f})")
    ax.set_xlabel("score (higher = more anomalous)")
axes[0].set_ylabel("density")
axes[0].legend(frameon=False)
fig.tight_layout()
fig.savefig(OUT / "score_histogram.png", dpi=80)
plt.close(fig)

# %% [markdown]
# ![Test scores by label: VAE and Isolation Forest](figures/anomaly/score_histogram.png)
#
# ## Save and reload
#
# A fitted detector is a run directory (weights as safetensors, settings as JSON, no
# pickle); loading it gives the same scores.

# %%
with tempfile.TemporaryDirectory() as tmp:
    det.save(Path(tmp) / "cardio")
    again = VAEDetector.load(Path(tmp) / "cardio")
    assert np.allclose(again.decision_function(X_test), elbo_scores)
print("reloaded detector gives the same scores")

# %% [markdown]
# ## Errors you may meet
#
# - A NaN or infinite cell is refused with its row and column (in a CSV, its line).
# - Scoring rows with a different number of columns (or, for a DataFrame or CSV, different
#   column names or order) than at `fit` is refused, naming the columns.
# - A 0/1 column named like a label (`y`, `label`, `is_outlier`, ...) left among the
#   features gets a warning: pass `--label-column` (CLI) or drop it before `fit`.
