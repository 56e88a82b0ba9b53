"""MOSES benchmark: the sequence VAE and a character RNN language model, scored with every
MOSES metric beside the published VAE, CharRNN, JTN-VAE and training-set rows.

Each model trains on the MOSES training set (character tokens, as MOSES) in a resumable run
directory; then 30,000 samples from the prior (temperature 1, at most 100 tokens, seed 1) are
written as MOSES's CSV and scored by ``vaekit.chem.moses_metrics`` against MOSES's test and
scaffold-test sets (its own ChemNet statistics for the FCD).

The published VAE is the MOSES code default (``--preset moses-vae``: 3 x 512 GRU decoder,
batch 512, 100 epochs on a GPU). On a CPU the budget is ``--steps`` updates of ``--batch-size``
with a one-layer 512 decoder (``--decoder-layers``) and a larger learning rate; the table
states both. The rnnlm is that same decoder without a latent code (the CharRNN row's role).

    python benchmarks/moses.py train --model vae --steps 6000 --threads 1
    python benchmarks/moses.py train --model rnnlm --steps 6000 --threads 1
    python benchmarks/moses.py report [--samples 30000] [--jobs 2]
    python benchmarks/moses.py optimize --run vae-fb [--opt-steps 50]

``train --name NAME`` keeps several runs of one model (``--free-bits 0.2`` keeps the latent
informative: at the MOSES KL weight the posterior collapses on a CPU budget, which leaves the
latent-space optimization nothing to search); ``report --models vae,vae-fb`` scores them and
``optimize`` writes the optimization table alone.

A run continues to a larger ``--steps`` (its KL ramp and epoch length stay those of its first
call); the seq-vae in results/moses.md was trained by the first line above, then

    python benchmarks/moses.py train --model vae --steps 12300 --threads 2
    python benchmarks/moses.py train --model vae --steps 18000 --threads 2 --lr-drop-at 12300
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import vaekit
import vaekit.io.run_dir
from _record import append_results
from vaekit.chem import METRIC_ORDER, moses_metrics, moses_references, moses_train, read_smiles
from vaekit.chem.sampling import sample_smiles, write_smiles
from vaekit.config import apply_preset
from vaekit.io import load
from vaekit.io.safe import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent / "bench-runs" / "moses"
CHUNKS = 20  # the step budget is cut into this many "epochs" (the KL ramp runs in epochs)

#: published rows (Polykovskiy et al. 2020, Table 2; mean over 3 seeds, 30,000 samples)
PUBLISHED = {
    "Train (MOSES)": {"valid": 1.0, "unique@1000": 1.0, "unique@10000": 1.0, "FCD/Test": 0.008,
                      "FCD/TestSF": 0.4755, "SNN/Test": 0.6419, "SNN/TestSF": 0.5859,
                      "Frag/Test": 1.0, "Frag/TestSF": 0.9986, "Scaf/Test": 0.9907,
                      "Scaf/TestSF": 0.0, "IntDiv": 0.8567, "IntDiv2": 0.8508,
                      "Filters": 1.0, "Novelty": 0.0},
    "VAE (MOSES)": {"valid": 0.9767, "unique@1000": 1.0, "unique@10000": 0.9984,
                    "FCD/Test": 0.099, "FCD/TestSF": 0.567, "SNN/Test": 0.6257,
                    "SNN/TestSF": 0.5783, "Frag/Test": 0.9994, "Frag/TestSF": 0.9984,
                    "Scaf/Test": 0.9386, "Scaf/TestSF": 0.0588, "IntDiv": 0.8558,
                    "IntDiv2": 0.8498, "Filters": 0.997, "Novelty": 0.6949},
    "CharRNN (MOSES)": {"valid": 0.9748, "unique@1000": 1.0, "unique@10000": 0.9994,
                        "FCD/Test": 0.0732, "FCD/TestSF": 0.5204, "SNN/Test": 0.6015,
                        "SNN/TestSF": 0.5649, "Frag/Test": 0.9998, "Frag/TestSF": 0.9983,
                        "Scaf/Test": 0.9242, "Scaf/TestSF": 0.1101, "IntDiv": 0.8562,
                        "IntDiv2": 0.8503, "Filters": 0.9943, "Novelty": 0.8419},
    "JTN-VAE (MOSES)": {"valid": 1.0, "unique@1000": 1.0, "unique@10000": 0.9996,
                        "FCD/Test": 0.3954, "FCD/TestSF": 0.9382, "SNN/Test": 0.5477,
                        "SNN/TestSF": 0.5194, "Frag/Test": 0.9965, "Frag/TestSF": 0.9947,
                        "Scaf/Test": 0.8964, "Scaf/TestSF": 0.1009, "IntDiv": 0.8551,
                        "IntDiv2": 0.8493, "Filters": 0.976, "Novelty": 0.9143},
}  # fmt: skip


def config_for(args: argparse.Namespace, model: str) -> vaekit.Config:
    cfg = vaekit.Config()
    apply_preset(cfg, "moses-vae")
    cfg.model.name = "seq-vae" if model == "vae" else "rnnlm"
    cfg.model.decoder_layers = args.decoder_layers
    cfg.data.val_size = 2000
    cfg.train.batch_size = args.batch_size
    cfg.train.lr = args.lr
    cfg.train.grad_clip = args.grad_clip
    cfg.train.epochs = CHUNKS
    cfg.train.steps_per_epoch = args.steps // CHUNKS
    cfg.train.warmup_epochs = CHUNKS  # MOSES: the KL weight rises over all of training
    if args.lr_drop_at:
        set_lr_drop(cfg, args)
    cfg.train.free_bits = args.free_bits
    cfg.train.threads = args.threads
    cfg.train.device = args.device
    cfg.out = str(ROOT / (args.name or model))
    return cfg


def set_lr_drop(cfg: vaekit.Config, args: argparse.Namespace) -> None:
    """Multiply the learning rate by ``--lr-gamma`` from step ``--lr-drop-at`` (the step
    schedule: again at every further multiple of that many steps)."""
    per_epoch = cfg.train.steps_per_epoch
    if args.lr_drop_at % per_epoch:
        raise SystemExit(f"--lr-drop-at must be a multiple of {per_epoch} steps")
    cfg.train.lr_schedule = "step"
    cfg.train.lr_step_epochs = args.lr_drop_at // per_epoch
    cfg.train.lr_gamma = args.lr_gamma


def label(run_name: str) -> str:
    """The table's name for a run: ``vaekit seq-vae`` for ``vae``, ``vaekit seq-vae (NAME)``."""
    named = {"vae": "vaekit seq-vae", "rnnlm": "vaekit rnnlm"}
    return named.get(run_name, f"vaekit seq-vae ({run_name})")


