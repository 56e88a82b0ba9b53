"""Test log-likelihood on dynamically binarized MNIST by the IWAE paper's protocol.

Protocol (PROTOCOLS.md section 2, Burda et al. 2015): dynamic binarization (test set binarized
once with a fixed seed), 784-200-200-50 tanh encoder and mirrored decoder, Bernoulli output
with its bias initialised to the logit of the training mean, Adam (0.9, 0.999, eps 1e-4),
batch 20, the 8-stage learning-rate schedule lr 1e-3 * 10^(-i/7). The paper's stage i lasts
3^i epochs (3280 in all); on a CPU budget the 8 stages fill the epochs that fit in
``--budget`` minutes per model, with equal lengths by default (``--stage-ratio 1``; 3 keeps
the paper's proportions, which spend two thirds of a short budget at the final rate).
Test NLL = -L_5000, in nats, beside the published values. ``--kl-warmup N`` adds a linear KL
warm-up over N epochs (Sønderby et al. 2016) to every model of the call; the hierarchical
model needs it to keep its upper layer active.

Each model trains into ``--out-dir/<name>``; a run that is already there is evaluated, not
trained again, so models can be trained in parallel processes and scored in one call:

    python benchmarks/mnist_nll.py --models vae --skip-eval --threads 1 &
    python benchmarks/mnist_nll.py --models iwae-50 --skip-eval --threads 1 &
    wait; python benchmarks/mnist_nll.py --models vae,iwae-50
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

import vaekit
from _record import append_results
from vaekit.data import build_data
from vaekit.io.run_dir import read_evaluation
from vaekit.train import build_model

#: name -> (registered model, importance samples in training, other model options)
MODELS: dict[str, tuple[str, int, dict]] = {
    "vae": ("vae", 1, {}),
    "iwae-5": ("iwae", 5, {}),
    "iwae-50": ("iwae", 50, {}),
    # the IWAE paper's 2 stochastic layers: 784-200-200-100(z1)-100-100-50(z2)
    "hvae": ("hvae", 1, {"latent_dim": 100, "top_hidden": [100, 100], "top_latent_dim": 50}),
    "hvae-ladder": (
        "hvae",
        1,
        {"latent_dim": 100, "top_hidden": [100, 100], "top_latent_dim": 50, "inference": "ladder"},
    ),
    "vae-iaf": ("vae", 1, {"posterior": "iaf", "flow_steps": 4}),
    "vae-vamp": ("vae", 1, {"prior": "vamp", "prior_components": 500}),
}
#: published test NLL (nats): Burda et al. 2015 table 1 (3280 epochs) for vae/iwae/hvae
#: (2-layer VAE); Tomczak & Welling 2017 table 2 for the VampPrior (1 layer, MLP)
PUBLISHED = {"vae": "86.76", "iwae-5": "85.54", "iwae-50": "84.78", "hvae": "85.33",
             "hvae-ladder": "n/a",
             "vae-iaf": "n/a", "vae-vamp": "85.57"}  # fmt: skip


def protocol_config(
    name: str, out: Path, device: str, stage_ratio: float, warmup_epochs: float = 0.0
) -> vaekit.Config:
    model, k, options = MODELS[name]
    cfg = vaekit.Config()
    cfg.model.name = model
    if model != "vae":
        cfg.model.iw_samples = k
    cfg.model.hidden = [200, 200]
    cfg.model.latent_dim = 50
    cfg.model.activation = "tanh"
    cfg.model.likelihood = "bernoulli"
    cfg.data.binarize = "dynamic"
    cfg.data.val_size = 0
    cfg.train.batch_size = 20
    cfg.train.lr = 1e-3
    cfg.train.adam_eps = 1e-4
    cfg.train.lr_schedule = "iwae"
    cfg.train.lr_stage_ratio = stage_ratio
    cfg.train.device = device
    if warmup_epochs > 0:  # Sønderby et al. 2016: KL weight rising linearly from 0 to 1
        cfg.train.kl_schedule = "linear"
        cfg.train.warmup_epochs = warmup_epochs
    for key, value in options.items():
        setattr(cfg.model, key, value)
    cfg.out = str(out)
    return cfg


def epochs_for_budget(cfg: vaekit.Config, minutes: float, probe_steps: int = 300) -> int:
    """Time ``probe_steps`` training steps and return the epochs that fit in ``minutes``."""
    data = build_data(cfg)
    model = build_model(cfg, data)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-4)
    x = data.train.x
    t0 = None
    for i in range(probe_steps + 20):
        if i == 20:
            t0 = time.perf_counter()
        batch = torch.bernoulli(x[torch.randint(0, len(x), (cfg.train.batch_size,))])
        loss = model.loss(batch).total
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    per_step = (time.perf_counter() - t0) / probe_steps
    steps = math.ceil(len(x) / cfg.train.batch_size)
    return max(1, int(minutes * 60 / (per_step * steps * 1.1)))  # 10% for the trainer's own work


def train_one(name: str, args: argparse.Namespace) -> None:
    out = Path(args.out_dir) / name
    if (out / "model.safetensors").exists():
        print(f"{name}: trained run found in {out}")
        return
    cfg = protocol_config(name, out, args.device, args.stage_ratio, args.kl_warmup)
    cfg.train.epochs = args.epochs or epochs_for_budget(cfg, args.budget_minutes)
    print(f"{name}: training {cfg.train.epochs} epochs into {out}")
    vaekit.fit(cfg, quiet=True)


def write_eval_seconds(run: Path, seconds: float) -> None:
    """Keep the evaluation time beside the results, so that a later call can reuse both."""
    path = run / "evaluation.json"
    data = json.loads(path.read_text())
    data["test"]["seconds"] = seconds
    path.write_text(json.dumps(data, indent=2))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="vae,iwae-5,iwae-50")
    p.add_argument(
        "--budget", "--budget-minutes", dest="budget_minutes", type=float, default=50.0,
        help="training time per model, minutes (shortens the schedule to fit)",
    )  # fmt: skip
    p.add_argument("--epochs", type=int, default=0, help="fixed epochs instead of a time budget")
    p.add_argument(
        "--stage-ratio", type=float, default=1.0,
        help="stage i of the lr schedule lasts ratio^i (3: the paper's 3280 epochs; 1: equal "
        "stages, which suits a short budget)",
    )  # fmt: skip
    p.add_argument(
        "--kl-warmup", type=float, default=0.0,
        help="linear KL warm-up over this many epochs, for every model of the call (0: none)",
    )  # fmt: skip
    p.add_argument("--eval-k", type=int, default=5000)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--device", default="auto")
    p.add_argument("--out-dir", default="bench-runs/mnist-nll")
    p.add_argument("--skip-eval", action="store_true")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    for name in names:
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
        train_one(name, args)
    if args.skip_eval:
        return
    from vaekit.eval import evaluate_run

    rows = []
    for name in names:
        run = Path(args.out_dir) / name
        metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        done = read_evaluation(run).get("test", {})
        if done.get("iw_k") == args.eval_k and "seconds" in done:  # evaluated before: reuse
            res, seconds = done, done["seconds"]
        else:
            t0 = time.perf_counter()
            res = evaluate_run(run, "test", ["elbo", "latent", "iw"], args.eval_k, quiet=False)
            seconds = time.perf_counter() - t0
            write_eval_seconds(run, seconds)
        rows.append(
            f"| {name} | {len(metrics)} | {sum(m['seconds'] for m in metrics) / 60:.1f} min "
            f"| {res['nll']:.2f} ± {res['nll_std_error']:.2f} | {PUBLISHED[name]} "
            f"| {res['loss']:.2f} | {res['active_units']} | {seconds:.0f} s |"
        )
    body = (
        "| model | epochs | training time | vaekit test NLL = -L_5000 "
        "(nats) | published | test -ELBO | active units | evaluation time |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n"
        "Training time is the sum of the logged epoch times (each run trained with the time "
        f"budget or fixed epochs shown); 8 lr stages with length ratio {args.stage_ratio:g}; "
        + (
            f"linear KL warm-up over {args.kl_warmup:g} epochs for every model; "
            if args.kl_warmup > 0
            else ""
        )
        + f"evaluation with k = {args.eval_k} on the 10,000 test images (binarized once, fixed "
        + "seed); ± is the standard error of the mean over the test images. hvae has 2 "
        "stochastic layers, the rest 1; vae-iaf: 4 IAF steps; vae-vamp: 500 pseudo-inputs."
    )
    append_results("MNIST test NLL, IWAE protocol", body)


if __name__ == "__main__":
    main()
