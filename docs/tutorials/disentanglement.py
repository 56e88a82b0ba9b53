# %% [markdown]
# # Disentanglement on dSprites: beta-VAE and beta-TC-VAE
#
# A representation is *disentangled* when each latent dimension follows one factor of
# variation of the data and ignores the others. dSprites (Matthey et al. 2017) makes this
# measurable: every 64x64 image is drawn from five known factors (shape, scale, orientation,
# x and y position), so we can ask how well each latent dimension lines up with one factor.
#
# This tutorial trains a beta-VAE (Higgins et al. 2017) and a beta-TC-VAE (Chen et al. 2018)
# with the convolutional architecture of the disentanglement literature, draws their latent
# traversals and computes the metrics of disentanglement_lib (Locatello et al. 2019).
#
# With `VAEKIT_TUTORIAL_SMOKE=1` the models see 2,000 images (drawn on demand, so the full
# set is not rendered) for 10 steps and the metrics use
# 100 points (10 for DCI, 20 for the two scores): the figures and numbers then only show
# that it runs. Run the script without it for real ones: 3,000 steps per model and the
# metrics on thousands of points take hours on two CPU cores, minutes on a GPU.

# %%
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

import vaekit
from vaekit.data.dsprites import DSprites
from vaekit.eval.disentanglement import mig
from vaekit.eval.disentanglement_run import evaluate_disentanglement, representation
from vaekit.render import save_image_grid

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"  # CI: tiny epochs/data, seconds
OUT = Path(os.environ.get("VAEKIT_TUTORIAL_OUT", Path(__file__).resolve().parent / "figures"))
OUT = OUT / "disentanglement"
OUT.mkdir(parents=True, exist_ok=True)
RUNS = Path(tempfile.mkdtemp(prefix="vaekit-dsprites-"))  # the run directories
if SMOKE:  # a few hundred points give the metrics' classifiers too few examples per class
    warnings.filterwarnings("ignore", message="The number of unique classes")

# %% [markdown]
# ## The data
#
# vaekit renders dSprites itself, with the original's geometry and factor grid: 3 shapes x
# 6 scales x 40 orientations x 32 x 32 positions = 737,280 binary images. The first use
# renders them all (about a minute and a half on two cores) and caches them in
# `~/.cache/vaekit/dsprites/`; later runs read the cache. `DSprites()` draws any factor
# combination on demand, which is what the metrics do:
#
# ![Random dSprites images](figures/disentanglement/data.png)

# %%
ds = DSprites()  # renders on request; DSprites.load() holds all images
print(dict(zip(ds.factor_names, ds.factor_sizes, strict=True)))
factors = ds.sample_factors(32, np.random.RandomState(0))  # (32, 5) factor levels
save_image_grid(OUT / "data.png", ds.images_from_factors(factors), nrow=8)
if SMOKE:  # (2000, 64, 64) images of random factors as an array file
    SMOKE_IMAGES = RUNS / "dsprites-2000.npy"
    np.save(SMOKE_IMAGES, ds.images_from_factors(ds.sample_factors(2000, np.random.RandomState(2)))[:, 0])

# %% [markdown]
# ## Two models
#
# Both have 10 latent dimensions and the `burgess` architecture (four stride-2 convolutions,
# a 256-unit dense layer and the mirrored decoder), batch 64, Adam.
#
# - **beta-VAE** multiplies the whole KL term by beta > 1. The pressure towards the
#   factorised prior `N(0, I)` favours codes whose dimensions are independent, but it also
#   squeezes the information about `x` that the code may carry, so reconstructions suffer.
# - **beta-TC-VAE** splits the averaged KL into three parts: the mutual information between
#   `x` and `z`, the *total correlation* of `z` (how far the aggregate posterior is from the
#   product of its marginals) and the KL of each dimension from the prior. Only the total
#   correlation is weighted by beta, so independence is pushed without taxing information.
#
# From the command line (`--epochs N --set train.steps_per_epoch=S` makes `N x S` steps;
# `--set data.max_examples=2000` trains on a subset):
#
# ```bash
# vaekit train --dataset dsprites --model btcvae --beta 6 --arch burgess --latent-dim 10 \
#   --batch-size 64 --lr 5e-4 --epochs 30 --set train.steps_per_epoch=100 --out runs/btc
# ```

# %%
MODELS = {"beta-vae": 4.0, "btcvae": 6.0}  # name -> beta
runs = {}
for name, beta in MODELS.items():
    cfg = vaekit.Config()
    cfg.data.dataset = "dsprites"
    cfg.data.val_size = 200 if SMOKE else 5000
    if SMOKE:  # 2,000 images drawn on demand, without rendering (and caching) all of them
        cfg.data.dataset = str(SMOKE_IMAGES)
    cfg.model.name = name
    cfg.model.beta = beta
    cfg.model.arch = "burgess"
    cfg.model.latent_dim = 10
    cfg.train.batch_size = 64
    cfg.train.lr = 5e-4
    cfg.train.epochs = 1 if SMOKE else 30
    cfg.train.steps_per_epoch = 10 if SMOKE else 100
    cfg.out = str(RUNS / name)
    runs[name] = vaekit.fit(cfg, quiet=SMOKE)

