"""Token sequences: reading one sequence per line, encoding, and length-bucketed batches.

A split of sequences is a :class:`TokenSequences`: every sequence's token ids (ending in
``<eos>``) concatenated into one flat tensor, with offsets. It lives on the training device;
a batch gathers its rows there and pads them to the batch's own longest sequence
(``<pad>`` is id 0), never to the data's maximum. Training batches are length-bucketed:
each epoch's permutation is cut into pools of :data:`POOL_BATCHES` batches, each pool is
sorted by length and cut into batches, and the batches are visited in random order, so
the rows of a batch have nearly equal lengths.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from vaekit.data.batching import global_batches, shard_bounds
from vaekit.errors import DataError
from vaekit.text.tokenizers import EOS_ID, PAD_ID, Tokenizer

#: batches per length-sorting pool (larger: less padding, less randomness in batch makeup)
POOL_BATCHES = 50


class TokenSequences:
    """``N`` token sequences stored flat: ``tokens[offsets[i]:offsets[i + 1]]`` is row ``i``.

    Parameters
    ----------
    tokens
        ``(L,)`` int64 ids, each sequence ending in ``<eos>``.
    offsets
        ``(N + 1,)`` int64 starts, ``offsets[0] == 0`` and ``offsets[-1] == L``.
    """

    def __init__(self, tokens: torch.Tensor, offsets: torch.Tensor) -> None:
        if tokens.dim() != 1 or offsets.dim() != 1 or int(offsets[-1]) != tokens.numel():
            raise ValueError("tokens must be flat and offsets must end at len(tokens)")
        self.tokens = tokens.long()
        self.offsets = offsets.long()
        self.lengths = self.offsets[1:] - self.offsets[:-1]  # (N,) tokens per row, <eos> included

    @classmethod
    def from_lists(cls, rows: list[list[int]]) -> TokenSequences:
        """Rows of ids (without ``<eos>``, which is appended)."""
        lengths = torch.tensor([len(r) + 1 for r in rows], dtype=torch.long)
        offsets = torch.zeros(len(rows) + 1, dtype=torch.long)
        torch.cumsum(lengths, 0, out=offsets[1:])
        flat = [t for r in rows for t in (*r, EOS_ID)]
        return cls(torch.tensor(flat, dtype=torch.long), offsets)

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def __len__(self) -> int:
        return int(self.offsets.numel()) - 1

    @property
    def device(self) -> torch.device:
        return self.tokens.device

    def to(self, device: torch.device | str) -> TokenSequences:
        if self.tokens.device == torch.device(device):
            return self
        return TokenSequences(self.tokens.to(device), self.offsets.to(device))

    def subset(self, rows: torch.Tensor) -> TokenSequences:
        """The sequences ``rows`` (``(K,)`` indices), in that order."""
        rows = torch.as_tensor(rows, dtype=torch.long, device=self.device)
        lengths = self.lengths.index_select(0, rows)
        offsets = torch.zeros(len(rows) + 1, dtype=torch.long, device=self.device)
        torch.cumsum(lengths, 0, out=offsets[1:])
        pos = torch.repeat_interleave(self.offsets.index_select(0, rows) - offsets[:-1], lengths)
        flat = self.tokens.index_select(0, pos + torch.arange(int(offsets[-1]), device=self.device))
        return TokenSequences(flat, offsets)

    def batch(self, rows: torch.Tensor, width: int | None = None) -> torch.Tensor:
        """Rows ``(B,)`` as a ``(B, T)`` id tensor padded with ``<pad>`` to their longest
        (or to ``width``)."""
        lengths = self.lengths.index_select(0, rows)  # (B,)
        t = width if width is not None else (int(lengths.max()) if rows.numel() else 0)
        steps = torch.arange(t, device=self.device)
        pos = self.offsets.index_select(0, rows)[:, None] + steps  # (B, T)
        pad = steps[None, :] >= lengths[:, None]
        return self.tokens[pos.clamp_(max=self.tokens.numel() - 1)].masked_fill_(pad, PAD_ID)


def encode_lines(
    lines: list[str],
    tokenizer: Tokenizer,
    max_length: int = 0,
    source: str = "data",
    line_numbers: list[int] | None = None,
) -> TokenSequences:
    """Encode ``lines`` (one sequence each); an empty line, or one of more than
    ``max_length`` tokens (0: no limit), is a :class:`DataError` naming its line."""
    rows = []
    for i, line in enumerate(lines):
        where = f"{source}, line {line_numbers[i] if line_numbers else i + 1}"
        if not line.strip():
            raise DataError(f"{where}: empty sequence")
        try:
            ids = tokenizer.encode(line)
        except DataError as e:
            raise DataError(f"{where}: {e}") from None
        if not ids:
            raise DataError(f"{where}: no tokens in {line!r}")
        if max_length and len(ids) > max_length:
            raise DataError(
                f"{where}: {len(ids)} tokens, more than data.max_length={max_length} "
                "(raise it with --set data.max_length=N)"
            )
        rows.append(ids)
    return TokenSequences.from_lists(rows)


def sequence_batches(
    seqs: TokenSequences,
    batch_size: int,
    *,
    shuffle: bool = False,
    device: torch.device | str = "cpu",
    shard: tuple[int, int] | None = None,
) -> Iterator[tuple[torch.Tensor, None]]:
    """Yield ``((B, T) ids, None)`` batches on ``device``.

    With ``shuffle`` the batches are length-bucketed (see the module) and drawn with
    torch's global generator (reproducible runs, exact resume); the batch sizes are those
    of :func:`~vaekit.data.batching.global_batches`, the short batch last. Without it the
    rows come in their stored order. ``shard=(rank, world)`` yields this process's rows of
    each global batch, as for arrays.
    """
    device = torch.device(device)
    seqs = seqs.to(device)
    n = len(seqs)
    rank, world = shard if shard is not None else (0, 1)
    sizes = global_batches(n, batch_size, world)
    n_full = n // batch_size
    if shuffle:
        perm = torch.randperm(n, device=device)
        lengths = seqs.lengths.index_select(0, perm)
        pool = POOL_BATCHES * batch_size
        order = torch.cat([
            perm[i : i + pool][torch.argsort(lengths[i : i + pool], stable=True)]
            for i in range(0, n, pool)
        ])  # fmt: skip
        batch_order = torch.randperm(n_full).tolist()
    else:
        order = torch.arange(n, device=device)
        batch_order = list(range(n_full))
    starts = [b * batch_size for b in batch_order] + (
        [n_full * batch_size] if n % batch_size else []
    )
    for start, size in zip(starts, sizes, strict=False):
        if world == 1:
            yield seqs.batch(order[start : start + size]), None
            continue
        # every process pads its rows to the global batch's longest, so that the batch's
        # noise (word dropout) is drawn for the same shape everywhere
        rows = order[start : start + size]
        width = int(seqs.lengths.index_select(0, rows).max())
        lo, hi = shard_bounds(size, rank, world)
        yield seqs.batch(rows[lo:hi], width), None
