# %% [markdown]
# # The VAE on MNIST, end to end
#
# The walkthrough most people meet first: a variational autoencoder with MLP encoder and
# decoder on MNIST digits. We write its objective, the evidence lower bound (ELBO), by hand
# for one batch and check it against vaekit's loss, train a model with a 2-D latent space and
# look at it (training curves, the latent map coloured by digit, the manifold of decoded
# latent points, an interpolation from a 3 to an 8), generate chosen digits with a
# conditional VAE, measure the trade-off between reconstruction and regularization across
# beta, and finish with posterior collapse and three cures for it.
#
# Every model below is trained with `vaekit.fit`; each step has its command-line twin.
# With `VAEKIT_TUTORIAL_SMOKE=1` the script trains tiny models on a few hundred digits for
# one epoch, so that it runs in seconds: the figures then only show that it works. Run it
# without that variable (10 to 15 minutes on two CPU cores) for the real ones.

# %%
import os
import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

import vaekit
from vaekit.data import load_mnist, write_idx
from vaekit.objectives import CyclicalSchedule, LinearWarmup
from vaekit.render import save_image_grid

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"  # CI: tiny epochs/data, seconds
OUT = Path(os.environ.get("VAEKIT_TUTORIAL_OUT", Path(__file__).resolve().parent / "figures"))
OUT = OUT / "mnist"
OUT.mkdir(parents=True, exist_ok=True)
RUNS = Path(tempfile.mkdtemp(prefix="vaekit-mnist-"))  # the run directories of this tutorial

EPOCHS = 1 if SMOKE else 20  # the 2-D VAE and the conditional VAE
SHORT = 1 if SMOKE else 10  # the comparisons (beta, collapse)

# %% [markdown]
# ## The data
#
# MNIST ships with vaekit: `load_mnist()` returns 60,000 training and 10,000 test images,
# `(N, 1, 28, 28)` grey levels in [0, 1], with their labels. Grey levels are modelled with
# a Bernoulli likelihood, the usual choice for MNIST (`--likelihood auto` picks it for data in
# [0, 1]).
#
# In smoke mode we write 600 training and 200 test digits to a folder and point every run at
# it with `data.data_dir`; readers train on the whole set.

# %%
mnist = load_mnist()
print(f"train {tuple(mnist.x_train.shape)}, test {tuple(mnist.x_test.shape)}")

DATA_DIR = None
if SMOKE:
    DATA_DIR = RUNS / "mnist-small"
    DATA_DIR.mkdir()
    for name, x, n in (("train", mnist.x_train, 600), ("t10k", mnist.x_test, 200)):
        write_idx(DATA_DIR / f"{name}-images-idx3-ubyte", (x[:n, 0] * 255).round().numpy())
        labels = (mnist.y_train if name == "train" else mnist.y_test)[:n].numpy()
        write_idx(DATA_DIR / f"{name}-labels-idx1-ubyte", labels)


def config(**model) -> vaekit.Config:
    """The settings every run below shares, with ``model`` options on top."""
    cfg = vaekit.Config()
    cfg.data.data_dir = None if DATA_DIR is None else str(DATA_DIR)
    cfg.data.val_size = 100 if SMOKE else 5000
    if SMOKE:
        cfg.model.hidden = [64]
    for key, value in model.items():
        setattr(cfg.model, key, value)
    return cfg


# %% [markdown]
# ## Train a VAE with a 2-D latent space
#
# The encoder maps an image `x` to the mean and log-variance of a Gaussian posterior
# `q(z|x)`; the decoder maps a code `z` to the 784 Bernoulli logits of `p(x|z)`; the prior
# `p(z)` is `N(0, I)`. Two latent dimensions reconstruct worse than the default twenty, but
# they can be drawn as they are. The command line does the same with
# `vaekit train --latent-dim 2 --epochs 20`.

# %%
cfg = config(latent_dim=2)
cfg.train.epochs = EPOCHS
cfg.out = str(RUNS / "vae-2d")
run = vaekit.fit(cfg, quiet=SMOKE)
model = vaekit.load(run).eval()
print(run, vaekit.evaluate_run(run, metrics=["elbo"])["loss"])

