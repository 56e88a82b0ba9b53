"""Tokenizers for sequences: characters, SMILES atoms, words.

A :class:`Tokenizer` maps a string to token ids and back. Ids 0-3 are the special tokens
``<pad> <bos> <eos> <unk>``; the vocabulary after them is ordered by training frequency
(ties alphabetically), so fitting the same lines always gives the same ids. A tokenizer
is saved as JSON (``tokenizer.json`` in a run directory, and inside ``model.json``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from vaekit.errors import ConfigError, DataError

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
"""The special tokens, in the order of their ids 0-3."""
PAD_ID = 0
"""Id of ``<pad>`` (fills a batch's shorter rows)."""
BOS_ID = 1
"""Id of ``<bos>`` (the decoder's first input)."""
EOS_ID = 2
"""Id of ``<eos>`` (ends every sequence)."""
UNK_ID = 3
"""Id of ``<unk>`` (a token outside the vocabulary)."""
KINDS = ("char", "smiles", "word")
"""The tokenizer kinds (``data.tokenizer``)."""

SMILES_PATTERN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])"
)
"""The atom-level SMILES pattern of Schwaller et al. (2019): bracket atoms, two-letter
elements (Br, Cl), aromatic atoms, bonds, branches, ring-bond digits and %NN."""
#: words (with an apostrophe contraction kept whole), numbers, and each other mark alone
WORD_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|\S")


def split_smiles(text: str) -> list[str]:
    """SMILES ``text`` as atom-level tokens; a character the pattern does not cover is an error."""
    tokens, pos = [], 0
    for m in SMILES_PATTERN.finditer(text):
        if m.start() != pos:  # the pattern skipped something here
            break
        tokens.append(m.group())
        pos = m.end()
    if pos != len(text):
        raise DataError(
            f"not a SMILES string: cannot tokenize {text[pos : pos + 10]!r} in {text!r}"
        )
    return tokens


def normalize_words(text: str, lowercase: bool = True) -> str:
    """The light normalization of the word tokenizer: NFKC, optionally lower case."""
    text = unicodedata.normalize("NFKC", text)
    return text.lower() if lowercase else text


class Tokenizer:
    """A fitted vocabulary of one ``kind`` (``char``, ``smiles`` or ``word``).

    Parameters
    ----------
    kind
        ``"char"`` (every character a token), ``"smiles"`` (:data:`SMILES_PATTERN`) or
        ``"word"`` (:data:`WORD_PATTERN` after :func:`normalize_words`; decoded with single
        spaces between tokens).
    tokens
        The vocabulary after the four special tokens.
    lowercase
        Word tokenizer only: lower-case before splitting.
    """

    def __init__(self, kind: str, tokens: Sequence[str], lowercase: bool = True) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown tokenizer {kind!r}; choose one of {', '.join(KINDS)}")
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens) or set(tokens) & set(SPECIALS):
            raise ConfigError("tokenizer vocabulary has repeated or special tokens")
        self.kind = kind
        self.lowercase = bool(lowercase)
        self.itos: list[str] = [*SPECIALS, *tokens]
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        lines: Iterable[str],
        kind: str,
        max_size: int | None = None,
        lowercase: bool = True,
    ) -> Tokenizer:
        """Build the vocabulary of ``lines``: tokens by frequency (ties alphabetically),
        at most ``max_size`` of them (the rest become ``<unk>``)."""
        probe = cls(kind, [], lowercase)
        counts: Counter[str] = Counter()
        for line in lines:
            counts.update(probe.split(line))
        ranked = sorted(counts, key=lambda t: (-counts[t], t))
        if max_size is not None and max_size > 0:
            ranked = ranked[:max_size]
        return cls(kind, ranked, lowercase)

    # ------------------------------------------------------------------ text <-> tokens
    def split(self, text: str) -> list[str]:
        """``text`` as a list of token strings (before the vocabulary)."""
        if self.kind == "char":
            return list(text)
        if self.kind == "smiles":
            return split_smiles(text)
        return WORD_PATTERN.findall(normalize_words(text, self.lowercase))

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no ``<bos>``/``<eos>``); unseen tokens become ``<unk>``."""
        return [self.stoi.get(t, UNK_ID) for t in self.split(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``, up to the first ``<eos>``; ``<pad>``/``<bos>`` are dropped."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS_ID:
                break
            if i in (PAD_ID, BOS_ID):
                continue
            out.append(self.itos[i] if 0 <= i < len(self.itos) else UNK)
        return (" " if self.kind == "word" else "").join(out)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        """Number of ids, the four special tokens included."""
        return len(self.itos)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lowercase": self.lowercase, "tokens": self.itos[4:]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tokenizer:
        if not isinstance(d, dict) or not isinstance(d.get("tokens"), list):
            raise ConfigError("a tokenizer must be a mapping with a 'tokens' list")
        return cls(str(d.get("kind", "char")), [str(t) for t in d["tokens"]],
                   bool(d.get("lowercase", True)))  # fmt: skip

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as JSON (atomically)."""
        from vaekit._tempfiles import atomic_write_text

        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        path = Path(path)
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DataError(f"tokenizer file not found: {path}") from None
        except (json.JSONDecodeError, ConfigError) as e:
            raise DataError(f"{path}: not a vaekit tokenizer ({e})") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Tokenizer(kind={self.kind!r}, vocab_size={self.vocab_size})"
