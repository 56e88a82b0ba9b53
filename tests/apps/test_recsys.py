"""Recommendation: metrics against hand-computed values, the sparse data path, the split,
Mult-VAE / Mult-DAE, EASE's closed form, the Recommender and its command line."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.exceptions import NotFittedError

from vaekit.cli.app import main
from vaekit.config import TrainConfig
from vaekit.data import iterate_batches
from vaekit.data.base import DataBundle, Split
from vaekit.data.interactions import click_matrix, read_interactions
from vaekit.data.sparse_rows import SparseRows
from vaekit.data.strong_split import strong_split
from vaekit.errors import ConfigError, DataError
from vaekit.io import load, save_model
from vaekit.models import create_model
from vaekit.recsys import EASE, Popularity, Recommender, mask_seen, ndcg_at_k, recall_at_k
from vaekit.train.selection import Selection
from vaekit.train.trainer import Trainer

DATA_DIR = os.environ.get("VAEKIT_DATA_DIR")
ML100K = Path(DATA_DIR) / "ml-100k" if DATA_DIR else None
needs_ml100k = pytest.mark.skipif(
    not (ML100K and (ML100K / "ml-100k.inter.gz").exists()),
    reason="MovieLens 100K not found: set VAEKIT_DATA_DIR to a folder with ml-100k/",
)
D = [1 / math.log2(r + 1) for r in range(1, 11)]  # discounts of ranks 1..10


# ---------------------------------------------------------------- metrics
def test_ndcg_and_recall_hand_computed():
    scores = np.array([[0.9, 0.8, 0.7, 0.1]])
    held = np.array([[0, 1, 0, 1]])
    assert ndcg_at_k(scores, held, 2)[0] == pytest.approx(D[1] / (D[0] + D[1]))
    assert recall_at_k(scores, held, 2)[0] == pytest.approx(0.5)
    # k = 4: hits at ranks 2 and 4; ideal: ranks 1 and 2
    assert ndcg_at_k(scores, held, 4)[0] == pytest.approx((D[1] + D[3]) / (D[0] + D[1]))
    assert recall_at_k(scores, held, 4)[0] == pytest.approx(1.0)


def test_fewer_heldout_than_k_normalizes_by_heldout_count():
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0]])
    held = np.array([[0, 0, 1, 0, 0, 0]])  # one item, at rank 3
    assert ndcg_at_k(scores, held, 5)[0] == pytest.approx(D[2] / D[0])
    assert recall_at_k(scores, held, 5)[0] == 1.0  # 1 / min(5, 1)
    assert recall_at_k(scores, held, 2)[0] == 0.0
    # 3 held-out items and k = 2: recall divides by min(2, 3) = 2
    held3 = np.array([[1, 0, 0, 0, 1, 1]])
    assert recall_at_k(scores, held3, 2)[0] == pytest.approx(0.5)


def test_ties_are_broken_by_item_index():
    scores = np.ones((1, 4))
    held = np.array([[0, 0, 1, 0]])  # ranked third among equals
    assert ndcg_at_k(scores, held, 4)[0] == pytest.approx(D[2])
    assert recall_at_k(scores, held, 2)[0] == 0.0
    assert ndcg_at_k(scores, np.array([[1, 0, 0, 0]]), 1)[0] == 1.0
    # ties at the cut-off: of the equal items, the lowest index gets the last place
    cut = np.array([[3.0, 1.0, 1.0, 1.0, 0.0]])
    assert recall_at_k(cut, np.array([[0, 1, 0, 0, 0]]), 2)[0] == 1.0
    assert recall_at_k(cut, np.array([[0, 0, 1, 0, 0]]), 2)[0] == 0.0
    # many ties: the same ranking as a full stable sort
    rng = np.random.default_rng(2)
    tied = rng.integers(0, 4, size=(30, 25)).astype(float)
    held = (rng.random((30, 25)) < 0.3).astype(float)
    held[:, 0] = 1
    for k in (1, 5, 24, 25):
        ranks = np.argsort(-tied, axis=1, kind="stable")[:, :k]
        hits = np.take_along_axis(held, ranks, axis=1)
        expect = hits.sum(1) / np.minimum(k, held.sum(1))
        np.testing.assert_allclose(recall_at_k(tied, held, k), expect)


def test_one_item_user_excluded_items_and_empty_user():
    scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1], [0.1, 0.2, 0.3]])
    seen = sparse.csr_matrix(np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]]))
    s = mask_seen(scores.copy(), seen)
    assert s[0, 1] == -np.inf
    held = np.array([[0, 0, 1], [1, 0, 0], [0, 0, 0]])
    nd = ndcg_at_k(s, held, 100)  # k > items counts as 3
    assert nd[0] == 1.0 and nd[1] == 1.0  # the single held-out item ranks first
    assert np.isnan(nd[2])  # no held-out item: undefined, left to the caller
    # an excluded item is never a hit, even when it is held out
    assert ndcg_at_k(s, np.array([[0, 1, 0], [1, 0, 0], [1, 0, 0]]), 3)[0] == 0.0


def test_metrics_match_the_paper_formula_on_random_data():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 40))
    held = (rng.random((50, 40)) < 0.15).astype(float)
    held[0] = 0
    held[0, 3] = 1
    k = 10
    expect_n, expect_r = [], []
    for s, h in zip(scores, held, strict=True):
        top = np.argsort(-s)[:k]
        dcg = sum(h[j] * D[r] for r, j in enumerate(top))
        n = int(h.sum())
        expect_n.append(dcg / sum(D[: min(n, k)]) if n else np.nan)
        expect_r.append(h[top].sum() / min(k, n) if n else np.nan)
    np.testing.assert_allclose(ndcg_at_k(scores, held, k), expect_n)
    np.testing.assert_allclose(recall_at_k(scores, sparse.csr_matrix(held), k), expect_r)
    # torch scores give the same
    np.testing.assert_allclose(ndcg_at_k(torch.from_numpy(scores), held, k), expect_n)


def test_metric_input_errors():
    with pytest.raises(DataError, match="NaN"):
        ndcg_at_k(np.array([[np.nan, 1.0]]), np.array([[1, 0]]), 1)
    with pytest.raises(DataError, match="shape"):
        recall_at_k(np.ones((2, 3)), np.ones((2, 4)), 1)
    with pytest.raises(DataError, match="positive integer"):
        ndcg_at_k(np.ones((1, 3)), np.ones((1, 3)), 0)
    with pytest.raises(DataError, match="binary"):
        ndcg_at_k(np.ones((1, 2)), np.array([[-1.0, 0.0]]), 1)


# ---------------------------------------------------------------- sparse rows
def test_sparse_rows_batches_equal_the_dense_rows():
    rng = np.random.default_rng(1)
    dense = (rng.random((37, 23)) < 0.2).astype(np.float32)
    dense[5] = 0  # an empty row
    rows = SparseRows.from_scipy(sparse.csr_matrix(dense))
    idx = torch.tensor([5, 0, 36, 5, 12])
    assert torch.equal(rows.rows(idx), torch.from_numpy(dense[idx.numpy()]))
    np.testing.assert_array_equal(rows[[3, 4]], dense[[3, 4]])
    counts = sparse.csr_matrix(dense * rng.integers(1, 4, dense.shape))  # counts keep values
    np.testing.assert_array_equal(SparseRows.from_scipy(counts)[:], counts.toarray())
    torch.manual_seed(0)
    seen = [x for x, _ in iterate_batches(Split(rows), 10, shuffle=True)]
    torch.manual_seed(0)
    perm = torch.randperm(37)
    assert torch.equal(torch.cat(seen), torch.from_numpy(dense)[perm])
    with pytest.raises(DataError, match="column indices"):
        SparseRows(np.array([0, 1]), np.array([5]), None, 3)


# ---------------------------------------------------------------- logs and the split
def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_read_interactions_formats(tmp_path):
    udata = _write(tmp_path / "u.data", "1\t10\t5\t881250949\n1\t20\t3\t881250950\n2\t10\t4\t1\n")
    log = read_interactions(udata)
    assert list(log.users) == ["1", "1", "2"] and list(log.ratings) == [5, 3, 4]
    dat = _write(tmp_path / "ratings.dat", "1::10::5::9\n2::20::4::9\n")
    assert list(read_interactions(dat).items) == ["10", "20"]
    csv20 = _write(tmp_path / "ratings.csv", "userId,movieId,rating,timestamp\n7,3,4.5,1\n")
    log = read_interactions(csv20)
    assert log.users[0] == "7" and log.items[0] == "3" and log.ratings[0] == 4.5
    atomic = _write(tmp_path / "x.inter", "user_id:token\titem_id:token\trating:float\n"
                    "u1\ti1\t4\n")  # fmt: skip
    assert read_interactions(atomic).items[0] == "i1"
    named = _write(tmp_path / "clicks.csv", "when,who,what\n1,a,x\n2,b,y\n")
    log = read_interactions(named, user_col="who", item_col="what")
    assert list(log.users) == ["a", "b"] and log.ratings is None
    assert list(read_interactions(named, user_col=1, item_col=2).items) == ["x", "y"]


def test_read_interactions_errors(tmp_path):
    with pytest.raises(DataError, match="empty"):
        read_interactions(_write(tmp_path / "e.csv", "\n\n"))
    with pytest.raises(DataError, match="no user column 'who'"):
        read_interactions(_write(tmp_path / "h.csv", "user,item\na,b\n"), user_col="who")
    with pytest.raises(DataError, match="non-number"):
        read_interactions(_write(tmp_path / "r.csv", "user,item,rating\na,b,good\n"))
    with pytest.raises(DataError, match="no such file"):
        read_interactions(tmp_path / "missing.csv")
    log = read_interactions(_write(tmp_path / "ok.csv", "user,item,rating\na,b,1\n"))
    with pytest.raises(DataError, match="no interactions left"):
        click_matrix(log, min_rating=4, min_user_items=1)


def test_click_matrix_binarizes_and_filters(tmp_path):
    rows = ["u,i,r"] + [f"1,{i},5" for i in range(6)] + ["1,0,5"]  # user 1: 6 items, a repeat
    rows += [f"2,{i},{5 if i < 3 else 1}" for i in range(6)]  # user 2: 3 items rated >= 4
    log = read_interactions(_write(tmp_path / "l.csv", "\n".join(rows) + "\n"),
                            user_col="u", item_col="i", rating_col="r")  # fmt: skip
    cm = click_matrix(log, min_rating=4, min_user_items=5)
    assert list(cm.users) == ["1"] and cm.matrix.shape == (1, 6)
    assert cm.matrix.nnz == 6 and set(cm.matrix.data) == {1.0}
    cm2 = click_matrix(log, min_rating=4, min_user_items=3)
    assert list(cm2.users) == ["1", "2"] and cm2.matrix[1].nnz == 3


def _planted_log(n_users: int = 240, n_items: int = 60, seed: int = 0) -> str:
    """Users of 3 groups, each clicking 12-18 items of its own block of 20."""
    rng = np.random.default_rng(seed)
    lines = ["user,item"]
    for u in range(n_users):
        block = u % 3
        for i in rng.choice(20, size=rng.integers(12, 19), replace=False):
            lines.append(f"user{u},item{block * 20 + i}")
    return "\n".join(lines) + "\n"


def test_strong_split_roles_and_heldout(tmp_path):
    log = read_interactions(_write(tmp_path / "p.csv", _planted_log()))
    cm = click_matrix(log)
    sp = strong_split(cm, heldout_users=30, seed=3)
    roles = [set(sp.train_rows), set(sp.val_rows), set(sp.test_rows)]
    assert [len(r) for r in roles] == [180, 30, 30]
    assert not (roles[0] & roles[1] or roles[0] & roles[2] or roles[1] & roles[2])
    for role, rows in (("val", sp.val_rows), ("test", sp.test_rows)):
        fold, held = sp.fold_in(role), sp.heldout(role)
        full = sp.clicks[rows]
        assert (fold.multiply(held)).nnz == 0  # disjoint
        assert ((fold + held) != full).nnz == 0  # together, the whole history
        np.testing.assert_array_equal(np.diff(held.indptr), (np.diff(full.indptr) * 0.2)
                                      .astype(int))  # fmt: skip
    again = strong_split(cm, heldout_users=30, seed=3)
    assert np.array_equal(again.val_rows, sp.val_rows)
    assert (again.test_heldout != sp.test_heldout).nnz == 0
    assert not np.array_equal(strong_split(cm, 30, seed=4).val_rows, sp.val_rows)
    with pytest.raises(DataError, match="training users"):
        strong_split(cm, heldout_users=120)


# ---------------------------------------------------------------- models
def _clicks(b: int = 16, n: int = 30, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(b, n, generator=g) < 0.3).float()
    x[:, 0] = 1  # no empty row
    return x


@pytest.mark.parametrize("name", ["mult-vae", "mult-dae"])
def test_mult_models_forward_backward_and_round_trip(name, tmp_path):
    model = create_model(name, n_items=30, latent_dim=4, hidden=[16])
    x = _clicks()
    out = model.loss(x)
    out.total.backward()
    assert torch.isfinite(out.total)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    # reconstruction is the multinomial log-likelihood of the clicks
    model.eval()
    logits = model.scores(x)
    assert out.kl.item() >= 0
    save_model(model, tmp_path)
    loaded = load(tmp_path)
    assert loaded.config == model.config
    assert torch.equal(loaded.scores(x), logits)
    assert torch.equal(model.scores(x), logits)  # eval scoring: no dropout, no sampling


def test_mult_vae_loss_is_multinomial_nll_plus_weighted_kl():
    model = create_model("mult-vae", n_items=30, latent_dim=4, hidden=[16], dropout=0.0)
    x = _clicks()
    torch.manual_seed(1)
    out = model.loss(x, kl_weight=0.5)
    torch.manual_seed(1)
    q = model.encode(x)
    z = q.rsample()
    log_px = (torch.log_softmax(model.decode_params(z), -1) * x).sum(1)
    kl = 0.5 * (q.mean.pow(2) + q.logvar.exp() - 1 - q.logvar).sum(1)
    assert out.reconstruction.item() == pytest.approx(-log_px.mean().item(), rel=1e-5)
    assert out.kl.item() == pytest.approx(kl.mean().item(), rel=1e-5)
    expected = -log_px.mean() + 0.2 * 0.5 * kl.mean()  # beta = anneal_cap = 0.2
    assert out.total.item() == pytest.approx(expected.item(), rel=1e-5)


def test_mult_dae_has_no_kl_and_no_prior():
    model = create_model("mult-dae", n_items=30, latent_dim=4, l2=0.01)
    out = model.loss(_clicks())
    assert out.kl.item() == 0.0 and float(out.extra["l2"]) > 0
    assert out.total.item() == pytest.approx(out.reconstruction.item() + float(out.extra["l2"]))
    with pytest.raises(ConfigError, match="no prior"):
        model.sample(3)
    with pytest.raises(DataError, match="click rows"):
        model.loss(torch.ones(2, 29))


# ---------------------------------------------------------------- the trainer's selection
def test_trainer_keeps_the_weights_of_the_best_selected_epoch():
    model = create_model("mult-dae", n_items=30, latent_dim=4)
    x = sparse.csr_matrix(_clicks(64).numpy())
    bundle = DataBundle("clicks", Split(SparseRows.from_scipy(x)), None, None, (30,))
    epoch = {"n": 0}
    weights = {}

    def score(m):  # best at epoch 2, then worse
        epoch["n"] += 1
        weights[epoch["n"]] = m.decoder.body[-1].weight.detach().clone()
        return -abs(epoch["n"] - 2)

    cfg = TrainConfig(epochs=4, batch_size=16, device="cpu", lr=1e-2)
    result = Trainer(model, bundle, cfg, quiet=True, selection=Selection("s", score)).fit()
    assert [r["val_s"] for r in result.history] == [-1, 0, -1, -2]
    assert torch.equal(model.decoder.body[-1].weight, weights[2])
    assert not torch.equal(weights[2], weights[4])


# ---------------------------------------------------------------- EASE
def test_ease_is_the_constrained_ridge_solution():
    rng = np.random.default_rng(0)
    x = (rng.random((80, 12)) < 0.3).astype(np.float64)
    lam = 5.0
    b = EASE(lam).fit(sparse.csr_matrix(x)).weights_
    assert np.all(np.diag(b) == 0)
    for j in range(12):  # column j: ridge regression of item j on the other items
        others = [i for i in range(12) if i != j]
        a = x[:, others]
        w = np.linalg.solve(a.T @ a + lam * np.eye(11), a.T @ x[:, j])
        np.testing.assert_allclose(b[others, j], w, atol=1e-4)


def test_popularity_scores_by_training_users():
    x = sparse.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [1, 0, 1]], np.float32))
    s = Popularity().fit(x).scores(sparse.csr_matrix(np.zeros((2, 3))))
    np.testing.assert_array_equal(s, [[3, 1, 1], [3, 1, 1]])


# ---------------------------------------------------------------- Recommender
@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("recsys") / "log.csv"
    path.write_text(_planted_log())
    return path


def test_recommender_learns_the_planted_blocks_and_round_trips(planted, tmp_path):
    rec = Recommender("mult-vae", epochs=30, batch_size=30, total_anneal_steps=100,
                      heldout_users=30, device="cpu", random_state=1)  # fmt: skip
    rec.fit(planted, out=tmp_path / "run")
    result = rec.evaluate()
    pop = Recommender("popularity", heldout_users=30, random_state=1).fit(planted).evaluate()
    assert result["users"] == 30
    assert result["ndcg@100"] > 0.6 and result["ndcg@100"] > pop["ndcg@100"] + 0.2
    top = rec.recommend(["item41", "item42", "item43", "item44", "item45"], k=5)
    assert len(top) == 5 and all(40 <= int(i[4:]) < 60 for i, _ in top)  # the same block
    assert not {"item41", "item42"} & {i for i, _ in top}  # seen items are left out
    again = Recommender.load(tmp_path / "run")
    x = [["item1", "item2"], ["item30"]]
    np.testing.assert_array_equal(again.score(x), rec.score(x))
    assert again.recommend("user7", 3) == rec.recommend("user7", 3)
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert "val_ndcg@100" in json.loads(lines[-1])


def test_recommender_errors(planted):
    rec = Recommender("popularity", heldout_users=30).fit(planted)
    with pytest.raises(DataError, match="unknown user 'nobody'"):
        rec.recommend("nobody")
    with pytest.raises(DataError, match="unknown item id"):
        rec.recommend(["item1", "no-such-item"])
    with pytest.raises(DataError, match="no items"):
        rec.recommend([])
    with pytest.raises(NotFittedError, match="not fitted"):
        Recommender().recommend("user1")
    with pytest.raises(ConfigError, match="unknown recommender model"):
        Recommender("svd").fit(planted)


@needs_ml100k
def test_ml100k_protocol_baselines_match_the_published_level():
    log = read_interactions(ML100K / "ml-100k.inter.gz")
    sp = strong_split(click_matrix(log, min_rating=4), heldout_users=100)
    assert sp.clicks.shape[0] == 938 and len(sp.val_rows) == len(sp.test_rows) == 100
    pop = Recommender("popularity").fit(sp).evaluate()
    ease = Recommender("ease").fit(sp).evaluate()
    assert 0.2 < pop["ndcg@100"] < 0.32  # about 0.26 under this protocol
    assert ease["ndcg@100"] > pop["ndcg@100"] + 0.12  # about 0.46


# ---------------------------------------------------------------- command line
def run_cli(args, capsys):
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_recommend_cli_fit_evaluate_top_k(planted, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    code, _, err = run_cli(["recommend", "fit", planted, "--out", run, "--model", "mult-dae",
                            "--epochs", "5", "--batch-size", "50", "--heldout-users", "30",
                            "--device", "cpu", "-q"], capsys)  # fmt: skip
    assert code == 0, err
    assert "180 training users" in err
    code, out, err = run_cli(["recommend", "evaluate", run], capsys)
    assert code == 0, err
    assert "ndcg@100" in out and (run / "evaluation.json").exists()
    code, out, err = run_cli(["recommend", "top-k", run, "--items", "item1,item2", "-k", "4",
                              "--json"], capsys)  # fmt: skip
    assert code == 0, err
    assert len(json.loads(out)) == 4
    code, out, _ = run_cli(["recommend", "top-k", run, "--user", "user5", "-k", "3"], capsys)
    assert code == 0 and "top 3 for user user5" in out
    code, _, err = run_cli(["evaluate", run], capsys)  # not a `vaekit train` run
    assert code == 2 and "vaekit recommend evaluate" in err
    code, _, err = run_cli(["recommend", "top-k", run, "--user", "ghost"], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown user 'ghost'" in err
    monkeypatch.delenv("VAEKIT_DATA_DIR", raising=False)
    code, _, err = run_cli(["recommend", "fit", "--dataset", "ml-100k", "--out", tmp_path / "x",
                            "--data-dir", tmp_path / "nowhere"], capsys)  # fmt: skip
    assert code == 2 and "not found" in err and "ml-100k.zip" in err


# ---------------------------------------------------------------- seen items and titles
def _rated_log(root: Path) -> Path:
    """``NAME.inter`` / ``NAME.item`` files: 40 users in two groups rating their group's 8
    items with 5 stars, and the other group's first item with 1 star."""
    root.mkdir()
    rng = np.random.default_rng(0)
    rows = ["user_id:token\titem_id:token\trating:float"]
    for u in range(40):
        own = (u % 2) * 8
        rows += [f"u{u}\ti{own + i}\t5" for i in rng.choice(8, 6, replace=False)]
        rows.append(f"u{u}\ti{8 - own}\t1")
    (root / "x.inter").write_text("\n".join(rows) + "\n")
    items = ["item_id:token\tmovie_title:token_seq\trelease_year:token"]
    items += [f"i{i}\tFilm {i}\t{1990 + i}" for i in range(16)]
    (root / "x.item").write_text("\n".join(items) + "\n")
    return root / "x.inter"