# %% [markdown]
# ## The ELBO, written out
#
# For one image the VAE maximises
#
# ```text
# ELBO(x) = E_q(z|x)[ log p(x|z) ] - KL( q(z|x) || p(z) )
# ```
#
# a lower bound on `log p(x)`. Training minimises its negative, averaged over a batch. With a
# diagonal Gaussian posterior `N(mu, diag(sigma^2))` and the prior `N(0, I)` the KL term has a
# closed form, `1/2 sum_d (mu_d^2 + sigma_d^2 - 1 - log sigma_d^2)`; the expectation is
# estimated with one reparameterised sample `z = mu + sigma * eps`, `eps ~ N(0, I)`, which
# lets gradients flow through `mu` and `sigma`. Under a Bernoulli decoder `-log p(x|z)` is the
# binary cross-entropy between the image and the decoded logits, summed over pixels.
#
# Here are those lines in plain torch for one test batch, beside `model.loss`. The same seed
# gives both the same `eps`, so the two agree to float rounding.

# %%
x = mnist.x_test[:128]  # (128, 1, 28, 28)
with torch.no_grad():
    q = model.encode(x)  # q.mean, q.logvar: (128, 2)
    torch.manual_seed(0)
    eps = torch.randn_like(q.mean)  # (128, 2)
    z = q.mean + torch.exp(0.5 * q.logvar) * eps  # reparameterised sample
    logits = model.decode_params(z)  # (128, 1, 28, 28) Bernoulli logits
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3))
    kl = 0.5 * (q.mean**2 + q.logvar.exp() - 1 - q.logvar).sum(1)  # (128,)
    by_hand = (recon + kl).mean()  # negative ELBO, nats per image

    torch.manual_seed(0)
    out = model.loss(x)  # LossOutput: total, reconstruction, kl, kl_per_dim

print(f"by hand: -ELBO {by_hand:.4f} = recon {recon.mean():.4f} + KL {kl.mean():.4f}")
print(f"vaekit:  -ELBO {out.total:.4f} = recon {out.reconstruction:.4f} + KL {out.kl:.4f}")
assert torch.allclose(by_hand, out.total, rtol=1e-5)
assert torch.allclose(kl.mean(), out.kl, rtol=1e-5)

# %% [markdown]
# ## Training curves
#
# `metrics.jsonl` in the run directory holds one line per epoch; `make_plot(run, "curves")`
# (`vaekit plot RUN curves`) draws the loss, its reconstruction and KL parts on the training
# and validation data, and the KL weight. Reconstruction falls as the decoder learns, while
# the KL rises from zero as the encoder starts to put information into `z`: the price, in
# nats, of what the code says about each image.
#
# ![Training curves of the 2-D VAE](figures/mnist/curves.png)

# %%
vaekit.make_plot(run, "curves", output=OUT / "curves.png")

# %% [markdown]
# ## The latent map
#
# Each test image's posterior mean, coloured by its digit (`vaekit plot RUN latent-map`).
# Nobody told the model about labels, yet digits gather in regions: the code keeps what is
# needed to redraw an image, and the digit's identity is most of that. The KL term keeps the
# cloud near the origin, roughly in the shape of the prior.
#
# ![Posterior means of the test digits](figures/mnist/latent-map.png)

# %%
vaekit.make_plot(run, "latent-map", output=OUT / "latent-map.png")

# %% [markdown]
# ## The manifold
#
# Decode a regular grid of latent points. The grid is laid out at the normal quantiles
# `Phi^-1((i + 0.5) / n)` so that it covers the prior's mass evenly; each cell is the decoder's
# mean image at that point (`vaekit plot RUN manifold -n 20`). Neighbouring cells change
# smoothly from one digit into another: the decoder has learned a continuous map.
#
# ![Decoded grid over the 2-D latent space](figures/mnist/manifold.png)

# %%
vaekit.make_plot(run, "manifold", output=OUT / "manifold.png", n=8 if SMOKE else 20)

# %% [markdown]
# ## From a 3 to an 8
#
# Encode a 3 and an 8 from the test set, walk in a straight line between their posterior
# means and decode each point (`vaekit plot RUN interpolation --from 3 --to 8`). The end
# points are the reconstructions of the two images. `model.interpolate(x0, x1, steps=10)`
# returns the same images as a tensor.
#
# ![Interpolation between a 3 and an 8](figures/mnist/interpolation.png)

# %%
vaekit.make_plot(run, "interpolation", output=OUT / "interpolation.png", source="3", target="8")
three = mnist.x_test[(mnist.y_test == 3).nonzero()[0, 0]]
eight = mnist.x_test[(mnist.y_test == 8).nonzero()[0, 0]]
path = model.interpolate(three, eight, steps=10)  # (10, 1, 28, 28)
print(path.shape)

