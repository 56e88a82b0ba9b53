"""The registered metrics (each a thin adapter from :class:`EvalContext` to a metric family)."""

from __future__ import annotations

import math
from typing import Any

import torch

from vaekit.data import iterate_batches, load_mnist
from vaekit.errors import DataError
from vaekit.eval.elbo import elbo_terms
from vaekit.eval.importance import iw_log_likelihood
from vaekit.eval.latent import (
    active_units,
    layer_active_units,
    mutual_information,
    posterior_stats,
)
from vaekit.eval.mode import eval_mode
from vaekit.eval.probe import logistic_probe
from vaekit.eval.registry import EvalContext, register_metric
from vaekit.progress import progress_bar

MI_EXAMPLES = 5000
PROBE_TRAIN_EXAMPLES = 10000


@register_metric("elbo", "negative ELBO, reconstruction, KL (per dimension), bits/dim")
def elbo_metric(ctx: EvalContext) -> dict[str, Any]:
    split = ctx.data.split(ctx.split)
    progress = progress_bar(f"[bold]-ELBO on {ctx.split}", ctx.console, quiet=ctx.quiet)
    with progress:
        task = progress.add_task("elbo", total=len(split))
        return elbo_terms(
            ctx.model, split, ctx.batch_size, ctx.device, ctx.seed, ctx.data,
            on_batch=lambda n: progress.advance(task, n),
        )  # fmt: skip


@register_metric("iw", "log-likelihood by importance sampling: NLL = -L_k (nats, bits/dim)")
def iw_metric(ctx: EvalContext) -> dict[str, Any]:
    split = ctx.data.split(ctx.split)
    progress = progress_bar(f"[bold]L_{ctx.iw_samples} on {ctx.split}", ctx.console,
                            quiet=ctx.quiet, transient=False)  # fmt: skip
    with progress:
        task = progress.add_task("iw", total=len(split))
        bound = iw_log_likelihood(
            ctx.model, split, ctx.iw_samples, ctx.memory_mb, ctx.device, ctx.seed,
            ctx.data.mean, ctx.data.std, on_batch=lambda n: progress.advance(task, n),
        )  # fmt: skip
    nll = -float(bound.mean())
    dims = split_dims(ctx.model, split, ctx.batch_size, ctx.device) / len(bound)  # per example
    result = {
        "nll": nll,
        "nll_bits_per_dim": nll / (dims * math.log(2)),
        "nll_std_error": float(bound.std() / math.sqrt(len(bound))),
        "iw_k": ctx.iw_samples,
    }
    if ctx.model.modality == "sequence":
        result.update(nll_per_token=nll / dims, perplexity=math.exp(nll / dims))
    return result


def split_dims(model: Any, split: Any, batch_size: int, device: torch.device) -> int:
    """Data dimensions of a whole split (tokens for sequences, ``<eos>`` included)."""
    return sum(int(model.data_dims(x).sum())
               for x, _ in iterate_batches(split, batch_size, device=device))  # fmt: skip


@register_metric("latent", "active units (Var_x E_q[z_d] > 0.01) and mutual information I(x; z)")
def latent_metric(ctx: EvalContext) -> dict[str, Any]:
    means, logvars, _ = ctx.posterior()
    au, variances = active_units(means)
    mi = mutual_information(means[:MI_EXAMPLES], logvars[:MI_EXAMPLES], ctx.seed)
    result = {"active_units": au, "posterior_mean_variance": variances, "mutual_info": mi}
    d = ctx.data
    layers = layer_active_units(
        ctx.model, d.split(ctx.split), ctx.batch_size, ctx.device, None, d.mean, d.std, ctx.seed
    )
    result.update({f"active_units_{name}": n for name, n in layers.items()})
    return result


@register_metric("recon", "reconstruction error from posterior means: BCE (Bernoulli) and MSE")
@torch.no_grad()
def recon_metric(ctx: EvalContext) -> dict[str, Any]:
    model, bce, sq, n = ctx.model, 0.0, 0.0, 0
    bernoulli = model.likelihood.needs_unit_interval
    with eval_mode(model):
        for x, y in iterate_batches(
            ctx.data.split(ctx.split), ctx.batch_size, device=ctx.device,
            mean=ctx.data.mean, std=ctx.data.std,
        ):  # fmt: skip
            params = model.decode_params(model.encode(x, y).mean, y)
            sq += float(((model.likelihood.mean(params) - x) ** 2).flatten(1).sum())
            if bernoulli:  # -log p(x | z = mean) is the summed binary cross-entropy
                bce -= float(model.likelihood.log_prob(params, x).sum())
            n += x.shape[0]
    dims = math.prod(model.input_shape)
    out: dict[str, Any] = {"recon_mse": sq / (n * dims)}
    if bernoulli:
        out["recon_bce"] = bce / n
    return out


@register_metric("probe", "accuracy of a logistic regression on posterior means (needs labels)")
def probe_metric(ctx: EvalContext) -> dict[str, Any]:
    means, _, labels = ctx.posterior()
    train = ctx.data.train
    if labels is None or train.y is None:
        raise DataError(f"the probe metric needs labels; dataset {ctx.data.name!r} has none")
    tr_means, _, tr_labels = posterior_stats(
        ctx.model, train, ctx.batch_size, ctx.device, PROBE_TRAIN_EXAMPLES,
        ctx.data.mean, ctx.data.std,
    )  # fmt: skip
    return {"probe_accuracy": logistic_probe(tr_means, tr_labels, means, labels)}


@register_metric(
    "samples",
    "MNIST sample quality: classifier Frechet distance, confidence, classes; for conditional "
    "models the share of samples read as their class",
)
@torch.no_grad()
def samples_metric(ctx: EvalContext) -> dict[str, Any]:
    from vaekit.eval.classifier import mnist_classifier
    from vaekit.eval.sample_quality import label_accuracy, sample_quality

    if tuple(ctx.model.input_shape) != (1, 28, 28):
        raise DataError("the samples metric judges 1x28x28 MNIST-like images only")
    classifier, record = mnist_classifier(ctx.data_dir)
    cuda = [ctx.device.index or 0] if ctx.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(ctx.seed)
        samples = torch.cat(
            [ctx.model.sample(min(1000, ctx.n_samples - i)).float().cpu()
             for i in range(0, ctx.n_samples, 1000)]
        )  # fmt: skip
        if ctx.model.conditional:  # the same count of samples for each class, in order
            labels = torch.arange(ctx.n_samples) % ctx.model.num_classes
            drawn = torch.cat(
                [ctx.model.sample(len(part), labels=part.to(ctx.device)).float().cpu()
                 for part in labels.split(1000)]
            )  # fmt: skip
    reference = load_mnist(ctx.data_dir).x_test  # grey-level test digits
    result = sample_quality(classifier, samples, reference)
    if ctx.model.conditional:
        result.update(label_accuracy(classifier, drawn, labels))
    result["classifier_test_accuracy"] = record["test_accuracy"]
    return result
