"""Sequence VAE vs a GRU language model of the same size and steps, on sentences and SMILES.

For each corpus: ``rnnlm`` and ``seq-vae`` with (a) a constant KL weight, (b) linear KL
annealing, (c) annealing + word dropout 0.25, (d) cyclical annealing (4 cycles, Fu et al.
2019), (e) free bits (0.5 nats per dimension, constant weight), and (c2) = (c) with word
dropout 0.5; the same steps, batch and sizes for all. On the test split: NLL per sequence
by importance sampling (``--iw`` samples; exact for the language model), per token and
perplexity, KL, active units, greedy reconstruction accuracy. SMILES adds validity (RDKit,
when installed) and uniqueness of ``--samples`` prior samples. Ten samples and two
homotopies of model (c) are printed.

Throughput: vaekit's trainer (length-bucketed batches, outputs only at real tokens) against a
straightforward tutorial loop (every sequence padded to the longest in the data, random
batches, logits at every position with ``ignore_index``) on the same model and data, in
the same process: real tokens per second.

    python benchmarks/sequence_vae.py --corpus sentences [--steps 1500] [--iw 50]
    python benchmarks/sequence_vae.py --corpus smiles [--max-examples 250000] [--steps ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

import vaekit
from _record import append_results
from vaekit.data import build_data
from vaekit.data.base import Split
from vaekit.eval.elbo import elbo_terms
from vaekit.eval.importance import iw_log_likelihood
from vaekit.eval.latent import active_units, posterior_stats
from vaekit.eval.sequences import reconstruction_accuracy
from vaekit.io import load
from vaekit.text import PAD_ID

#: name -> (model, config overrides)
CONFIGS = {
    "rnnlm": ("rnnlm", {}),
    "(a) constant KL": ("seq-vae", {}),
    "(b) linear annealing": ("seq-vae", {"train.kl_schedule": "linear"}),
    "(c) annealing + word dropout": (
        "seq-vae", {"train.kl_schedule": "linear", "model.word_dropout": 0.25}),
    "(c2) annealing + word dropout 0.5": (
        "seq-vae", {"train.kl_schedule": "linear", "model.word_dropout": 0.5}),
    "(d) cyclical annealing": ("seq-vae", {"train.kl_schedule": "cyclical", "train.kl_cycles": 4}),
    "(e) free bits 0.5": ("seq-vae", {"train.free_bits": 0.5}),
}  # fmt: skip
CORPORA = {
    # Bowman et al.'s re-implementation sizes: embedding 300 -> 256 here, hidden 256, latent 16
    "sentences": {
        "data.dataset": "sentences", "data.tokenizer": "word", "data.vocab_size": 10000,
        "model.latent_dim": 16, "model.embed_dim": 256, "model.rnn_hidden": 256,
        "model.decoder_hidden": 256,
    },
    # the MOSES VAE's character vocabulary and encoder; a one-layer 512 decoder for CPU
    "smiles": {
        "data.dataset": "moses", "data.tokenizer": "char", "model.latent_dim": 64,
        "model.embed_dim": 0, "model.rnn_hidden": 256, "model.bidirectional": False,
        "model.decoder_hidden": 512, "model.decoder_layers": 1,
    },
}  # fmt: skip
CHUNKS = 10  # the step budget is cut into this many "epochs" (schedules run in epochs)


def config_for(args: argparse.Namespace, name: str) -> vaekit.Config:
    model, overrides = CONFIGS[name]
    cfg = vaekit.Config()
    for key, value in {**CORPORA[args.corpus], **overrides}.items():
        cfg.set(key, value)
    cfg.model.name = model
    cfg.data.val_size = 2000
    if args.corpus == "smiles":
        cfg.data.max_examples = args.max_examples
    cfg.train.batch_size = args.batch_size
    cfg.train.epochs = CHUNKS
    cfg.train.steps_per_epoch = args.steps // CHUNKS
    cfg.train.warmup_epochs = CHUNKS / 2  # annealing over the first half
    cfg.train.lr = args.lr
    cfg.train.grad_clip = 5.0
    cfg.train.device = args.device
    cfg.train.eval_batch_size = 500
    return cfg


def train_one(args: argparse.Namespace, name: str, run: Path) -> float:
    if (run / "model.safetensors").exists():
        return 0.0
    cfg = config_for(args, name)
    cfg.out = str(run)
    t0 = time.perf_counter()
    if (run / "config.yaml").exists():
        vaekit.resume(run, quiet=True)
    else:
        vaekit.fit(cfg, quiet=True)
    return time.perf_counter() - t0


def measure(args: argparse.Namespace, run: Path, test: Split) -> dict:
    cached = run / "bench.json"
    if cached.exists():
        return json.loads(cached.read_text())
    model = load(run, args.device)
    k = 1 if not model.has_latent else args.iw
    bound = iw_log_likelihood(model, test, k, device=args.device, seed=0)
    tokens = sum(int((x != PAD_ID).sum()) for x, _ in vaekit.data.iterate_batches(test, 1000))
    nll = -float(bound.mean())
    per_token = -float(bound.sum()) / tokens
    elbo = elbo_terms(model, test, 500, args.device)
    means, _, _ = posterior_stats(model, test, 500, args.device)
    records = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    out = {
        "nll": nll, "nll_per_token": per_token, "ppl": float(torch.tensor(per_token).exp()),
        "elbo_loss": elbo["loss"], "kl": elbo["kl"], "iw_k": k,
        "active_units": active_units(means)[0] if model.has_latent else 0,
        "tokens_per_s": sum(r["tokens_per_s"] for r in records) / len(records),
        "steps": records[-1]["step"],
    }  # fmt: skip
    if model.has_latent:
        out.update(reconstruction_accuracy(model, test, 500, args.device))
    if args.corpus == "smiles":
        out.update(smiles_quality(model, args.samples))
    cached.write_text(json.dumps(out, indent=1))
    return out


def smiles_quality(model: torch.nn.Module, n: int) -> dict:
    """Validity (RDKit) and uniqueness of ``n`` prior samples, MOSES's way: valid over all
    samples; unique over the valid ones' canonical forms."""
    torch.manual_seed(0)
    smiles = []
    for i in range(0, n, 2000):
        smiles += model.sample_text(min(2000, n - i), max_length=100)
    try:
        from rdkit import Chem, RDLogger
    except ImportError:
        return {"valid": None, "unique": None, "note": "RDKit not installed: not measured"}
    RDLogger.DisableLog("rdApp.*")
    canon = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if s else None
        if mol is not None:
            canon.append(Chem.MolToSmiles(mol))
    return {"valid": len(canon) / n, "unique": len(set(canon)) / max(len(canon), 1),
            "samples_n": n}  # fmt: skip


