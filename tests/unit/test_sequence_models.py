"""Sequence models (every registered one): losses, padding, bounds, generation, save/load,
and a tiny corpus learned end to end."""

from __future__ import annotations

import math

import pytest
import torch

from vaekit.io import load, save_model
from vaekit.models import create_model, list_models
from vaekit.models.seq_generation import nucleus
from vaekit.objectives.schedules import make_kl_schedule
from vaekit.text import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Tokenizer

SEQ_MODELS = [e.name for e in list_models() if e.cls.modality == "sequence"]
CORPUS = ["the cat sat on the mat .", "a dog ran .", "the bird sang a song in the tree .",
          "cats sleep .", "dogs bark at the moon at night .", "it rains ."]  # fmt: skip


def make(name: str, **kw) -> torch.nn.Module:
    tok = Tokenizer.fit(CORPUS, "word")
    kwargs = dict(tokenizer=tok.to_dict(), latent_dim=4, embed_dim=16, rnn_hidden=16,
                  decoder_hidden=24, max_length=20)  # fmt: skip
    kwargs.update(kw)
    return create_model(name, **kwargs)


def test_sequence_models_are_registered():
    assert SEQ_MODELS == ["seq-vae", "rnnlm"]


@pytest.mark.parametrize("name", SEQ_MODELS)
@pytest.mark.parametrize("rnn", ["gru", "lstm"])
def test_loss_is_finite_and_reaches_every_parameter(name, rnn):
    model = make(name, rnn=rnn, word_dropout=0.3)
    x = model.to_ids(CORPUS)
    out = model.loss(x, kl_weight=0.5)
    out.total.backward()
    assert torch.isfinite(out.total) and out.kl_per_dim.shape == (model.latent_dim,)
    assert (out.kl_per_dim >= 0).all() and torch.allclose(out.kl, out.kl_per_dim.sum())
    tokens = sum(len(s.split()) + 1 for s in CORPUS) / len(CORPUS)
    assert out.extra["tokens"].item() == pytest.approx(tokens)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_padding_changes_nothing(name):
    model = make(name).eval()
    x = model.to_ids(CORPUS)  # padded to the longest sentence
    z = torch.randn(len(CORPUS), model.latent_dim)
    zz = z if model.has_latent else None
    together = model.seq_log_prob(zz, x)
    alone = torch.stack([
        model.seq_log_prob(None if zz is None else zz[i : i + 1], model.to_ids([s]))[0]
        for i, s in enumerate(CORPUS)
    ])  # fmt: skip
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)
    q_all, q_one = model.encode(x), model.encode([CORPUS[1]])
    torch.testing.assert_close(q_all.mean[1:2], q_one.mean, rtol=1e-5, atol=1e-6)


def test_log_prob_is_the_sum_of_the_token_log_softmax():
    model = make("seq-vae").eval()
    x = model.to_ids(CORPUS[:2])
    z = torch.randn(2, 4)
    h, _ = model.decoder(torch.cat([torch.full((2, 1), BOS_ID), x[:, :-1]], 1), z)
    logp = torch.log_softmax(model.decoder.output_layer(h), -1)
    expect = [sum(logp[i, t, x[i, t]] for t in range(x.shape[1]) if x[i, t] != PAD_ID)
              for i in range(2)]  # fmt: skip
    torch.testing.assert_close(model.seq_log_prob(z, x), torch.stack(expect))


def test_rnnlm_weights_are_the_exact_log_likelihood():
    model = make("rnnlm").eval()
    x = model.to_ids(CORPUS)
    exact = model.seq_log_prob(None, x)
    log_w = model.log_weights(x, k=7)
    assert log_w.shape == (7, len(CORPUS))
    torch.testing.assert_close(log_w, exact.expand(7, -1))
    assert model.loss(x).kl.item() == 0.0


