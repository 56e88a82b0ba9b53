"""Text datasets: one sequence per line (``.txt``, ``.smi``), a CSV column, ``.gz`` variants;
the MOSES SMILES sets and the sentence corpus by name."""

from __future__ import annotations

import csv
import gzip
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from vaekit.data.base import DataBundle, Split
from vaekit.data.download import cache_dir, download
from vaekit.data.prepare import _n_val
from vaekit.errors import ConfigError, DataError
from vaekit.text.encoding import encode_lines
from vaekit.text.tokenizers import KINDS, Tokenizer

TEXT_SUFFIXES = (".txt", ".smi")
#: MOSES (Polykovskiy et al. 2020) as shipped in the molsets package: sha256 of the
#: decompressed CSV (column SMILES)
MOSES_FILES = {
    "train.csv.gz": "cc9d6e8e9534e25a7a36361529ae739ddda8036e9072b2fc5cea6930a0592144",
    "test.csv.gz": "0248e682a9c29ca7649184dd88a4edc83f48f0e84af6b923990069c3da4501b6",
    "test_scaffolds.csv.gz": "86c298db856515f4b31a90805de16a580c60a6adcc0ad700ae180d88ba0b9bce",
}
MOSES_SPLITS = ("train.csv.gz", "test.csv.gz")
MOSES_MIRRORS = ("https://github.com/molecularsets/moses/raw/master/moses/dataset/data/",)


@dataclass
class RawText:
    """Sequences as read: lines of each split, with their line numbers for messages."""

    name: str
    train: list[str]
    test: list[str] | None = None
    val: list[str] | None = None
    kind: str = "word"  # the tokenizer ``auto`` picks
    sources: dict[str, str] = field(default_factory=dict)  # split -> file name
    line_numbers: dict[str, list[int]] = field(default_factory=dict)


def is_text_path(dataset: str, text_column: str | None) -> bool:
    """Whether ``dataset`` names a text file (by suffix, or a CSV with ``text_column``)."""
    name = dataset.lower().removesuffix(".gz")
    return name.endswith(TEXT_SUFFIXES) or (name.endswith(".csv") and text_column is not None)


def _open_text(path: Path) -> io.TextIOBase:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"{path}: corrupt gzip file ({e})") from None
    if b"\x00" in raw[: 1 << 20]:
        raise DataError(f"{path}: not a text file (it holds NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text") from None
    return io.StringIO(text.removeprefix("\ufeff"))