# %% [markdown]
# ## A conditional VAE: choose the digit
#
# A conditional VAE (Sohn et al. 2015) feeds the one-hot label to the encoder and to the
# decoder, so `p(x|z, y)` and `q(z|x, y)`. The label then no longer needs to live in `z`,
# which keeps the style of the writing (slant, stroke width); at sampling time we pick the
# digit and draw `z` from the prior. Command line: `vaekit train --model cvae --epochs 20`,
# then `vaekit sample RUN -n 16 --label 7 -o sevens.png`.
#
# One row per digit, eight prior draws each:
#
# ![Samples of the conditional VAE, one row per digit](figures/mnist/cvae-samples.png)
#
# and sixteen sevens, with sixteen different styles:
#
# ![Sixteen generated sevens](figures/mnist/cvae-sevens.png)
#
# `vaekit evaluate RUN --metrics samples` measures how often samples drawn for digit `k` are
# read as `k` by a separately trained classifier (`label_accuracy`).

# %%
cfg = config(name="cvae")
cfg.train.epochs = EPOCHS
cfg.out = str(RUNS / "cvae")
cvae_run = vaekit.fit(cfg, quiet=SMOKE)
vaekit.make_plot(cvae_run, "samples", output=OUT / "cvae-samples.png", n=8)
cvae = vaekit.load(cvae_run).eval()
torch.manual_seed(0)
sevens = cvae.sample(16, labels=7)  # (16, 1, 28, 28) pixel probabilities
save_image_grid(OUT / "cvae-sevens.png", sevens.numpy(), nrow=8)

# %% [markdown]
# ## Reconstruction against regularization: beta
#
# Weighting the KL term by beta (Higgins et al. 2017) moves the balance: a large beta pulls
# each posterior towards the prior, so the code carries fewer nats (smaller KL) and the
# reconstructions get blurrier (larger reconstruction loss); a small beta does the opposite.
# `vaekit.sweep` trains one run per value with everything else shared and compares them on
# the test set (`vaekit sweep --param beta=1,4,16 --epochs 10 --out sweeps/beta`).
#
# ![Test loss, reconstruction, KL and active units across beta](figures/mnist/beta-sweep.png)
#
# The loss in the first panel is the unweighted negative ELBO, so it is not what a
# beta other than 1 minimises, and by that measure beta = 1 usually fits the data best.
#
# At the full size (10 epochs per run; measured once on a GPU, 2026-12-04) the test
# reconstruction was 82.0 / 114.4 / 189.7 nats and the KL 20.5 / 8.1 / 0.7 nats for
# beta = 1 / 4 / 16, with 13 / 6 / 1 of the 20 dimensions active.

# %%
cfg = config()
cfg.train.epochs = SHORT
rows = vaekit.sweep(cfg, "beta", [1, 4, 16], RUNS / "beta")
print("beta  reconstruction  KL     active units")
for row in rows:
    print(f"{row['beta']:>4}  {row['reconstruction']:14.2f}  {row['kl']:5.2f}  "
          f"{row['active_units']:>12}")  # fmt: skip
shutil.copy(RUNS / "beta" / "sweep.png", OUT / "beta-sweep.png")

# %% [markdown]
# ## Posterior collapse and its cures
#
# When a latent dimension's posterior equals the prior for every input, its KL is zero and
# the decoder ignores it: the dimension has *collapsed*. Whole-model collapse, where the
# decoder ignores `z` altogether, is the typical failure of strong autoregressive decoders
# (text); with an MLP decoder on MNIST it shows as dimensions left unused. The KL term is
# the reason: early in training the decoder has not yet learned to use a dimension, its KL is
# pure cost, and the optimiser switches it off before it can become useful.
#
# vaekit counts *active units* (Burda et al. 2015), the dimensions whose posterior mean
# varies across inputs (`Var_x E_q[z_d] > 0.01`), and warns when none are left. Three cures
# change the KL term early in training:
#
# - **linear KL annealing** (Bowman et al. 2016), `--kl-schedule linear --warmup-epochs T`:
#   the KL weight rises from 0 to 1 over the first `T` epochs, so the code is first learned as
#   an autoencoder would learn it;
# - **cyclical annealing** (Fu et al. 2019), `--kl-schedule cyclical`: the warm-up repeated
#   `kl_cycles` times, each cycle rising over its first `kl_ratio`;
# - **free bits** (Kingma et al. 2016), `--free-bits L`: each dimension's batch-mean KL counts
#   as at least `L` nats, so below `L` a dimension costs nothing more and gets no push towards
#   the prior. The logged KL is always the true one.
#
# The two schedules:
#
# ![KL weight of the linear and cyclical schedules](figures/mnist/kl-schedules.png)