def test_importance_bound_tightens_with_more_samples():
    model = make("seq-vae").eval()
    x = model.to_ids(CORPUS)
    torch.manual_seed(0)
    elbo = -model.loss(x).total.item()
    l1 = model.log_weights(x, k=2000).mean().item()
    lk = (torch.logsumexp(model.log_weights(x, k=2000), 0) - math.log(2000)).mean().item()
    assert elbo == pytest.approx(l1, abs=0.3)  # the ELBO is E[log w]
    assert lk > l1 + 0.01  # L_k above the ELBO


def test_word_dropout_only_while_training():
    model = make("seq-vae", word_dropout=1.0)
    x = model.to_ids(CORPUS)
    model.train()
    inputs = model._inputs(x)
    assert (inputs[:, 0] == BOS_ID).all() and (inputs[:, 1:] == UNK_ID).all()
    model.eval()
    assert (model._inputs(x)[:, 1:] == x[:, :-1]).all()


def test_nucleus_keeps_the_smallest_set_reaching_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = torch.isfinite(nucleus(logits, 0.75))
    assert kept.tolist() == [[True, True, False, False]]
    assert torch.isfinite(nucleus(logits, 0.01)).sum() == 1


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_generation_stops_rows_at_eos_and_respects_options(name):
    model = make(name).eval()
    torch.manual_seed(0)
    ids = model.sample(50, max_length=9)
    assert ids.shape[0] == 50 and ids.shape[1] <= 9
    for row in ids.tolist():
        if EOS_ID in row:
            end = row.index(EOS_ID)
            assert all(t == PAD_ID for t in row[end + 1 :])
        body = row[: row.index(EOS_ID)] if EOS_ID in row else row
        assert BOS_ID not in row and PAD_ID not in body
    a, b = model.sample(5, greedy=True), model.sample(5, greedy=True)
    if not model.has_latent:  # one greedy sentence for a language model
        assert torch.equal(a, b) and len(set(model.to_text(a))) == 1
    with pytest.raises(Exception, match="top_p must be in"):
        model.sample(2, top_p=0)


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_save_load_gives_identical_outputs(name, tmp_path):
    model = make(name, word_dropout=0.25).eval()
    save_model(model, tmp_path)
    loaded = load(tmp_path)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert loaded.tokenizer == model.tokenizer
    torch.manual_seed(3)
    a = model.loss(CORPUS).total
    torch.manual_seed(3)
    b = loaded.loss(CORPUS).total
    assert torch.equal(a, b)
    assert loaded.reconstruct_text(CORPUS) == model.reconstruct_text(CORPUS)


def test_bad_inputs_are_clear():
    model = make("seq-vae")
    with pytest.raises(Exception, match="token ids must be in"):
        model.encode(torch.tensor([[1, 999]]))
    with pytest.raises(Exception, match="empty sequence"):
        model.encode(["the cat", "  "])
    with pytest.raises(Exception, match="needs a tokenizer"):
        create_model("seq-vae")
    with pytest.raises(Exception, match="categorical likelihood is for sequence models"):
        create_model("vae", input_shape=(4,), likelihood="categorical")


def test_logistic_schedule_is_bowmans_curve():
    s = make_kl_schedule("logistic", 10, warmup_epochs=4.0)
    assert s(2.0) == pytest.approx(0.5)
    assert s(0.0) == pytest.approx(1 / (1 + math.exp(5)))
    assert s(4.0) == pytest.approx(1 / (1 + math.exp(-5)))
    assert s(100.0) == pytest.approx(1.0)


def test_a_tiny_corpus_is_learned_and_reconstructed():
    """Six sentences, free bits to keep z in use: the posterior means decode exactly."""
    torch.manual_seed(0)
    model = make("seq-vae", latent_dim=8, embed_dim=32, rnn_hidden=32, decoder_hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = model.to_ids(CORPUS)
    for _ in range(150):
        out = model.loss(x, free_bits=0.5)
        opt.zero_grad()
        out.total.backward()
        opt.step()
    model.eval()
    assert model.reconstruct_text(CORPUS) == CORPUS
    assert out.reconstruction.item() < 1.0
    path = model.homotopy(CORPUS[0], CORPUS[4], steps=4)
    assert path[0] == CORPUS[0] and path[-1] == CORPUS[4]
