"""Weights in and out of PyTorch, Keras and ONNX (each optional package imported only when used)."""

from .keras import from_keras, to_keras
from .onnx import from_onnx, to_onnx
from .torch import from_torch, to_torch

__all__ = ["from_torch", "to_torch", "from_keras", "to_keras", "to_onnx", "from_onnx"]
