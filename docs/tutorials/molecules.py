# %% [markdown]
# # Molecules: a SMILES VAE and the neighbourhood of aspirin
#
# A molecule can be written as a SMILES string (aspirin is `CC(=O)Oc1ccccc1C(=O)O`), so the
# sentence VAE of Bowman et al. applies to molecules as well (Gómez-Bombarelli et al.
# 2018). This tutorial trains vaekit's `seq-vae` on a subset of the MOSES training set,
# samples molecules and measures how many are valid, then explores the chemical
# neighbourhood of a known drug: it encodes aspirin, decodes points around its code, and
# shows the valid neighbours with their Tanimoto similarity to aspirin and their QED
# (drug-likeness).
#
# Needs the `chem` extra (`pip install '.[chem]'` in the vaekit checkout: RDKit). The
# MOSES files are read from `$VAEKIT_DATA_DIR/moses`.
#
# With `VAEKIT_TUTORIAL_SMOKE=1` a tiny model sees 1,000 molecules for a few steps: almost
# nothing it writes is then a valid molecule, and the numbers mean nothing. The full size
# (1,500 steps of 128 molecules, a quarter of an hour or more on a 2-core CPU) gives a
# model that is still far from the benchmark's, which trains for hours.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch

import vaekit
from vaekit import chem

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"  # CI: tiny epochs/data, seconds
OUT = Path(os.environ.get("VAEKIT_TUTORIAL_OUT", Path(__file__).resolve().parent / "figures"))
OUT = OUT / "molecules"
OUT.mkdir(parents=True, exist_ok=True)
RUNS = Path(tempfile.mkdtemp())  # run directories of this page

# %% [markdown]
# ## Train on a MOSES subset
#
# `--dataset moses` reads MOSES's training and test SMILES and tokenizes them into atoms
# and bonds (bracket atoms, `Cl`, `Br`, ring closures). `data.max_examples` takes a seeded
# random subset of the training lines. Free bits (`free_bits`, nats per latent dimension)
# keep the code informative, which the neighbourhood exploration below needs: a collapsed
# code decodes every point to the same few molecules. The command line equivalent:
#
# ```bash
# vaekit train --model seq-vae --dataset moses --latent-dim 32 --free-bits 0.2 \
#   --kl-schedule linear --warmup-epochs 3 --epochs 10 --batch-size 128 \
#   --set data.max_examples=50000 \
#   --set train.steps_per_epoch=150 --set model.embed_dim=64 --set model.rnn_hidden=256 \
#   --set model.decoder_hidden=512 --out runs/moses-small
# ```
#
# For the MOSES benchmark's own model use `vaekit train --preset moses-vae` (hours on a
# CPU; see the molecules page).

# %%
cfg = vaekit.Config()
cfg.model.name = "seq-vae"
cfg.data.dataset = "moses"
cfg.model.latent_dim = 32
cfg.train.free_bits = 0.2
cfg.train.kl_schedule = "linear"  # the KL weight ramps from 0 to 1 over warmup_epochs
cfg.train.batch_size = 128
cfg.train.held_out_examples = 1000
if SMOKE:
    cfg.data.max_examples = 1000
    cfg.model.embed_dim, cfg.model.rnn_hidden, cfg.model.decoder_hidden = 16, 32, 64
    cfg.train.epochs, cfg.train.steps_per_epoch, cfg.train.warmup_epochs = 2, 3, 1
else:
    cfg.data.max_examples = 50_000
    cfg.model.embed_dim, cfg.model.rnn_hidden, cfg.model.decoder_hidden = 64, 256, 512
    cfg.train.epochs, cfg.train.steps_per_epoch, cfg.train.warmup_epochs = 10, 150, 3
cfg.out = str(RUNS / "moses-small")
run = vaekit.fit(cfg, quiet=True)
model = vaekit.load(run)  # takes and returns SMILES strings

# %% [markdown]
# ## Sample and check validity
#
# A sample is valid when RDKit parses and sanitizes it (`chem.is_valid`). The full MOSES
# metrics (uniqueness, novelty, FCD, SNN, ...) are `vaekit molecules sample` and
# `vaekit molecules metrics` on the command line, or `chem.moses_metrics` in Python.

# %%
n_samples = 100 if SMOKE else 1000
samples = model.sample_text(n_samples)
valid = [s for s in samples if chem.is_valid(s)]
unique = {chem.canonical_smiles(s) for s in valid}
print(f"valid {len(valid) / n_samples:.1%}, unique among valid {len(unique)}/{len(valid)}")
print("a few valid samples:", valid[:5])

# %% [markdown]
# Validity grows with training: the [Molecules page](../applications/molecules.md) measures
# 91% valid for the MOSES seq-vae (the preset with a 1 x 512 decoder) after about 3.3 hours, where short CPU runs like this one stay far
# lower.
#
# ## The neighbourhood of aspirin
#
# We encode aspirin, then decode codes drawn around its posterior mean at three distances
# (Gaussian noise of standard deviation 0.25, 0.5 and 1 in the 32-dimensional latent
# space, where the prior has standard deviation 1). Each code is decoded greedily; the
# valid, distinct molecules other than aspirin itself are its neighbours. For each we
# compute the Tanimoto similarity of Morgan fingerprints (radius 2, 1024 bits, MOSES's
# choice) to aspirin, and QED.