# %%
epochs = np.linspace(0, SHORT, 200)
warmup = max(1, SHORT // 2)
plt.figure(figsize=(6, 2.6))
plt.plot(epochs, [LinearWarmup(warmup)(t) for t in epochs], label=f"linear, {warmup} epochs")
plt.plot(epochs, [CyclicalSchedule(SHORT, cycles=4, ratio=0.5)(t) for t in epochs],
         label="cyclical, 4 cycles")  # fmt: skip
plt.xlabel("epoch")
plt.ylabel("KL weight")
plt.legend()
plt.tight_layout()
plt.savefig(OUT / "kl-schedules.png", dpi=100)
plt.close()

# %% [markdown]
# We train a 32-D VAE four ways for the same number of epochs and measure, on the test set,
# the KL of each dimension and the active units. The dimensions are sorted by KL; grey bars
# are inactive units.
#
# ![KL per latent dimension for each cure](figures/mnist/collapse.png)
#
# What to read in it: with the constant weight typically only part of the 32 dimensions
# carry information, the rest sit at KL ~ 0. The schedules let the model commit information before
# the KL bites, and free bits removes the pressure on dimensions below the floor; compare the
# active-unit counts in the panel titles and the total KL. More active units is not a goal in
# itself: the test loss (printed below) tells whether the extra information pays for its KL.
#
# At the full size (10 epochs each, the same GPU run): constant weight 18 of 32 active, test
# loss 103.3 nats; linear warm-up 21 active, 103.0; cyclical 21 active, 102.1; free bits 32 of
# 32 active, 106.8. Here both schedules bought a better fit, while free bits kept every
# dimension in use at a cost in test loss.

# %%
cures = {
    "constant": {},
    "linear warm-up": {"kl_schedule": "linear", "warmup_epochs": warmup},
    "cyclical": {"kl_schedule": "cyclical", "kl_cycles": 4, "kl_ratio": 0.5},
    "free bits 0.5": {"free_bits": 0.5},
}
results = {}
for name, train_options in cures.items():
    cfg = config(latent_dim=32)
    cfg.train.epochs = SHORT
    for key, value in train_options.items():
        setattr(cfg.train, key, value)
    cfg.out = str(RUNS / "collapse" / name.replace(" ", "-"))
    cure_run = vaekit.fit(cfg, quiet=True)
    results[name] = vaekit.evaluate_run(cure_run, metrics=["elbo", "latent"])
    r = results[name]
    print(f"{name:15s} test loss {r['loss']:7.2f}  KL {r['kl']:6.2f}  "
          f"active units {r['active_units']:2d} of 32")  # fmt: skip

fig, axes = plt.subplots(1, len(results), figsize=(14, 3), sharey=True)
for ax, (name, r) in zip(axes, results.items(), strict=True):
    order = np.argsort(r["kl_per_dim"])[::-1]
    kl_sorted = np.asarray(r["kl_per_dim"])[order]
    active = np.asarray(r["posterior_mean_variance"])[order] > 0.01
    ax.bar(np.arange(32), kl_sorted, color=np.where(active, "C0", "0.7"))
    ax.set_title(f"{name}\n{r['active_units']} active, KL {r['kl']:.1f}", fontsize=10)
    ax.set_xlabel("dimension (by KL)")
axes[0].set_ylabel("KL (nats)")
fig.tight_layout()
fig.savefig(OUT / "collapse.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## Where to go next
#
# - `vaekit report RUN` puts every figure of a run, its configuration and metrics in one HTML
#   file; `vaekit evaluate RUN --iw 5000` adds the importance-sampled log-likelihood.
# - The [disentanglement tutorial](disentanglement.md) weights parts of the KL to make single
#   latent dimensions match single factors of the data.
# - [Training at scale](at_scale.md): resume, threads, several processes, a GPU.

# %%
shutil.rmtree(RUNS, ignore_errors=True)