# %% [markdown]
# ## Latent traversals
#
# Take the posterior mean of one image, sweep one dimension over [-3, 3] with the others
# fixed, and decode: one row per dimension, the most informative (largest KL) first
# (`vaekit plot RUN traversal --index 0`). A disentangled dimension changes one thing, the
# x position say, and leaves shape and scale alone; an entangled one moves several factors
# at once. Dimensions with almost no KL decode the same image along the whole row: the model
# has switched them off.
#
# beta-VAE:
#
# ![beta-VAE traversals](figures/disentanglement/traversal-beta-vae.png)
#
# beta-TC-VAE:
#
# ![beta-TC-VAE traversals](figures/disentanglement/traversal-btcvae.png)

# %%
for name, run in runs.items():
    vaekit.make_plot(run, "traversal", output=OUT / f"traversal-{name}.png", index=0, steps=8,
                    dims=4 if SMOKE else 10)

# %% [markdown]
# ## The metrics
#
# `vaekit evaluate RUN --metrics disentanglement` computes the six metrics of
# disentanglement_lib with its study's protocol, posterior means as the codes. Higher is
# better for all:
#
# | metric | what it measures |
# | --- | --- |
# | `mig` | per factor, the mutual-information gap between the two codes that know most |
# | `sap` | the same gap, in the accuracy of a classifier on each single code |
# | `dci_disentanglement` | how much each code's importance (boosted trees) sits on one factor |
# | `modularity` | whether each code depends on at most one factor |
# | `beta_vae_score` | a linear classifier names the factor held fixed in a pair of batches |
# | `factor_vae_score` | the same by a majority vote over the least varying code |
#
# MIG, SAP, DCI and modularity lie in [0, 1]; the two scores are accuracies with chance at
# 0.2 (five factors). At the study's counts (10,000 points everywhere) they take about 25
# minutes on two cores, most of it in the two scores' 2.9 million encodings. Here we call the
# function behind the command, `evaluate_disentanglement`, which takes smaller counts for the
# costly parts (`dci_train`, `score_train`); `vaekit evaluate RUN --metrics disentanglement
# --disentanglement-points N` scales them all together.
#
# For reference, vaekit's benchmark after 1,500 steps (medians over three seeds) measured MIG
# 0.030 for beta-VAE (beta 4) and 0.081 for beta-TC-VAE (beta 6), and Locatello et al. report
# MIG medians around 0.1 to 0.2 after 300,000 steps: a small budget gives small scores, and
# the spread between random seeds is as large as the difference between models (their main
# finding). Compare models over several seeds before concluding anything.

# %%
dsprites = ds if SMOKE else DSprites.load()  # all images, from the cache the training filled
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
points = 100 if SMOKE else 10000
keys = ["mig", "sap", "dci_disentanglement", "modularity", "beta_vae_score", "factor_vae_score"]
print(f"{'model':9s}" + "".join(f"{k.removesuffix('_score')[:12]:>13s}" for k in keys)
      + "   recon     KL")  # fmt: skip
for name, run in runs.items():
    represent = representation(vaekit.load(run).to(DEVICE), DEVICE)  # images -> (n, 10)
    scores = evaluate_disentanglement(
        represent, dsprites, num_train=points, dci_train=10 if SMOKE else 2000,
        score_train=20 if SMOKE else 1000,
    )  # fmt: skip
    elbo = vaekit.evaluate_run(run, metrics=["elbo"])
    print(f"{name:9s}" + "".join(f"{scores[k]:13.3f}" for k in keys)
          + f"  {elbo['reconstruction']:6.1f} {elbo['kl']:6.2f}")  # fmt: skip

# %% [markdown]
# The metrics are also pure functions of NumPy arrays in `vaekit.eval.disentanglement`
# (`mig(codes, factors)`, `sap(...)`, `dci(...)`, ...), so any representation can be scored;
# here the beta-TC-VAE's posterior means of fresh images:

# %%
represent = representation(vaekit.load(runs["btcvae"]).to(DEVICE), DEVICE)
factors = ds.sample_factors(500 if SMOKE else 2000, np.random.RandomState(1))  # (n, 5)
codes = represent(ds.images_from_factors(factors))  # (n, 10)
print("MIG of the beta-TC-VAE on fresh images:", mig(codes, factors))

# %% [markdown]
# The [disentanglement page](../applications/disentanglement.md) lists every metric's
# definition and vaekit's benchmark against the published ranges.

# %%
shutil.rmtree(RUNS, ignore_errors=True)