class TutorialSeqVAE(nn.Module):
    """The usual tutorial sequence VAE: nothing packed, logits at every padded position."""

    def __init__(self, vocab: int, cfg: vaekit.Config) -> None:
        super().__init__()
        m = cfg.model
        e = m.embed_dim or vocab
        self.emb = nn.Embedding(vocab, e, padding_idx=0)
        self.enc = nn.GRU(e, m.rnn_hidden, batch_first=True, bidirectional=m.bidirectional)
        h = m.rnn_hidden * (2 if m.bidirectional else 1)
        self.mu, self.logvar = nn.Linear(h, m.latent_dim), nn.Linear(h, m.latent_dim)
        self.init = nn.Linear(m.latent_dim, m.decoder_hidden)
        self.dec = nn.GRU(e + m.latent_dim, m.decoder_hidden, m.decoder_layers, batch_first=True)
        self.out = nn.Linear(m.decoder_hidden, vocab)
        self.layers = m.decoder_layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, Tmax) padded ids
        _, h = self.enc(self.emb(x))
        h = h[-2:].transpose(0, 1).reshape(x.shape[0], -1) if self.enc.bidirectional else h[-1]
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        inp = torch.cat([torch.ones_like(x[:, :1]), x[:, :-1]], 1)
        e = torch.cat([self.emb(inp), z[:, None].expand(-1, x.shape[1], -1)], -1)
        h0 = self.init(z)[None].expand(self.layers, -1, -1).contiguous()
        o, _ = self.dec(e, h0)
        logits = self.out(o)  # (B, Tmax, V)
        rec = F.cross_entropy(logits.transpose(1, 2), x, ignore_index=0, reduction="sum")
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum()
        return (rec + kl) / x.shape[0]


