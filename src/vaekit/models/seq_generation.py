"""Decoding token sequences from a recurrent decoder: sampling (temperature, nucleus) or
greedy, batched, with finished rows leaving the batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from vaekit.errors import ConfigError
from vaekit.nn.rnn import SequenceDecoder
from vaekit.text.tokenizers import BOS_ID, EOS_ID, PAD_ID


def check_decoding(temperature: float, top_p: float, max_length: int) -> None:
    """One clear error for decoding options out of range."""
    if not temperature > 0:
        raise ConfigError(f"temperature must be > 0, got {temperature}")
    if not 0 < top_p <= 1:
        raise ConfigError(f"top_p must be in (0, 1], got {top_p}")
    if max_length < 1:
        raise ConfigError(f"max_length must be >= 1, got {max_length}")


def nucleus(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """``logits`` ``(B, V)`` with every token outside the top-``p`` nucleus set to -inf
    (Holtzman et al. 2020): the smallest set of most likely tokens whose probability
    reaches ``top_p``; the most likely token always stays."""
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(-1)
    before = probs.cumsum(-1) - probs  # mass of the tokens ranked above each one
    drop_sorted = before >= top_p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


@torch.no_grad()
def generate(
    decoder: SequenceDecoder,
    z: torch.Tensor | None,
    n: int,
    max_length: int,
    temperature: float = 1.0,
    greedy: bool = False,
    top_p: float = 1.0,
) -> torch.Tensor:
    """Decode ``n`` sequences (``z`` ``(n, D)`` or ``None`` for a language model).

    Returns ids ``(n, T)`` with ``T <= max_length``: each row ends with ``<eos>`` (unless it
    reached ``max_length``) followed by ``<pad>``. Rows that have emitted ``<eos>`` are
    dropped from the recurrent step, so a batch costs what its live rows cost.
    """
    check_decoding(temperature, top_p, max_length)
    device = decoder.output_layer.weight.device
    out = torch.full((n, max_length), PAD_ID, dtype=torch.long, device=device)
    live = torch.arange(n, device=device)  # rows still generating
    h = decoder.initial_state(z, n)  # (layers, n, H)
    zl = z
    tok = torch.full((n, 1), BOS_ID, dtype=torch.long, device=device)
    t = 0
    for t in range(max_length):  # noqa: B007 (t is the length afterwards)
        o, h = decoder(tok, zl, h)  # (b, 1, H)
        logits = decoder.output_layer(o[:, 0]).float()  # (b, V)
        logits[:, PAD_ID] = logits[:, BOS_ID] = float("-inf")
        if greedy:
            nxt = logits.argmax(-1)
        else:
            logits = logits / temperature
            if top_p < 1:
                logits = nucleus(logits, top_p)
            nxt = torch.multinomial(logits.softmax(-1), 1)[:, 0]
        out[live, t] = nxt
        keep = nxt != EOS_ID
        if not bool(keep.all()):
            live, nxt, h = live[keep], nxt[keep], h[:, keep]
            zl = None if zl is None else zl[keep]
            if live.numel() == 0:
                break
        tok = nxt[:, None]
    return out[:, : t + 1]


def sample_texts(
    model: torch.nn.Module,
    n: int,
    batch_size: int = 2000,
    on_done: Callable[[int], None] | None = None,
    **options: Any,
) -> list[str]:
    """``n`` strings sampled from a sequence model's prior, ``batch_size`` at a time;
    ``options`` go to ``model.sample`` (temperature, greedy, top_p, max_length)."""
    lines: list[str] = []
    for i in range(0, n, batch_size):
        ids = model.sample(min(batch_size, n - i), **options)  # (b, T)
        lines += model.to_text(ids)
        if on_done is not None:
            on_done(ids.shape[0])
    return lines