def read_lines(path: str | Path, text_column: str | None = None) -> tuple[list[str], list[int]]:
    """The sequences of a text or CSV file and their line numbers (1-based).

    A text file gives one sequence per line (a final empty line is ignored); a CSV gives
    the column ``text_column`` (a header name, or a 0-based index).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"text file not found: {path}")
    handle = _open_text(path)
    if path.name.lower().removesuffix(".gz").endswith(".csv"):
        rows = list(csv.reader(handle))
        if not rows:
            raise DataError(f"{path}: empty CSV file")
        header = rows[0]
        column = text_column if text_column is not None else "SMILES"
        folded = [h.strip().casefold() for h in header]
        if column in header:
            col = header.index(column)
        elif folded.count(str(column).casefold()) == 1:  # "smiles" for SMILES
            col = folded.index(str(column).casefold())
        elif str(column).isdigit() and int(column) < len(header):
            col = int(column)
        else:
            raise DataError(f"{path}: no column {column!r} (columns: {', '.join(header[:10])})")
        lines, numbers = [], []
        for i, row in enumerate(rows[1:], 2):
            if col >= len(row):
                raise DataError(f"{path}, line {i}: no value in column {column!r}")
            lines.append(row[col].strip())
            numbers.append(i)
        return lines, numbers
    lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.rstrip("\r") for ln in lines], list(range(1, len(lines) + 1))


def _kind_for(path: Path, text_column: str | None) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".smi") or (text_column or "").lower() == "smiles":
        return "smiles"
    return "word"


def load_text_file(path: str | Path, text_column: str | None = None) -> RawText:
    """Your own sequences: every line (or CSV value) is a training sequence."""
    path = Path(path)
    lines, numbers = read_lines(path, text_column)
    if not lines:
        raise DataError(f"{path}: no sequences")
    return RawText(path.stem, lines, kind=_kind_for(path, text_column),
                   sources={"train": str(path)}, line_numbers={"train": numbers})  # fmt: skip


def _data_root(data_dir: str | None) -> list[Path]:
    roots = [Path(data_dir)] if data_dir else []
    if os.environ.get("VAEKIT_DATA_DIR"):
        roots.append(Path(os.environ["VAEKIT_DATA_DIR"]))
    return roots


def moses_dir(
    data_dir: str | None = None, download_ok: bool = True, files: tuple[str, ...] = MOSES_SPLITS
) -> Path:
    """The directory holding the MOSES ``files``: ``DIR/moses/`` (``--data-dir``,
    ``$VAEKIT_DATA_DIR``), else the vaekit cache, downloading them (checksummed) when allowed."""
    for root in _data_root(data_dir):
        for d in (root / "moses", root):
            if all((d / f).is_file() for f in files):
                return d
    found = cache_dir() / "moses"
    missing = [f for f in files if not (found / f).is_file()]
    if missing and not download_ok:
        raise DataError(
            f"MOSES files not found: put {', '.join(files)} in DIR/moses and give --data-dir "
            "DIR (or set VAEKIT_DATA_DIR), or allow the download"
        )
    for f in missing:
        download(f, MOSES_MIRRORS, MOSES_FILES[f], found)
    return found


def load_moses(data_dir: str | None = None, download_ok: bool = True) -> RawText:
    """MOSES train / test SMILES (see :func:`moses_dir` for where they are looked for)."""
    found = moses_dir(data_dir, download_ok)
    out = RawText("moses", [], kind="smiles")
    for split, f in (("train", "train.csv.gz"), ("test", "test.csv.gz")):
        lines, numbers = read_lines(found / f, "SMILES")
        setattr(out, split, lines)
        out.sources[split], out.line_numbers[split] = str(found / f), numbers
    return out


def load_sentences(data_dir: str | None = None, download_ok: bool = True) -> RawText:
    """The sentence corpus: ``DIR/sentences/{train,valid,test}.txt``."""
    for root in _data_root(data_dir):
        for d in (root / "sentences", root):
            if all((d / f"{s}.txt").is_file() for s in ("train", "valid", "test")):
                out = RawText("sentences", [], kind="word")
                for split, f in (("train", "train"), ("val", "valid"), ("test", "test")):
                    lines, numbers = read_lines(d / f"{f}.txt")
                    setattr(out, split, lines)
                    out.sources[split], out.line_numbers[split] = str(d / f"{f}.txt"), numbers
                return out
    raise DataError(
        "sentence corpus not found: put train.txt, valid.txt and test.txt in DIR/sentences "
        "and give --data-dir DIR (or set VAEKIT_DATA_DIR)"
    )


def prepare_text(
    raw: RawText,
    tokenizer: str | Tokenizer = "auto",
    vocab_size: int = 10000,
    lowercase: bool = True,
    max_length: int = 0,
    max_examples: int = 0,
    val_size: float = 0.1,
    seed: int = 0,
) -> DataBundle:
    """Fit (or take) the tokenizer on the training lines and encode every split.

    ``max_examples`` keeps a seeded random subset of the training lines (0: all); the
    validation split is the data's own when it has one, else ``val_size`` of the training
    lines (seeded). The tokenizer is fitted on the training lines only.
    """
    g = torch.Generator().manual_seed(seed)
    train, numbers = raw.train, raw.line_numbers.get("train") or list(range(1, len(raw.train) + 1))
    if max_examples and max_examples < len(train):
        keep = torch.randperm(len(train), generator=g)[:max_examples].sort().values.tolist()
        train, numbers = [train[i] for i in keep], [numbers[i] for i in keep]
    val, val_numbers = raw.val, raw.line_numbers.get("val")
    if val is None:
        k = _n_val(val_size, len(train))
        perm = torch.randperm(len(train), generator=g).tolist()
        v, t = sorted(perm[:k]), sorted(perm[k:])
        val, val_numbers = ([train[i] for i in v], [numbers[i] for i in v]) if k else (None, None)
        train, numbers = [train[i] for i in t], [numbers[i] for i in t]
        raw.sources.setdefault("val", raw.sources.get("train", raw.name))
    if isinstance(tokenizer, Tokenizer):
        tok = tokenizer
    else:
        kind = raw.kind if tokenizer == "auto" else tokenizer
        if kind not in KINDS:
            raise ConfigError(f"bad value for data.tokenizer: {kind!r}; choose auto, "
                              f"{', '.join(KINDS)}")  # fmt: skip
        try:
            tok = Tokenizer.fit(train, kind, vocab_size if kind == "word" else None, lowercase)
        except DataError:  # name the line: encoding with an empty vocabulary stops there
            encode_lines(train, Tokenizer(kind, [], lowercase), 0,
                         raw.sources.get("train", raw.name), numbers)  # fmt: skip
            raise

    def split_of(name: str, lines: list[str] | None, nums: list[int] | None) -> Split | None:
        if lines is None:
            return None
        seqs = encode_lines(lines, tok, max_length, raw.sources.get(name, raw.name), nums)
        return Split(seqs)  # type: ignore[arg-type]

    return DataBundle(
        raw.name,
        split_of("train", train, numbers),  # type: ignore[arg-type]
        split_of("val", val, val_numbers),
        split_of("test", raw.test, raw.line_numbers.get("test")),
        input_shape=(),
        tokenizer=tok,
    )
