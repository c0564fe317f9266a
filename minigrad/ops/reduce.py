"""Reductions: a value computed from many elements along some dims.

The backward of a reduction sends the incoming gradient back to every element that contributed:
for a sum, each element gets it whole (an ``expand``); for a mean, divided by the count.
"""

from __future__ import annotations

from typing import Any, Sequence

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import cast, check_tensor, wrap_dims


def _restore_dims(grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """Put back the reduced dims as size 1, so that the gradient broadcasts over them."""
    if keepdim or not dims:
        return grad
    kept = [1 if d in dims else n for d, n in enumerate(shape)]
    return grad.reshape(kept)


class Sum(Function):
    """y = Σ x over dims    dL/dx = dL/dy copied to every summed element"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return ctx.backend.sum(x, dims, keepdim)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        return _restore_dims(grad, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape), None, None


def sum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,  # noqa: A001
        dtype: Any = None) -> Tensor:
    """Σ over ``dim`` (every dim when None); bool and int tensors sum to int64."""
    check_tensor(input, "sum")
    if dtype is not None:
        input = cast(input, dtypes.to_dtype(dtype))
    elif input.data.dtype.kind in "bi":
        input = cast(input, dtypes.int64)
    return Sum.apply(input, wrap_dims(dim, input.ndim), keepdim)


def mean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """Σ x / n over ``dim``; refused on integer tensors, as torch does."""
    check_tensor(input, "mean")
    if dtype is not None:
        input = cast(input, dtypes.to_dtype(dtype))
    if input.data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {input.dtype.name.capitalize()}"
        )
    dims = wrap_dims(dim, input.ndim)
    count = 1
    for d in dims:
        count *= input.shape[d]
    return Sum.apply(input, dims, keepdim) / count if count else Sum.apply(input, dims, keepdim) * float("nan")


__all__ = ["sum", "mean"]
TENSOR_METHODS = ["sum", "mean"]