def train(args: argparse.Namespace) -> None:
    run = ROOT / (args.name or args.model)
    t0 = time.perf_counter()
    if (run / "config.yaml").exists():  # continue, to --steps in total
        cfg = vaekit.io.run_dir.read_run_config(run)
        if args.lr_drop_at:  # only for steps still to come: the run's config stays true
            if args.lr_drop_at < trained_steps(run) or cfg.train.lr_schedule != "none":
                raise SystemExit(
                    f"{run} has trained {trained_steps(run)} steps with "
                    f"schedule {cfg.train.lr_schedule!r}; --lr-drop-at must be later"
                )
            set_lr_drop(cfg, args)
            atomic_write_text(run / "config.yaml", cfg.to_yaml())
        per_epoch = cfg.train.steps_per_epoch
        vaekit.resume(
            run, epochs=-(-args.steps // per_epoch), quiet=True, threads=args.threads or None
        )
    else:
        vaekit.fit(config_for(args, args.model), quiet=True)
    seconds = time.perf_counter() - t0
    record = run / "bench-train.json"
    segments = json.loads(record.read_text())["segments"] if record.exists() else []
    segments.append({"to_step": trained_steps(run), "threads": args.threads, "seconds": seconds})
    record.write_text(
        json.dumps(
            {
                "seconds": sum(s["seconds"] for s in segments),
                "segments": segments,
                "args": vars(args),
            },
            indent=2,
        )
    )


def describe_training(run: Path) -> str:
    """``6,000 steps ... 105 min (steps 1-6,000 on 1 thread, 6,001-12,000 on 2)``."""
    info = json.loads((run / "bench-train.json").read_text())
    t = vaekit.io.run_dir.read_run_config(run).train
    lr = f"lr {t.lr}"
    if t.lr_schedule == "step":
        lr += f" (x {t.lr_gamma} from step {t.lr_step_epochs * t.steps_per_epoch:,})"
    a, done, parts = info["args"], 0, []
    for s in info["segments"]:
        parts.append(
            f"steps {done + 1:,}-{s['to_step']:,} on {s['threads']} thread(s) in "
            f"{s['seconds'] / 60:.0f} min"
        )
        done = s["to_step"]
    return (
        f"{done:,} steps of {a['batch_size']}, {lr}, decoder {a['decoder_layers']} x "
        f"512, {info['seconds'] / 60:.0f} min ({'; '.join(parts)})"
    )


def trained_steps(run: Path) -> int:
    """Steps the run has trained (its cached samples and scores are per step count)."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[-1])["step"]


def report(args: argparse.Namespace) -> None:
    ref, ref_sf = moses_references(args.data_dir, args.jobs, log=print)
    train_set = moses_train(args.data_dir)
    rows = {}
    for model in args.models.split(","):
        run = ROOT / model
        if not (run / "model.safetensors").exists():
            print(f"{run}: not trained, skipped")
            continue
        gen_path = run / f"gen-{args.samples}-seed{args.seed}-step{trained_steps(run)}.csv"
        if not gen_path.exists():
            net = load(run, args.device)
            write_smiles(gen_path, sample_smiles(net, args.samples, args.seed))
        cached = gen_path.with_suffix(".metrics.json")
        if cached.exists():
            rows[model] = json.loads(cached.read_text())
            continue
        t0 = time.perf_counter()
        smiles = read_smiles(gen_path)
        metrics = moses_metrics(smiles, ref, ref_sf, train_set, jobs=args.jobs, log=print)
        metrics["seconds"] = time.perf_counter() - t0
        cached.write_text(json.dumps(metrics, indent=2))
        rows[model] = metrics
    if args.no_record:
        print(json.dumps(rows, indent=2))
        return
    table(args, rows, optimization(args, train_set))


#: top-3 of the JT-VAE paper's Table 2 (Jin et al. 2018; normalized penalized logP) and, for
#: QED, of GCPN's Table 1 (You et al. 2018), which lists JT-VAE and the ZINC data set
PUBLISHED_TOP3 = {
    "plogp": {"ZINC-250k (data)": (4.52, 4.30, 4.23), "CVAE": (1.98, 1.42, 1.19),
              "GVAE": (2.94, 2.89, 2.80), "SD-VAE": (4.04, 3.50, 2.96),
              "JT-VAE": (5.30, 4.93, 4.49)},
    "qed": {"ZINC-250k (data)": (0.948, 0.948, 0.948), "JT-VAE": (0.925, 0.911, 0.910)},
}  # fmt: skip


def optimization(args: argparse.Namespace, train_smiles: list[str]) -> str:
    """Top-3 by each method and objective, from the trained seq-vae; a markdown section."""
    import random

    from vaekit.chem.optimize import LatentOptimizer

    if not args.opt_run:
        return ""
    run = ROOT / args.opt_run
    if not (run / "model.safetensors").exists():
        print(f"{run}: not trained, no optimization table")
        return ""
    cached = run / f"bench-optimize-{args.opt_steps}-step{trained_steps(run)}.json"
    results = json.loads(cached.read_text()) if cached.exists() else {}
    train_list = sorted(train_smiles)
    rng = random.Random(0)
    starts = rng.sample(train_list, 100)
    predictor_set = rng.sample(train_list, 5000)
    model = load(run, args.device)
    for objective in ("plogp", "qed"):
        opt = LatentOptimizer(model, objective, train_smiles, seed=0, log=print)
        for method in ("gradient", "cmaes", "bo"):
            key = f"{objective}/{method}"
            if key in results:
                continue
            if method == "gradient" and opt.predictor is None:
                opt.fit_predictor(predictor_set)
            t0 = time.perf_counter()
            summary = opt.run(starts, method, args.opt_steps).summary()
            summary["seconds"] = time.perf_counter() - t0
            results[key] = summary
            cached.write_text(json.dumps(results, indent=2))
    lines = []
    for objective in ("plogp", "qed"):
        au = results[f"{objective}/gradient"].get("active_units")
        lines += [f"\n{objective} ({args.opt_steps} steps from 100 random training molecules; "
                  f"best start = the best of those 100; {au} active latent units among their "
                  "codes):\n",
                  "| method | 1st | 2nd | 3rd | best start | valid decodes | novel | top |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for method in ("gradient", "cmaes", "bo"):
            r = results[f"{objective}/{method}"]
            top = [f"{t['score']:.3f}" for t in r["top"][:3]] + [""] * 3
            first = r["top"][0]["smiles"] if r["top"] else ""
            lines.append(f"| {label(args.opt_run)}, {method} | {' | '.join(top[:3])} | "
                         f"{r['best_start']:.3f} | {r['valid']:.1%} | {r['novel']:.1%} | "
                         f"`{first}` |")  # fmt: skip
        for name, vals in PUBLISHED_TOP3[objective].items():
            lines.append(f"| {name} (published) | " + " | ".join(f"{v}" for v in vals)
                         + " | | | | |")  # fmt: skip
    return "\n".join(lines)


def table(args: argparse.Namespace, rows: dict[str, dict], opt_text: str = "") -> None:
    cols = [k for k in METRIC_ORDER if k not in ("logP", "SA", "QED", "weight")]
    lines = ["| model | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, values in [(label(k), v) for k, v in rows.items()] + list(PUBLISHED.items()):
        cells = [f"{values[c]:.4f}" if c in values else "" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    props = ["| model | logP | SA | QED | weight |", "|---|---|---|---|---|"]
    for k, v in rows.items():
        props.append(
            f"| {label(k)} | "
            + " | ".join(f"{v[p]:.4f}" for p in ("logP", "SA", "QED", "weight"))
            + " |"
        )
    runs = []
    for k in rows:
        runs.append(f"{label(k)}: {describe_training(ROOT / k)}")
    body = (
        f"{args.samples:,} samples each (seed {args.seed}), scored by `vaekit.chem.moses_metrics`"
        " against MOSES's test and scaffold-test sets; published rows from Polykovskiy et al."
        " 2020 (mean of 3 seeds, GPU, 100 epochs).\n\n" + "\n".join(lines) + "\n\n"
        "Property distributions (Wasserstein-1 to the test set):\n\n"
        + "\n".join(props)
        + "\n\nTraining: "
        + "; ".join(runs)
        + ".\n"
        + ("\nLatent-space optimization:\n" + opt_text if opt_text else "")
    )
    append_results("MOSES: sequence VAE and character RNN against the published table", body)


def optimize(args: argparse.Namespace) -> None:
    """The optimization table alone, for ``--run``, as its own entry of results/moses.md."""
    args.opt_run = args.run
    text = optimization(args, moses_train(args.data_dir))
    if not text:
        raise SystemExit(f"{ROOT / args.run}: not trained")
    print(text)
    if not args.no_record:
        body = f"Run `{args.run}`: {describe_training(ROOT / args.run)}.\n" + text + "\n"
        append_results("MOSES: latent-space optimization", body)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="stage", required=True)
    t = sub.add_parser("train")
    t.add_argument("--model", choices=("vae", "rnnlm"), required=True)
    t.add_argument("--steps", type=int, default=6000)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--grad-clip", type=float, default=5.0)
    t.add_argument("--decoder-layers", type=int, default=1)
    t.add_argument(
        "--name", default=None, help="run directory under bench-runs/moses (default: the model)"
    )
    t.add_argument(
        "--free-bits",
        type=float,
        default=0.0,
        help="free-bits floor in nats per latent dimension (0: off, as MOSES)",
    )
    t.add_argument("--threads", type=int, default=0)
    t.add_argument(
        "--lr-drop-at",
        type=int,
        default=0,
        help="step from which the learning rate is multiplied by --lr-gamma",
    )
    t.add_argument("--lr-gamma", type=float, default=0.2)
    t.add_argument("--device", default="cpu")
    r = sub.add_parser("report")
    r.add_argument("--samples", type=int, default=30_000)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--data-dir", default=None)
    r.add_argument("--device", default="cpu")
    r.add_argument("--opt-steps", type=int, default=50)
    r.add_argument("--models", default="vae,rnnlm", help="run names to score")
    r.add_argument(
        "--opt-run",
        default="vae",
        help="the seq-vae run whose latent space the optimization table searches ('': none)",
    )
    r.add_argument("--no-record", action="store_true", help="score only; no results entry")
    o = sub.add_parser("optimize", help="the latent-space optimization table of one run")
    o.add_argument("--run", default="vae", help="a seq-vae run name under bench-runs/moses")
    o.add_argument("--opt-steps", type=int, default=50)
    o.add_argument("--data-dir", default=None)
    o.add_argument("--device", default="cpu")
    o.add_argument("--no-record", action="store_true", help="print only; no results entry")
    args = p.parse_args()
    torch.manual_seed(0)
    {"train": train, "report": report, "optimize": optimize}[args.stage](args)


if __name__ == "__main__":
    main()
