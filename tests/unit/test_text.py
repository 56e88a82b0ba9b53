"""Tokenizers: SMILES atoms, words, characters; round trips on the real corpora."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from vaekit.errors import ConfigError, DataError
from vaekit.text import EOS_ID, UNK_ID, Tokenizer, split_smiles

DATA = Path(os.environ.get("VAEKIT_DATA_DIR", "/nonexistent"))
MOSES_TEST = DATA / "moses" / "test.csv.gz"
SENTENCES = DATA / "sentences"
needs_moses = pytest.mark.skipif(not MOSES_TEST.is_file(), reason="MOSES test.csv.gz not found "
                                 "in $VAEKIT_DATA_DIR/moses")  # fmt: skip
needs_sentences = pytest.mark.skipif(not (SENTENCES / "test.txt").is_file(), reason="sentence "
                                     "corpus not found in $VAEKIT_DATA_DIR/sentences")  # fmt: skip


def test_smiles_tokens_keep_bracket_atoms_two_letter_elements_and_ring_labels():
    tokens = split_smiles("C[C@@H](Cl)c1ccc(Br)cc1C%12CC%12[nH+]")
    assert tokens == ["C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "c", "(", "Br", ")",
                      "c", "c", "1", "C", "%12", "C", "C", "%12", "[nH+]"]  # fmt: skip
    assert split_smiles("CC") == ["C", "C"] and split_smiles("Cl") == ["Cl"]
    with pytest.raises(DataError, match="cannot tokenize '&C'"):
        split_smiles("CC&C")


def test_word_tokenizer_normalizes_lightly_and_caps_the_vocabulary():
    tok = Tokenizer.fit(["Don't PANIC!", "don't stop", "stop now"], "word", max_size=2)
    assert tok.split("Don't PANIC!") == ["don't", "panic", "!"]
    assert tok.itos[4:] == ["don't", "stop"]  # by frequency, ties alphabetically, capped
    assert tok.encode("STOP panic") == [tok.stoi["stop"], UNK_ID]
    assert tok.decode([tok.stoi["don't"], tok.stoi["stop"], EOS_ID, tok.stoi["stop"]]) == (
        "don't stop"
    )
    cased = Tokenizer.fit(["Hello World"], "word", lowercase=False)
    assert cased.split("Hello World") == ["Hello", "World"]


def test_tokenizer_json_round_trip_and_bad_files(tmp_path):
    tok = Tokenizer.fit(["CCO", "c1ccccc1"], "smiles")
    tok.save(tmp_path / "tok.json")
    again = Tokenizer.load(tmp_path / "tok.json")
    assert again == tok and again.encode("CCO") == tok.encode("CCO")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match="bad.json: not a vaekit tokenizer"):
        Tokenizer.load(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="unknown tokenizer 'bpe'"):
        Tokenizer("bpe", [])


@needs_moses
@pytest.mark.parametrize("kind", ["smiles", "char"])
def test_every_moses_test_smiles_round_trips(kind):
    lines = gzip.open(MOSES_TEST, "rt").read().split("\n")[1:]
    lines = [ln for ln in lines if ln]
    assert len(lines) == 176074
    tok = Tokenizer.fit(lines, kind)
    bad = [s for s in lines if tok.decode(tok.encode(s)) != s]
    assert bad == []
    assert UNK_ID not in {i for s in lines[:2000] for i in tok.encode(s)}


@needs_sentences
def test_every_test_sentence_round_trips_up_to_unknown_words():
    train = (SENTENCES / "train.txt").read_text().splitlines()
    test = (SENTENCES / "test.txt").read_text().splitlines()
    tok = Tokenizer.fit(train, "word", max_size=10000)
    n_unk = 0
    for s in test:
        words = tok.split(s)
        expect = " ".join(w if w in tok.stoi else "<unk>" for w in words)
        assert tok.decode(tok.encode(s)) == expect
        n_unk += expect.split().count("<unk>")
    assert 0 < n_unk < 0.1 * sum(len(tok.split(s)) for s in test)  # the cap bites, a little
    char = Tokenizer.fit(train, "char")
    assert all(char.decode(char.encode(s)) == s for s in test if set(s) <= set(char.stoi))


def test_encode_lines_lives_in_text_and_data_sequences_re_exports_it():
    import vaekit.data.sequences as data_sequences
    from vaekit.text.encoding import TokenSequences, encode_lines

    assert data_sequences.encode_lines is encode_lines
    assert data_sequences.TokenSequences is TokenSequences
    tok = Tokenizer.fit(["a b c"], "word")
    seqs = encode_lines(["a b", "c"], tok)
    assert isinstance(seqs, TokenSequences) and seqs.lengths.tolist() == [3, 2]
    assert seqs.batch(seqs.offsets.new_tensor([1, 0])).tolist() == [
        [tok.encode("c")[0], EOS_ID, 0], [*tok.encode("a b"), EOS_ID]]  # fmt: skip
    with pytest.raises(DataError, match=r"input, line 2: empty sequence"):
        encode_lines(["a", " "], tok, source="input")
    with pytest.raises(DataError, match=r"f.txt, line 9: 3 tokens, more than data.max_length=2"):
        encode_lines(["a b c"], tok, 2, "f.txt", [9])