def test_recommend_leaves_out_low_rated_items_and_knows_titles(tmp_path):
    log = _rated_log(tmp_path / "data")
    rec = Recommender("popularity", heldout_users=4, random_state=1).fit(log, out=tmp_path / "r")
    assert rec.min_rating_ == 4.0  # star ratings: Mult-VAE's threshold by default
    assert Recommender("popularity", heldout_users=4, min_rating=None).fit(log).min_rating_ is None
    raw = read_interactions(log)
    for user in ("u0", "u1", "u2"):
        rated = {i for u, i in zip(raw.users, raw.items, strict=True) if u == user}
        top = [i for i, _ in rec.recommend(user, k=16)]
        assert not rated & set(top)  # the 1-star item too
        every = [i for i, _ in rec.recommend(user, k=16, exclude_seen=False)]
        assert rated <= set(every)
    assert rec.title("i3") == "Film 3 (1993)" and rec.title("nothing") is None
    again = Recommender.load(tmp_path / "r")
    assert again.item_titles_ == rec.item_titles_ and again.min_rating_ == 4.0
    assert (again.seen_ != rec.seen_).nnz == 0
    assert again.recommend("u0", 16) == rec.recommend("u0", 16)


def test_a_run_saved_before_the_rated_items_were_kept_falls_back_with_one_warning(tmp_path):
    import warnings

    from vaekit.io.safe import load_tensors, save_tensors

    log = _rated_log(tmp_path / "data")
    run = tmp_path / "r"
    Recommender("popularity", heldout_users=4, random_state=1, min_rating=4).fit(log, out=run)
    tensors, _ = load_tensors(run / "estimator.safetensors")
    save_tensors(run / "estimator.safetensors",
                 {k: v for k, v in tensors.items() if not k.startswith("seen.")})  # fmt: skip
    meta = json.loads((run / "estimator.json").read_text())
    for key in ("min_rating", "item_titles"):
        meta["state"].pop(key)
    (run / "estimator.json").write_text(json.dumps(meta))
    old = Recommender.load(run)
    assert old.seen_ is None and old.min_rating_ == 4 and old.item_titles_ == {}
    with pytest.warns(UserWarning, match="fitted before every rated item was kept") as got:
        first = old.recommend("u0", 16)
        old.recommend("u1", 16)
    assert len(got) == 1
    assert "i8" in {i for i, _ in first}  # the 1-star item: only the clicks are known
    with warnings.catch_warnings():  # no threshold at fit: the clicks are every rated item
        warnings.simplefilter("error")
        Recommender.load(Path(__file__).parent.parent / "fixtures" / "recsys_v1" / "ease"
                         ).recommend("u3", 3)  # fmt: skip
