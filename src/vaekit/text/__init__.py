"""Text: tokenizers for characters, SMILES and words."""

from vaekit.text.tokenizers import (
    BOS_ID,
    EOS_ID,
    KINDS,
    PAD_ID,
    SMILES_PATTERN,
    SPECIALS,
    UNK_ID,
    Tokenizer,
    split_smiles,
)

__all__ = [
    "BOS_ID",
    "EOS_ID",
    "KINDS",
    "PAD_ID",
    "SMILES_PATTERN",
    "SPECIALS",
    "UNK_ID",
    "Tokenizer",
    "split_smiles",
]
