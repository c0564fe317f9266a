"""Maxima and minima: ``amax``/``amin``, ``max``/``min`` in their three forms, ``argmax``/``argmin``.

Where several elements share the extreme value, torch has two conventions for the gradient, and
minigrad follows both: a reduction that returns only values (``amax``, ``max()`` without dim)
splits the gradient evenly among the tied elements; one that also returns indices (``max(dim)``)
gives it all to the returned index, the first maximum.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from .binary import maximum, minimum, where
from ._util import check_tensor, wrap_dim
from .reduce import reduced_dims, restore_dims


class Extremum(Function):
    """y = max (or min) of x over dims    dL/dx = dL/dy split evenly among the x equal to y

    With ``nan_ties`` (``max()``/``min()`` without dim), a nan result counts the nan elements as
    its ties; otherwise (``amax``/``amin``) a nan result sends nan to the whole reduced slice.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], keepdim: bool, largest: bool,
                nan_ties: bool) -> Any:
        ctx.dims, ctx.keepdim, ctx.nan_ties = dims, keepdim, nan_ties
        y = ctx.backend.amax(x, dims, keepdim) if largest else ctx.backend.amin(x, dims, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        x, y = ctx.saved_tensors
        y = restore_dims(y, x.shape, ctx.dims, ctx.keepdim)
        ties = x == y
        if ctx.nan_ties:
            ties = ties | ((x != x) & (y != y))
        grad = restore_dims(grad, x.shape, ctx.dims, ctx.keepdim)
        return grad / ties.sum(ctx.dims, keepdim=True) * ties, None, None, None, None


class ExtremumWithIndex(Function):
    """(y, i) = max (or min) of x along dim, and the first index reaching it
    dL/dx = dL/dy at index i, 0 elsewhere"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int, keepdim: bool, largest: bool) -> tuple[Any, Any]:
        backend = ctx.backend
        axis = dim if x.ndim else None
        values = backend.amax(x, axis, keepdim) if largest else backend.amin(x, axis, keepdim)
        index = backend.argmax(x, axis, keepdim) if largest else backend.argmin(x, axis, keepdim)
        index = backend.astype(index, dtypes.int64.np)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.save_for_backward(index)
        return values, index

    @staticmethod
    def backward(ctx: Function, grad: Tensor, _: Tensor) -> tuple[Tensor, None, None, None]:
        if not ctx.shape:
            return grad, None, None, None
        (index,) = ctx.saved_tensors
        backend, dims = ctx.backend, (ctx.dim,)
        along = [1] * len(ctx.shape)
        along[ctx.dim] = ctx.shape[ctx.dim]
        positions = backend.reshape(backend.arange(0, along[ctx.dim], 1, dtypes.int64.np), tuple(along))
        chosen = restore_dims(index, ctx.shape, dims, ctx.keepdim) == Tensor(positions, backend=backend)
        return where(chosen, restore_dims(grad, ctx.shape, dims, ctx.keepdim), 0.0), None, None, None


class ArgExtremum(Function):
    """i = index of the first max (or min) along an axis (of the flattened x when None); an
    index has no gradient"""

    @staticmethod
    def forward(ctx: Function, x: Any, axis: int | None, keepdim: bool, largest: bool) -> Any:
        backend = ctx.backend
        index = backend.argmax(x, axis, keepdim) if largest else backend.argmin(x, axis, keepdim)
        return backend.astype(index, dtypes.int64.np)


class MaxResult(NamedTuple):
    """What ``max(input, dim)`` returns: ``values`` and ``indices``, also unpackable as a pair."""

    values: Tensor
    indices: Tensor


class MinResult(NamedTuple):
    """What ``min(input, dim)`` returns: ``values`` and ``indices``, also unpackable as a pair."""

    values: Tensor
    indices: Tensor


def _check_dims(op: str, input: Tensor, dims: tuple[int, ...], given: bool, error: type) -> None:
    """Refuse a reduction over an empty dim, or over everything of an empty tensor, as torch."""
    if not given and input.numel() == 0:
        hint = " Specify the reduction dim with the 'dim' argument." if error is RuntimeError else ""
        raise error(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.{hint}")
    for d in sorted(dims):
        if input.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _extremum(op: str, input: Tensor, dim: int | Sequence[int] | None, keepdim: bool,
              largest: bool) -> Tensor:
    check_tensor(input, op)
    dims = reduced_dims(dim, input.ndim)
    given = dim is not None and (isinstance(dim, int) or len(dim) > 0)
    _check_dims(op, input, dims, given, RuntimeError)
    return Extremum.apply(input, dims, keepdim, largest, False)


def amax(input: Tensor, dim: int | Sequence[int] = (), keepdim: bool = False) -> Tensor:
    """The largest value over ``dim`` (every dim by default); ties share the gradient evenly."""
    return _extremum("amax", input, dim, keepdim, True)


def amin(input: Tensor, dim: int | Sequence[int] = (), keepdim: bool = False) -> Tensor:
    """The smallest value over ``dim`` (every dim by default); ties share the gradient evenly."""
    return _extremum("amin", input, dim, keepdim, False)


def _max_or_min(op: str, input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    """The three forms of ``max``/``min``: over everything, along ``dim``, or against a tensor."""
    check_tensor(input, op)
    if isinstance(dim, Tensor):
        if keepdim:
            raise TypeError(f"{op}(): 'keepdim' goes with an int dim, not with a tensor 'other'")
        return maximum(input, dim) if largest else minimum(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}(): 'keepdim' needs a 'dim' (torch has no {op}(input, keepdim=True))")
        _check_dims(op, input, (), False, RuntimeError)
        return Extremum.apply(input, tuple(range(input.ndim)), False, largest, True)
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int or Tensor, not {type(dim).__name__}")
    dim = wrap_dim(dim, input.ndim)
    if input.ndim:
        _check_dims(op, input, (dim,), True, RuntimeError)
    values, indices = ExtremumWithIndex.apply(input, dim, keepdim, largest)
    return MaxResult(values, indices) if largest else MinResult(values, indices)


def max(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices) along dim;
    ``max(x, other)``: the elementwise maximum."""
    return _max_or_min("max", input, dim, keepdim, True)


def min(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``min(x)``: the smallest value; ``min(x, dim)``: (values, indices) along dim;
    ``min(x, other)``: the elementwise minimum."""
    return _max_or_min("min", input, dim, keepdim, False)


def _arg(op: str, input: Tensor, dim: int | None, keepdim: bool, largest: bool) -> Tensor:
    """Index of the first extreme value along ``dim``, or in the flattened tensor when None."""
    check_tensor(input, op)
    if input.data.dtype.kind == "b":
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        _check_dims(op, input, (), False, IndexError)
        axis = None
    else:
        axis = wrap_dim(dim, input.ndim)
        _check_dims(op, input, (axis,) if input.ndim else (), True, IndexError)
        axis = axis if input.ndim else None
    return ArgExtremum.apply(input, axis, keepdim, largest)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum along ``dim`` (of the flattened tensor when None)."""
    return _arg("argmax", input, dim, keepdim, True)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first minimum along ``dim`` (of the flattened tensor when None)."""
    return _arg("argmin", input, dim, keepdim, False)


__all__ = ["amax", "amin", "max", "min", "argmax", "argmin"]
TENSOR_METHODS = ["amax", "amin", "max", "min", "argmax", "argmin"]
