"""``vaekit recommend`` as a user meets it on MovieLens: ``top-k`` never ranks an item the
user rated (whatever the rating) unless ``--include-seen``, shows the items' titles, and a
fit of the log file applies the same rating threshold as ``--dataset`` with a note."""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from helpers import run_cli

DATA_DIR = os.environ.get("VAEKIT_DATA_DIR")
ML100K = Path(DATA_DIR) / "ml-100k" if DATA_DIR else None
LOG = ML100K / "ml-100k.inter.gz" if ML100K else None
needs_ml100k = pytest.mark.skipif(
    not (LOG and LOG.exists()),
    reason="MovieLens 100K not found: set VAEKIT_DATA_DIR to a folder with ml-100k/",
)


def _ratings(path: Path) -> dict[str, dict[str, float]]:
    """user -> {item: rating} of an atomic ``.inter`` file."""
    rated: dict[str, dict[str, float]] = defaultdict(dict)
    with gzip.open(path, "rt") as f:
        next(f)
        for line in f:
            user, item, rating, _ = line.rstrip("\n").split("\t")
            rated[user][item] = float(rating)
    return rated


def _fit(args: list, capsys) -> str:
    code, _, err = run_cli(["recommend", "fit", *args, "--device", "cpu", "--threads", "1"],
                           capsys)  # fmt: skip
    assert code == 0, err
    return err


def _top(run: Path, user: str, k: int, capsys, *extra: str) -> list[dict]:
    code, out, err = run_cli(["recommend", "top-k", run, "--user", user, "-k", k, "--json",
                              *extra], capsys)  # fmt: skip
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def ml100k_run(tmp_path_factory) -> Path:
    """A short Mult-VAE fit of ML-100K (the named data set)."""
    run = tmp_path_factory.mktemp("ml100k") / "run"
    from vaekit.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["recommend", "fit", "--dataset", "ml-100k", "--data-dir", str(ML100K), "--out",
              str(run), "--epochs", "2", "--hidden", "64", "--latent-dim", "16", "--device",
              "cpu", "--threads", "1", "-q"])  # fmt: skip
    assert done.value.code == 0
    return run


@needs_ml100k
def test_top_k_leaves_out_every_rated_item_unless_include_seen(ml100k_run, capsys):
    rated = _ratings(LOG)
    # known users (>= 5 items of 4+ stars) with the most items of 1-3 stars
    known = [u for u, r in rated.items() if sum(v >= 4 for v in r.values()) >= 5]
    users = ["196", *sorted(known, key=lambda u: -sum(v < 4 for v in rated[u].values()))[:6]]
    leaked_with_include = 0
    for user in users:
        top = _top(ml100k_run, user, 100, capsys)
        assert len(top) == 100
        seen = [t["item"] for t in top if t["item"] in rated[user]]
        assert not seen, (user, [(i, rated[user][i]) for i in seen])
        included = _top(ml100k_run, user, 100, capsys, "--include-seen")
        leaked_with_include += sum(t["item"] in rated[user] for t in included)
    assert leaked_with_include > 0


@needs_ml100k
def test_top_k_shows_titles(ml100k_run, capsys):
    top = _top(ml100k_run, "196", 5, capsys)
    titles = {"1": "Toy Story (1995)", "50": "Star Wars (1977)", "181": "Return of the Jedi (1983)"}
    assert all(t["title"] for t in top)
    for t in top:
        if t["item"] in titles:
            assert t["title"] == titles[t["item"]]
    code, out, err = run_cli(["recommend", "top-k", ml100k_run, "--user", "196", "-k", "5"],
                             capsys)  # fmt: skip
    assert code == 0, err
    assert "title" in out and top[0]["title"] in out


@needs_ml100k
def test_fitting_the_log_file_applies_the_data_set_threshold_with_a_note(tmp_path, capsys):
    err = _fit([LOG, "--model", "popularity", "--out", tmp_path / "a"], capsys)
    notes = [ln for ln in err.splitlines() if ln.startswith("note:")]
    assert len(notes) == 1, err
    assert "ratings >= 4 count as clicks" in notes[0] and "44,625 of 100,000" in notes[0]
    assert "1417 items" in err
    # the option changes it: every rating counts
    err = _fit([LOG, "--model", "popularity", "--out", tmp_path / "b", "--min-rating", "1"],
               capsys)  # fmt: skip
    assert "ratings >= 1 count as clicks" in err and " 0 of 100,000" in err
    assert "1639 items" in err


def _tiny_movielens(root: Path) -> Path:
    """A GroupLens-style ``u.data`` (tab-separated, no header) and ``u.item`` (``|``,
    Latin-1): 30 users who all rate items 1-5 with 5 stars and item 6 with 2 stars (every
    fifth with 5); every third also rates item 7 with 5 stars."""
    root.mkdir()
    lines = []
    for u in range(1, 31):
        lines += [f"{u}\t{i}\t5\t0" for i in range(1, 6)]
        lines.append(f"{u}\t6\t{5 if u % 5 == 0 else 2}\t0")
        if u % 3 == 0:
            lines.append(f"{u}\t7\t5\t0")
    (root / "u.data").write_text("\n".join(lines) + "\n")
    items = [f"{i}|Film {i}, The (1990)|01-Jan-1990||http://x|0|1" for i in range(1, 8)]
    items[5] = "6|Caf\xe9 (1994)|01-Jan-1994||http://x|0|1"
    (root / "u.item").write_bytes(("\n".join(items) + "\n").encode("latin-1"))
    return root / "u.data"


def test_top_k_on_a_small_log_without_the_data_dir(tmp_path, capsys):
    log = _tiny_movielens(tmp_path / "ml")
    run = tmp_path / "run"
    err = _fit([log, "--model", "popularity", "--heldout-users", "3", "--out", run], capsys)
    assert "note: ratings >= 4 count as clicks" in err and "24 of 190 interactions" in err
    # user 1 rated 1-6; item 6 (2 stars) is no click but is seen
    assert [t["item"] for t in _top(run, "1", 5, capsys)] == ["7"]
    got = _top(run, "1", 7, capsys, "--include-seen")
    assert {t["item"] for t in got} == {str(i) for i in range(1, 8)}
    assert {t["item"]: t["title"] for t in got}["6"] == "Caf\xe9 (1994)"
    code, out, err = run_cli(["recommend", "top-k", run, "--user", "2", "-k", "1"], capsys)
    assert code == 0 and "Film 7, The (1990)" in out, err
