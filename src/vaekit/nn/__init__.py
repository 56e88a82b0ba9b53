"""Building blocks: MLP and convolutional encoder/decoder stacks."""

from vaekit.nn.activations import get_activation
from vaekit.nn.conv import ConvDecoder, ConvEncoder
from vaekit.nn.mlp import MLP, MLPDecoder, MLPEncoder

__all__ = ["MLP", "MLPDecoder", "MLPEncoder", "ConvDecoder", "ConvEncoder", "get_activation"]