# %%
QUERY = "CC(=O)Oc1ccccc1C(=O)O"  # aspirin
query_mol = chem.get_mol(QUERY)
query_fp = chem.morgan_fingerprint(query_mol).astype(bool)  # (1024,)


def tanimoto(mol: object) -> float:
    fp = chem.morgan_fingerprint(mol).astype(bool)  # (1024,)
    return float((fp & query_fp).sum() / max((fp | query_fp).sum(), 1))


q = model.encode([QUERY])  # q.mean, q.logvar: (1, 32)
print("aspirin decodes back to:", model.reconstruct_text([QUERY])[0])
generator = torch.Generator().manual_seed(0)
per_scale = 30 if SMOKE else 300
neighbours: dict[str, dict[str, float]] = {}
for scale in (0.25, 0.5, 1.0):
    noise = torch.randn(per_scale, q.mean.shape[1], generator=generator)  # (n, 32)
    with torch.no_grad():
        decoded = model.to_text(model.decode(q.mean + scale * noise))
    found = 0
    for smiles in decoded:
        mol = chem.get_mol(smiles)
        if mol is None:
            continue
        found += 1
        key = chem.canonical_smiles(smiles)
        if key != chem.canonical_smiles(QUERY) and key not in neighbours:
            neighbours[key] = {"scale": scale, "tanimoto": tanimoto(mol), "qed": chem.qed(mol)}
    print(f"scale {scale}: {found}/{per_scale} valid decodes")

ranked = sorted(neighbours.items(), key=lambda kv: -kv[1]["tanimoto"])
print(f"{len(ranked)} distinct valid neighbours; the closest:")
for smiles, v in ranked[:8]:
    print(f"  {smiles:<40} Tanimoto {v['tanimoto']:.2f}  QED {v['qed']:.2f}")

# %% [markdown]
# What to look for: the smaller the step, the closer the neighbours should stay to
# aspirin (a substituent swapped or moved on the ring); larger steps leave the family and
# the similarity falls. How many decodes are valid, and how smooth the neighbourhood is,
# depends on how well the model has been trained. QED says whether a neighbour is still
# drug-like; aspirin's own is about 0.55.

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for scale, colour in ((0.25, "C0"), (0.5, "C1"), (1.0, "C2")):
    pts = [v for v in neighbours.values() if v["scale"] == scale]
    ax.scatter([p["tanimoto"] for p in pts], [p["qed"] for p in pts], s=14, color=colour,
               label=f"noise {scale}")  # fmt: skip
ax.scatter([1.0], [chem.qed(query_mol)], marker="*", s=160, color="k", label="aspirin")
ax.set_xlabel("Tanimoto similarity to aspirin")
ax.set_ylabel("QED")
ax.set_xlim(0, 1.05)
ax.set_ylim(0, 1)
ax.legend(frameon=False, fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "neighbourhood.png", dpi=70)
plt.close(fig)

# %% [markdown]
# ![Neighbours of aspirin: similarity against QED](figures/molecules/neighbourhood.png)
#
# ## Drawing the neighbours
#
# RDKit draws a grid of molecules with their similarity and QED as legends (aspirin first).
# The drawing needs RDKit's drawing code (and Pillow); without it this step is skipped.

# %%
try:
    from rdkit.Chem import Draw
except ImportError:
    Draw = None
if Draw is None:
    print("RDKit drawing is not available: no grid drawn")
else:
    shown = ranked[:11]
    mols = [query_mol] + [chem.get_mol(s) for s, _ in shown]
    legends = ["aspirin"] + [f"T {v['tanimoto']:.2f}  QED {v['qed']:.2f}" for _, v in shown]
    options = Draw.MolDrawOptions()
    options.drawMolsSameScale = False  # each molecule fills its own cell
    grid = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(180, 150), legends=legends,
                                drawOptions=options)  # fmt: skip
    grid.save(OUT / "neighbours.png")

# %% [markdown]
# ![Aspirin and its closest valid neighbours](figures/molecules/neighbours.png)
#
# To search the latent space for a property instead of exploring it by hand, see
# `vaekit molecules optimize` and `vaekit.chem.optimize.LatentOptimizer` (gradient ascent,
# Bayesian optimization or CMA-ES on QED or penalized logP).
#
# ## Errors you may meet
#
# - Without RDKit, `vaekit.chem` functions say what to install (`pip install '.[chem]'`).
# - A SMILES with a token the training set never had (an element MOSES lacks, such as
#   `[Si]`) encodes as `<unk>`; check `model.reconstruct_text` before trusting its code.
# - A line that the SMILES pattern cannot read is an error naming the file and line.
