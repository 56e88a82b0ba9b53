"""Recurrent encoder and decoder of token sequences (Bowman et al. 2016; the MOSES VAE)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from vaekit.errors import ConfigError

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


def make_embedding(vocab_size: int, embed_dim: int) -> nn.Embedding:
    """Token embedding; ``embed_dim`` 0 gives one-hot-sized vectors initialised to the
    identity and trained (the MOSES VAE's)."""
    if embed_dim < 0:
        raise ConfigError(f"embed_dim must be >= 0, got {embed_dim}")
    if embed_dim == 0:
        emb = nn.Embedding(vocab_size, vocab_size)
        with torch.no_grad():
            emb.weight.copy_(torch.eye(vocab_size))
        return emb
    return nn.Embedding(vocab_size, embed_dim)


class SequenceEncoder(nn.Module):
    """Embedding and a (bidirectional) GRU or LSTM over packed sequences.

    ``forward(x, lengths)`` with ids ``(B, T)`` padded at the end and lengths ``(B,)``
    returns the last layer's final state of each direction, concatenated: ``(B, out_dim)``.
    Packing makes every row's state its own, whatever the padding.
    """

    def __init__(
        self, vocab_size: int, embed_dim: int, hidden: int, cell: str = "gru",
        bidirectional: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        if cell not in CELLS:
            raise ConfigError(f"unknown rnn cell {cell!r}; choose one of {', '.join(CELLS)}")
        if hidden < 1:
            raise ConfigError(f"rnn_hidden must be >= 1, got {hidden}")
        self.embed = make_embedding(vocab_size, embed_dim)
        self.cell = cell
        self.rnn = CELLS[cell](self.embed.embedding_dim, hidden, batch_first=True,
                               bidirectional=bidirectional)  # fmt: skip
        self.out_dim = hidden * (2 if bidirectional else 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embed(x), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)  # fmt: skip
        _, h = self.rnn(packed)
        if self.cell == "lstm":
            h = h[0]
        dirs = 2 if self.rnn.bidirectional else 1
        return h[-dirs:].transpose(0, 1).reshape(x.shape[0], self.out_dim)  # (B, out_dim)


class SequenceDecoder(nn.Module):
    """A GRU language model, optionally conditioned on a code ``z``.

    ``z`` sets the initial state of every layer (through one linear map) and is appended
    to the embedding of every input token; with ``latent_dim`` 0 it is a plain language
    model starting from a zero state.
    """

    def __init__(
        self, vocab_size: int, embed_dim: int, hidden: int, layers: int = 1, latent_dim: int = 0,
    ) -> None:  # fmt: skip
        super().__init__()
        if hidden < 1 or layers < 1:
            raise ConfigError(f"decoder sizes must be >= 1, got hidden {hidden}, layers {layers}")
        self.embed = make_embedding(vocab_size, embed_dim)
        self.latent_dim, self.layers, self.hidden = latent_dim, layers, hidden
        self.rnn = nn.GRU(self.embed.embedding_dim + latent_dim, hidden, layers, batch_first=True)
        self.init_state = nn.Linear(latent_dim, hidden) if latent_dim else None
        self.output_layer = nn.Linear(hidden, vocab_size)

    def initial_state(self, z: torch.Tensor | None, batch: int) -> torch.Tensor:
        """``(layers, B, H)``: ``W z + b`` in every layer, or zeros without a code."""
        if self.init_state is None or z is None:
            device = self.output_layer.weight.device
            dtype = self.output_layer.weight.dtype
            return torch.zeros(self.layers, batch, self.hidden, device=device, dtype=dtype)
        return self.init_state(z).unsqueeze(0).expand(self.layers, -1, -1).contiguous()

    def forward(
        self, inputs: torch.Tensor, z: torch.Tensor | None, h: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden outputs ``(B, T, H)`` for input ids ``(B, T)`` and the last state."""
        e = self.embed(inputs)  # (B, T, E)
        if self.init_state is not None and z is not None:
            e = torch.cat([e, z[:, None, :].expand(-1, e.shape[1], -1)], dim=-1)
        if h is None:
            h = self.initial_state(z, inputs.shape[0])
        return self.rnn(e, h)
