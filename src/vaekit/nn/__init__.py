"""Building blocks: MLP and convolutional encoder/decoder stacks."""

from vaekit.nn.activations import get_activation
from vaekit.nn.burgess import BurgessDecoder, BurgessEncoder
from vaekit.nn.conv import ConvDecoder, ConvEncoder
from vaekit.nn.mlp import MLP, MLPDecoder, MLPEncoder
from vaekit.nn.rnn import SequenceDecoder, SequenceEncoder

__all__ = [
    "BurgessDecoder",
    "BurgessEncoder",
    "MLP",
    "MLPDecoder",
    "MLPEncoder",
    "ConvDecoder",
    "ConvEncoder",
    "SequenceDecoder",
    "SequenceEncoder",
    "get_activation",
]
