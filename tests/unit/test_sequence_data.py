"""Sequence data: files, errors with line numbers, token storage and bucketed batches."""

from __future__ import annotations

import gzip

import pytest
import torch

from vaekit.config import Config
from vaekit.data import build_data, global_batches, iterate_batches
from vaekit.data.sequences import TokenSequences, encode_lines, sequence_batches
from vaekit.data.text_files import load_text_file, prepare_text, read_lines
from vaekit.errors import DataError
from vaekit.text import EOS_ID, PAD_ID, Tokenizer


def random_rows(n: int, seed: int = 0) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 40, (n,), generator=g).tolist()
    return [torch.randint(4, 50, (k,), generator=g).tolist() for k in lengths]


def test_token_sequences_pad_each_batch_to_its_own_longest_row():
    rows = [[5, 6, 7], [8], [9, 10]]
    seqs = TokenSequences.from_lists(rows)
    assert seqs.lengths.tolist() == [4, 2, 3]
    x = seqs.batch(torch.tensor([1, 2]))
    assert x.tolist() == [[8, EOS_ID, PAD_ID], [9, 10, EOS_ID]]
    sub = seqs.subset(torch.tensor([2, 0]))
    assert sub.batch(torch.arange(2)).tolist() == [[9, 10, EOS_ID, PAD_ID], [5, 6, 7, EOS_ID]]


def test_bucketed_batches_visit_every_row_once_with_little_padding():
    rows = random_rows(5000)
    seqs = TokenSequences.from_lists(rows)
    torch.manual_seed(1)
    batches = [x for x, _ in sequence_batches(seqs, 64, shuffle=True)]
    assert [b.shape[0] for b in batches] == global_batches(5000, 64)
    seen = sorted(tuple(r[r != PAD_ID][:-1].tolist()) for b in batches for r in b)
    assert seen == sorted(tuple(r) for r in rows)  # every row exactly once
    real = sum(int((b != PAD_ID).sum()) for b in batches)
    padded = sum(b.numel() for b in batches)
    assert padded / real < 1.05  # bucketing: under 5% padding
    plain = sum(int(seqs.lengths[i : i + 64].max()) * len(seqs.lengths[i : i + 64])
                for i in range(0, 5000, 64))  # fmt: skip
    assert plain / real > 1.5  # what unsorted batches would pad
    torch.manual_seed(1)
    again = [x for x, _ in sequence_batches(seqs, 64, shuffle=True)]
    assert all(torch.equal(a, b) for a, b in zip(batches, again, strict=True))


def test_sharded_batches_are_the_single_process_rows():
    seqs = TokenSequences.from_lists(random_rows(300))
    torch.manual_seed(2)
    whole = [x for x, _ in sequence_batches(seqs, 64, shuffle=True)]
    parts = []
    for rank in range(2):
        torch.manual_seed(2)
        parts.append([x for x, _ in sequence_batches(seqs, 64, shuffle=True, shard=(rank, 2))])
    for w, a, b in zip(whole, *parts, strict=True):
        assert torch.equal(torch.cat([a, b]), w)  # the same rows, padded alike


def test_text_files_csv_and_gzip(tmp_path):
    (tmp_path / "a.txt").write_text("the cat sat .\nthe dog ran .\n")
    assert read_lines(tmp_path / "a.txt") == (["the cat sat .", "the dog ran ."], [1, 2])
    with gzip.open(tmp_path / "m.csv.gz", "wt") as f:
        f.write("id,SMILES\n1,CCO\n2,c1ccccc1\n")
    lines, numbers = read_lines(tmp_path / "m.csv.gz", "SMILES")
    assert lines == ["CCO", "c1ccccc1"] and numbers == [2, 3]
    raw = load_text_file(tmp_path / "m.csv.gz", "SMILES")
    assert raw.kind == "smiles"
    assert read_lines(tmp_path / "m.csv.gz", "smiles")[0] == lines  # whatever the case
    with pytest.raises(DataError, match="no column 'inchi'"):
        read_lines(tmp_path / "m.csv.gz", "inchi")


def test_bad_text_input_names_the_line(tmp_path):
    (tmp_path / "empty.txt").write_text("one line\n\nthree\n")
    cfg = Config()
    cfg.data.dataset = str(tmp_path / "empty.txt")
    with pytest.raises(DataError, match=r"empty.txt, line 2: empty sequence"):
        build_data(cfg)
    (tmp_path / "bin.txt").write_bytes(b"abc\x00\x01\x02")
    with pytest.raises(DataError, match="not a text file"):
        read_lines(tmp_path / "bin.txt")
    (tmp_path / "latin.txt").write_bytes(b"ok\nfa\xe7ade\n")
    with pytest.raises(DataError, match="latin.txt, line 2: not UTF-8"):
        read_lines(tmp_path / "latin.txt")
    tok = Tokenizer.fit(["a b c d"], "word")
    with pytest.raises(DataError, match=r"f.txt, line 7: 4 tokens, more than data.max_length=3"):
        encode_lines(["a b", "a b c d"], tok, 3, "f.txt", [1, 7])
    with pytest.raises(DataError, match="text file not found"):
        read_lines(tmp_path / "missing.txt")


def test_prepare_text_subsets_splits_and_fits_on_train_only(tmp_path):
    lines = [f"w{i} common" for i in range(100)]
    (tmp_path / "c.txt").write_text("\n".join(lines) + "\n")
    raw = load_text_file(tmp_path / "c.txt")
    data = prepare_text(raw, max_examples=50, val_size=0.2, seed=3)
    assert len(data.train) == 40 and len(data.val) == 10 and data.test is None
    again = prepare_text(load_text_file(tmp_path / "c.txt"), max_examples=50, val_size=0.2,
                         seed=3)  # fmt: skip
    assert torch.equal(again.train.x.tokens, data.train.x.tokens)
    assert data.tokenizer.vocab_size == 4 + 41  # 40 training words + "common"
    val_ids = data.val.x.tokens
    assert int((val_ids == 3).sum()) == 10  # each validation word is unseen: <unk>
    x, _ = next(iterate_batches(data.train, 8))
    assert x.shape == (8, 3) and data.is_sequence


@pytest.mark.skipif(not __import__("conftest").DATA_DIR, reason="VAEKIT_DATA_DIR not set")
def test_sentences_and_moses_by_name():
    cfg = Config()
    cfg.data.dataset = "sentences"
    data = build_data(cfg)
    assert (len(data.train), len(data.val), len(data.test)) == (17426, 2178, 2179)
    assert data.resolved == {"model.likelihood": "categorical"} and data.tokenizer.kind == "word"
    assert cfg.model.likelihood == "auto"  # the configuration is left alone
    cfg = Config()
    cfg.data.dataset = "moses"
    cfg.data.max_examples = 1000
    data = build_data(cfg)
    assert len(data.train) + len(data.val) == 1000 and len(data.test) == 176074
    assert data.tokenizer.kind == "smiles"


def test_a_csv_column_is_found_whatever_its_case(tmp_path):
    """A generated file with a `smiles` column was refused with "no column 'SMILES'"."""
    path = tmp_path / "gen.csv"
    path.write_text("id,smiles\n1,CCO\n2,c1ccccc1\n")
    lines, numbers = read_lines(path, "SMILES")
    assert lines == ["CCO", "c1ccccc1"] and numbers == [2, 3]
    path.write_text("smiles,Smiles\nCCO,CCN\n")  # two columns match: which one is unclear
    with pytest.raises(DataError, match="no column 'SMILES'"):
        read_lines(path, "SMILES")
