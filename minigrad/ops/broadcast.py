"""Broadcasting and its adjoint: ``expand`` copies a value along new axes, ``sum_to_size`` adds
the copies back. Each is the other's backward, which is why a broadcast operand's gradient is a sum.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import check_tensor


def _sizes(sizes: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` as well as ``f((2, 3))``, as torch does."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        return tuple(sizes[0])
    return tuple(sizes)


def expanded_shape(shape: tuple[int, ...], sizes: Sequence[int]) -> tuple[int, ...]:
    """The shape ``expand(sizes)`` gives, or torch's RuntimeError; -1 keeps a size."""
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(shape)})"
        )
    offset = len(sizes) - len(shape)
    result = []
    for i, size in enumerate(sizes):
        old = shape[i - offset] if i >= offset else None
        if size == -1:
            if old is None:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"
                )
            size = old
        elif old is not None and old != size and old != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({size}) must match the existing size ({old}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        result.append(size)
    return tuple(result)


class Expand(Function):
    """y = x repeated along broadcast axes (a view)    dL/dx = dL/dy summed back to x's shape"""

    is_view = True

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        return ctx.backend.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return grad.sum_to_size(ctx.shape), None


class SumToSize(Function):
    """y = x summed over the axes where ``shape`` has 1 or nothing    dL/dx = dL/dy expanded"""

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        summed = ctx.backend.sum(x, axes, True)
        return ctx.backend.reshape(summed, shape)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return grad.expand(ctx.shape), None


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A view of ``input`` broadcast to ``sizes`` (-1 keeps a size); no memory is copied."""
    if not sizes:
        raise TypeError("expand() missing 1 required positional argument: 'size'")
    shape = expanded_shape(check_tensor(input, "expand").shape, _sizes(sizes))
    return Expand.apply(input, shape)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input`` expanded to ``size``."""
    return expand(input, tuple(size))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` expanded to ``other``'s shape."""
    return expand(input, other.shape)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum ``input`` down to ``size``, which must be expandable to ``input``'s shape."""
    shape = _sizes(size)
    try:
        expandable = expanded_shape(shape, input.shape) == input.shape
    except RuntimeError:
        expandable = False
    if not expandable:
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(input.shape)}}}.")
    if shape == input.shape:
        return input
    return SumToSize.apply(input, shape)


__all__ = ["expand", "broadcast_to", "expand_as", "sum_to_size"]
TENSOR_METHODS = ["expand", "broadcast_to", "expand_as", "sum_to_size"]
