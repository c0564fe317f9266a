"""Joining and splitting: ``cat``, ``stack``, and their inverses ``split``, ``chunk``, ``unbind``.

Joining copies the inputs side by side into fresh memory; its backward cuts the gradient back into
the pieces each input contributed. Splitting returns views (``narrow``/``select``), so its backward
is theirs: the piece's gradient written back into zeros at its place.
"""

from __future__ import annotations

from typing import Any, Sequence

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import cast, wrap_dim
from .index import narrow, select


def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    """Refuse anything but a non-empty sequence of Tensors, with torch's errors."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not {type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


class Cat(Function):
    """y = [x₁ x₂ … xₙ] along dim    dL/dxᵢ = the slice of dL/dy where xᵢ sits"""

    @staticmethod
    def forward(ctx: Function, dim: int, *xs: Any) -> Any:
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return ctx.backend.concatenate(xs, dim)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        pieces = split(grad, ctx.sizes, ctx.dim)
        return (None,) + tuple(p if need else None for p, need in zip(pieces, ctx.needs_input_grad[1:]))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along the existing dim ``dim``; sizes must match along the others."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    joined = [t for t in tensors if t.shape != (0,)] or tensors[:1]  # torch skips legacy empty 1-D
    for i, t in enumerate(joined):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    first = joined[0]
    d = wrap_dim(dim, first.ndim)
    for i, t in enumerate(joined):
        if t.ndim != first.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {first.ndim} and {t.ndim}"
            )
        for k, (n, m) in enumerate(zip(first.shape, t.shape)):
            if k != d and n != m:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {n} but "
                    f"got size {m} for tensor number {i} in the list."
                )
    target = dtypes.result_type(*tensors)
    return Cat.apply(d, *[cast(t, target) for t in joined])


concat = concatenate = cat


class Stack(Function):
    """y[…, i, …] = xᵢ along a new dim    dL/dxᵢ = dL/dy selected at i"""

    @staticmethod
    def forward(ctx: Function, dim: int, *xs: Any) -> Any:
        ctx.dim = dim
        return ctx.backend.stack(xs, dim)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        pieces = unbind(grad, ctx.dim)
        return (None,) + tuple(p if need else None for p, need in zip(pieces, ctx.needs_input_grad[1:]))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new dim ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first.shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    target = dtypes.result_type(*tensors)
    return Stack.apply(wrap_dim(dim, first.ndim + 1), *[cast(t, target) for t in tensors])


def _split_sizes(size: int, split_size_or_sections: int | Sequence[int], dim: int) -> list[int]:
    """The length of each piece, checked as torch checks it."""
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0:
            if size:
                raise RuntimeError(
                    f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
                )
            return [0]
        return [min(step, size - start) for start in range(0, size, step)] or [0]
    sizes = [int(n) for n in split_size_or_sections]
    if any(n < 0 for n in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes}"
        )
    if sum(sizes) != size:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
            f"dimension {dim}), but got split_sizes={sizes}"
        )
    return sizes


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Views of consecutive pieces along ``dim``: each of one size (the last may be shorter), or of
    the given sizes."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor.ndim)
    pieces, start = [], 0
    for n in _split_sizes(tensor.shape[d], split_size_or_sections, d):
        pieces.append(narrow(tensor, d, start, n))
        start += n
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of equal length along ``dim`` (the last may be shorter)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if size == 0:
        return split(input, [0] * chunks, d)
    return split(input, -(-size // chunks), d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The views ``input.select(dim, i)`` for every i."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.ndim)
    return tuple(select(input, d, i) for i in range(input.shape[d]))


__all__ = ["cat", "concat", "concatenate", "stack", "split", "chunk", "unbind"]
TENSOR_METHODS = ["split", "chunk", "unbind"]