def tutorial_tokens_per_s(args: argparse.Namespace, steps: int) -> tuple[float, int, float]:
    """Real tokens per second of the tutorial loop on config (c)'s model and data; also the
    longest sequence (its padding length) and the mean length."""
    cfg = config_for(args, "(c) annealing + word dropout")
    data = build_data(cfg)
    seqs = data.train.x
    every = seqs.batch(torch.arange(len(seqs)))  # (N, Tmax): padded to the global maximum
    torch.manual_seed(0)
    model = TutorialSeqVAE(data.tokenizer.vocab_size, cfg)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_tokens, t0 = 0, 0.0
    for i in range(steps + 5):
        if i == 5:
            n_tokens, t0 = 0, time.perf_counter()  # after warm-up
        x = every[torch.randint(0, len(every), (args.batch_size,))]
        loss = model(x)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        n_tokens += int((x != PAD_ID).sum())
    return n_tokens / (time.perf_counter() - t0), every.shape[1], float(seqs.lengths.float().mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", choices=list(CORPORA), default="sentences")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--iw", type=int, default=50)
    p.add_argument("--max-examples", type=int, default=250000)
    p.add_argument("--test-examples", type=int, default=0, help="seeded test subset (0: all)")
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--tutorial-steps", type=int, default=60)
    p.add_argument("--configs", nargs="*", default=list(CONFIGS))
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="bench-runs/sequence")
    p.add_argument("--no-record", action="store_true")
    args = p.parse_args()
    torch.set_flush_denormal(True)
    root = Path(args.out) / args.corpus
    rows, seconds = {}, {}
    for name in args.configs:
        run = root / name.split(" ")[0].strip("()")
        seconds[name] = train_one(args, name, run)
        print(f"{name}: trained ({seconds[name]:.0f}s)", flush=True)
    first = load(root / args.configs[0].split(" ")[0].strip("()"))
    data = build_data(config_for(args, args.configs[0]), first.tokenizer)
    test = data.test
    if args.test_examples and args.test_examples < len(test):
        g = torch.Generator().manual_seed(0)
        test = Split(test.x.subset(torch.randperm(len(test), generator=g)[: args.test_examples]))
    for name in args.configs:
        rows[name] = measure(args, root / name.split(" ")[0].strip("()"), test)
        print(name, json.dumps(rows[name]), flush=True)
    tut, t_max, t_mean = tutorial_tokens_per_s(args, args.tutorial_steps)
    report(args, rows, seconds, (tut, t_max, t_mean), root, len(test))


def report(args, rows, seconds, tutorial, root, n_test) -> None:
    head = ("| model | NLL/seq | NLL/token | PPL | ELBO loss | KL | AU | recon exact | "
            "recon tokens | tokens/s |")  # fmt: skip
    if args.corpus == "smiles":
        head += " valid | unique |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, r in rows.items():
        line = (
            f"| {name} | {r['nll']:.2f} | {r['nll_per_token']:.3f} | {r['ppl']:.1f} | "
            f"{r['elbo_loss']:.2f} | {r['kl']:.2f} | {r['active_units']} | "
            f"{r.get('recon_exact', float('nan')):.3f} | "
            f"{r.get('recon_token_accuracy', float('nan')):.3f} | {r['tokens_per_s']:,.0f} |"
        )
        if args.corpus == "smiles":
            v, u = r.get("valid"), r.get("unique")
            line += (
                f" {'n/a' if v is None else f'{v:.3f}'} | {'n/a' if u is None else f'{u:.4f}'} |"
            )
        lines.append(line)
    lm = rows.get("rnnlm")
    body = [f"{args.corpus}: {args.steps} steps of batch {args.batch_size} per model "
            f"(Adam {args.lr}, gradient clip 5), annealing over the first half; test "
            f"{n_test:,} sequences, NLL by importance sampling with K = {args.iw} (the LM: "
            "exact).", "", *lines, ""]  # fmt: skip
    if lm:
        for name, r in rows.items():
            if name != "rnnlm":
                body.append(f"- {name}: NLL {100 * (r['nll'] / lm['nll'] - 1):+.2f}% vs rnnlm")
    tut, t_max, t_mean = tutorial
    vk = rows.get("(c) annealing + word dropout", next(iter(rows.values())))["tokens_per_s"]
    body += ["", f"Throughput, model (c): vaekit {vk:,.0f} tokens/s vs tutorial loop "
             f"{tut:,.0f} tokens/s (padded to {t_max} tokens; mean length {t_mean:.1f}): "
             f"{vk / tut:.1f}x.", ""]  # fmt: skip
    best = root / "c"
    if best.exists():
        model = load(best)
        torch.manual_seed(0)
        body += ["Ten samples from the prior, model (c):", "", "```",
                 *model.sample_text(10), "```", ""]  # fmt: skip
        data = build_data(config_for(args, "(c) annealing + word dropout"), model.tokenizer)
        pairs = model.to_text(data.test.x.batch(torch.arange(4)))
        for a, b in ((pairs[0], pairs[1]), (pairs[2], pairs[3])):
            body += [
                "Homotopy (model (c), greedy decodes of 5 evenly spaced codes):",
                "",
                "```",
                f"from: {a}",
                *model.homotopy(a, b, 5),
                f"  to: {b}",
                "```",
                "",
            ]
    text = "\n".join(body)
    print(text)
    if not args.no_record:
        append_results(f"Sequence VAE vs language model: {args.corpus}", text)


if __name__ == "__main__":
    main()
