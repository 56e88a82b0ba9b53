"""Sequence metrics: how well the code identifies its sequence (greedy reconstruction)."""

from __future__ import annotations

from typing import Any

import torch

from vaekit.data import iterate_batches
from vaekit.data.base import Split
from vaekit.eval.mode import eval_mode
from vaekit.eval.registry import EvalContext, register_metric
from vaekit.text.tokenizers import PAD_ID


@torch.no_grad()
def reconstruction_accuracy(
    model: Any,
    split: Split,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
    limit: int | None = None,
) -> dict[str, float]:
    """Greedy decodes of the posterior means against the inputs.

    Returns ``recon_exact`` (fraction of sequences decoded exactly, ``<eos>`` included) and
    ``recon_token_accuracy`` (fraction of input tokens matched at their position).
    """
    device = torch.device(device) if device is not None else model.device
    exact = tokens = matched = n = 0
    with eval_mode(model):
        for x, _ in iterate_batches(split, batch_size, device=device):
            out = model.decode(model.encode(x).mean, max_length=x.shape[1])  # (B, <=T)
            dec = torch.full_like(x, PAD_ID)
            dec[:, : out.shape[1]] = out
            valid = x != PAD_ID
            same = (dec == x) | ~valid
            exact += int(same.all(1).sum())
            matched += int(((dec == x) & valid).sum())
            tokens += int(valid.sum())
            n += x.shape[0]
            if limit is not None and n >= limit:
                break
    return {"recon_exact": exact / max(n, 1), "recon_token_accuracy": matched / max(tokens, 1),
            "recon_n": n}  # fmt: skip


@register_metric("sequence", "sequences: exact-match and token accuracy of greedy reconstructions")
def sequence_metric(ctx: EvalContext) -> dict[str, Any]:
    if ctx.model.modality != "sequence":
        from vaekit.errors import DataError

        raise DataError("the sequence metric needs a sequence model (seq-vae, rnnlm)")
    return reconstruction_accuracy(ctx.model, ctx.data.split(ctx.split), ctx.batch_size,
                                   ctx.device)  # fmt: skip
