"""Token-id sequences: lines of text encoded into one flat id tensor with offsets.

A split of sequences is a :class:`TokenSequences`: every sequence's token ids (ending in
``<eos>``) concatenated into one flat tensor, with offsets. A batch gathers its rows and
pads them to the batch's own longest sequence (``<pad>`` is id 0), never to the data's
maximum. Batching and length bucketing are in :mod:`vaekit.data.sequences`.
"""

from __future__ import annotations

import torch

from vaekit.errors import DataError
from vaekit.text.tokenizers import EOS_ID, PAD_ID, Tokenizer


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
    """Encode ``lines`` (one sequence each) as :class:`TokenSequences`.

    Parameters
    ----------
    lines
        The sequences as text, one per entry.
    tokenizer
        Maps each line to ids.
    max_length
        Most tokens a line may have (``<eos>`` not counted); 0: no limit.
    source, line_numbers
        Where the lines come from, for the error messages (default numbering: 1, 2, ...).

    Raises
    ------
    DataError
        An empty line, one the tokenizer refuses, or one of more than ``max_length``
        tokens, naming the line.
    """
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
