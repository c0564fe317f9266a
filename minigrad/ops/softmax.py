"""The softmax family: probabilities (and their logarithms) along one dim.

Both are computed after subtracting the row's maximum, which changes nothing mathematically
(softmax(x) = softmax(x - c)) but keeps ``e^x`` from overflowing: ``log_softmax([1000, 0])`` is
``[0, -1000]``. The forward passes are fused backend primitives (the hot path of every
classifier's loss); the backward passes are written with Tensor ops, so they differentiate again.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import cast, check_tensor, wrap_dim


class Softmax(Function):
    """yᵢ = e^xᵢ / Σⱼ e^xⱼ    dL/dx = y·(g - Σ g·y)  (sums along dim)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int) -> Any:
        y = ctx.backend.softmax(x, dim)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    """yᵢ = xᵢ - ln Σⱼ e^xⱼ    dL/dx = g - e^y·Σ g  (sum along dim)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int) -> Any:
        y = ctx.backend.log_softmax(x, dim)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None


def _prepare(input: Tensor, dim: Any, dtype: Any, op: str) -> tuple[Tensor, int]:
    """Check the arguments as torch does, cast to ``dtype``, and wrap ``dim``."""
    check_tensor(input, op)
    if dim is None or not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = cast(input, dtypes.to_dtype(dtype))
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for \'{input.dtype.name.capitalize()}\'')
    return input, wrap_dim(dim, input.ndim)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along ``dim``, computed in ``dtype`` when given; stable for large inputs."""
    input, dim = _prepare(input, dim, dtype, "softmax")
    return Softmax.apply(input, dim)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """x - ln Σ e^x along ``dim``, computed in ``dtype`` when given; stable for large inputs."""
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim)


__all__ = ["softmax", "log_softmax"]
TENSOR_METHODS = ["softmax", "log_softmax"]
