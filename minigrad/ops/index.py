"""Indexing: ``x[index]``, ``x[index] = value``, ``narrow``, ``select``, ``index_select``, ``gather``.

torch indexes in two steps, and so does minigrad:

1. *basic* indexing (ints, slices, None, ``...``) picks a strided window: a **view** that shares
   memory with ``x``;
2. *advanced* indexing (integer tensors or lists, boolean masks) then gathers elements into a
   **copy**, with NumPy's rules for several index arrays (they broadcast together; their result
   dims go where they stand when they are adjacent, else in front).

The backward of reading ``x[index]`` writes the gradient back into zeros at the same places; with
index arrays a position may be read several times, so the gradients there add up (scatter-add).
"""

from __future__ import annotations

import operator
from typing import Any

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import cast, check_tensor, wrap_dim, zeros_as

Index = tuple[tuple | None, tuple | None]  # (basic index or None, advanced index or None)

_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
              "valid indices (got {})")
_BAD_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"


def _convert(item: Any, backend: Any) -> Any:
    """One index item as torch reads it: None, ``...``, a slice, an int, or an index array."""
    if item is None or item is Ellipsis or isinstance(item, slice):
        return item
    if isinstance(item, Tensor):
        array = item.data
    elif isinstance(item, (bool, list, tuple)) or hasattr(item, "dtype"):
        array = backend.as_array(item)
        if array.dtype.kind == "f" and array.size == 0:
            array = backend.astype(array, dtypes.int64.np)
    else:
        try:
            return operator.index(item)
        except TypeError:
            raise IndexError(_BAD_INDEX.format(type(item).__name__)) from None
    if array.dtype.kind not in "iub":
        raise IndexError(_BAD_DTYPE)
    if array.dtype.kind != "b" and array.ndim == 0:
        return int(backend.to_numpy(array))
    return array


def _width(item: Any) -> int:
    """How many dims of the indexed tensor an index item consumes."""
    if item is None or item is Ellipsis:
        return 0
    if hasattr(item, "dtype") and item.dtype.kind == "b":
        return item.ndim
    return 1


def _bounds(array: Any, backend: Any) -> tuple[int, int]:
    """The smallest and largest value of a non-empty integer index array (for error messages)."""
    low, high = backend.amin(array, None, False), backend.amax(array, None, False)
    return int(backend.to_numpy(low)), int(backend.to_numpy(high))


def _check_array(array: Any, dim: int, shape: tuple[int, ...], backend: Any) -> Any:
    """Refuse an index array with a value out of range, or a mask of the wrong shape; returns
    the array to index with (``Backend.check_range``)."""
    if array.dtype.kind == "b":
        for j, n in enumerate(array.shape):
            if n != shape[dim + j]:
                raise IndexError(
                    f"The shape of the mask {list(array.shape)} at index {j} does not match the "
                    f"shape of the indexed tensor {list(shape)} at index {dim + j}"
                )
        return array
    size = shape[dim]

    def out_of_bounds() -> IndexError:
        low, high = _bounds(array, backend)
        return IndexError(
            f"index {high if high >= size else low} is out of bounds for dimension {dim} with size {size}"
        )
    return backend.check_range(array, -size, size, out_of_bounds)


def parse_index(shape: tuple[int, ...], index: Any, backend: Any) -> Index:
    """Split ``index`` into torch's two steps: a basic index (a view) and an advanced one."""
    items = [_convert(item, backend) for item in (index if isinstance(index, tuple) else (index,))]
    ndim = len(shape)
    consumed = sum(_width(item) for item in items)
    if consumed > ndim:
        if ndim == 0 and any(isinstance(item, int) for item in items):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    basic: list[Any] = []
    advanced: list[Any] = []
    dim = 0
    whole = True  # the basic step keeps every element in place (it can be skipped)
    for item in items:
        if item is Ellipsis:
            span = ndim - consumed
            basic += [slice(None)] * span
            advanced += [slice(None)] * span
            dim += span
        elif item is None:
            basic.append(None)
            advanced.append(slice(None))
            whole = False
        elif isinstance(item, int):
            size = shape[dim]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {size}")
            basic.append(item)
            dim += 1
            whole = False
        elif isinstance(item, slice):
            if item.step is not None and item.step <= 0:
                raise ValueError("step must be greater than zero" if item.step else "slice step cannot be zero")
            basic.append(item)
            advanced.append(slice(None))
            dim += 1
            whole = whole and item == slice(None)
        elif item.ndim == 0 and item.dtype.kind == "b":
            basic.append(None)  # x[True] adds a dim of size 1, x[False] empties it
            advanced.append(backend.reshape(item, (1,)))
            whole = False
        else:
            item = _check_array(item, dim, shape, backend)
            basic += [slice(None)] * _width(item)
            advanced.append(item)
            dim += _width(item)
    has_advanced = len(advanced) > sum(isinstance(a, slice) for a in advanced)
    basic_step = None if whole and has_advanced else tuple(basic) + (Ellipsis,)
    return basic_step, (tuple(advanced) if has_advanced else None)


def _index(x: Tensor, index: Index) -> Tensor:
    """``x[index]`` for a parsed index: the basic step, then the advanced one."""
    basic, advanced = index
    if basic is not None:
        x = BasicIndex.apply(x, basic)
    if advanced is not None:
        x = AdvancedIndex.apply(x, advanced)
    return x


class BasicIndex(Function):
    """y = x[ints, slices, None] (a view)    dL/dx = zeros with dL/dy written where y sits"""

    is_view = True

    @staticmethod
    def forward(ctx: Function, x: Any, index: tuple) -> Any:
        ctx.shape, ctx.index = x.shape, index
        return ctx.backend.getitem(x, index)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return IndexPut.apply(zeros_as(grad, ctx.shape), grad, (ctx.index, None), False), None


class AdvancedIndex(Function):
    """y = x[index arrays] (a copy)    dL/dx = zeros with dL/dy added at the indices (repeats add up)"""

    @staticmethod
    def forward(ctx: Function, x: Any, index: tuple) -> Any:
        ctx.shape, ctx.index = x.shape, index
        return ctx.backend.getitem(x, index)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return IndexPut.apply(zeros_as(grad, ctx.shape), grad, (None, ctx.index), True), None


class IndexPut(Function):
    """y = x with y[index] = v (or += v when accumulating)
    dL/dx = dL/dy (zero at index unless accumulating)    dL/dv = dL/dy[index] summed to v's shape"""

    @staticmethod
    def forward(ctx: Function, x: Any, value: Any, index: Index, accumulate: bool) -> Any:
        ctx.index, ctx.accumulate = index, accumulate
        ctx.value_shape = getattr(value, "shape", None)
        out = ctx.backend.copy(x)
        basic, advanced = index
        target = out if basic is None else ctx.backend.getitem(out, basic)
        where = Ellipsis if advanced is None else advanced
        if accumulate:
            ctx.backend.add_at(target, where, value)
        else:
            ctx.backend.setitem(target, where, value)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None, None]:
        grad_x = grad_value = None
        if ctx.needs_input_grad[0]:
            grad_x = grad if ctx.accumulate else IndexPut.apply(grad, 0.0, ctx.index, False)
        if ctx.needs_input_grad[1]:
            grad_value = _index(grad, ctx.index).sum_to_size(ctx.value_shape)
        return grad_x, grad_value, None, None


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``: a view for ints, slices, None and ``...``; a copy with index arrays."""
    return _index(input, parse_index(input.shape, index, input._backend))


def index_assign(input: Tensor, index: Any, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` (a number, or a tensor broadcast) written at ``index``."""
    parsed = parse_index(check_tensor(input, "setitem").shape, index, input._backend)
    value_shape = list(getattr(value, "shape", ()))
    if isinstance(value, Tensor):
        value = cast(value, input.dtype)
        if value.ndim and value.shape[0] == 1:  # torch drops leading 1-dims of the value
            lead = 0
            while lead < value.ndim and value.shape[lead] == 1:
                lead += 1
            value = value.reshape(value.shape[lead:])
    elif not isinstance(value, (int, float, bool)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {input.dtype.name} tensor")
    try:
        return IndexPut.apply(input, value, parsed, False)
    except ValueError:
        target = list(_index(input.detach(), parsed).shape)
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {value_shape} cannot be broadcast to "
            f"indexing result of shape {target}"
        ) from None


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view of ``length`` elements from ``start`` along ``dim``."""
    if check_tensor(input, "narrow").ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    size, start = input.shape[d], operator.index(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start % size if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return BasicIndex.apply(input, (slice(None),) * d + (slice(start, start + length), Ellipsis))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The view at position ``index`` of ``dim``, which disappears."""
    if check_tensor(input, "select").ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    size, index = input.shape[d], operator.index(index)
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}"
        )
    return BasicIndex.apply(input, (slice(None),) * d + (index, Ellipsis))


class IndexSelect(Function):
    """y = x at positions ``index`` along dim    dL/dx = zeros with dL/dy added at those positions"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int, index: Any) -> Any:
        ctx.shape, ctx.where = x.shape, (slice(None),) * dim + (index,)
        return ctx.backend.take(x, index, dim)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        return IndexPut.apply(zeros_as(grad, ctx.shape), grad, (None, ctx.where), True), None, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` at positions ``index`` (a vector of ints) along ``dim``."""
    check_tensor(input, "index_select")
    check_tensor(index, "index_select", "index")
    if index.data.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        if index.numel() != 1:
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)"
            )
        return index_select(input.reshape(1), 0, index).reshape(())
    size = input.shape[d]

    def out_of_range() -> Exception:
        low, high = _bounds(index.data, index._backend)
        if d == 1:  # torch's CPU kernel for dim 1 checks the range itself, with its own error
            return RuntimeError(
                f"INDICES element is out of DATA bounds, id={low if low < 0 else high} axis_dim={size}"
            )
        return IndexError("index out of range in self")
    positions = input._backend.check_range(index.data, 0, size, out_of_range)
    if index.ndim == 0:
        positions = input._backend.reshape(positions, (1,))
    return IndexSelect.apply(input, d, positions)


class Gather(Function):
    """y[i][j] = x[i][index[i][j]] (dim 1)    dL/dx = zeros with dL/dy scatter-added at index"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int, index: Any) -> Any:
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return ctx.backend.gather(x, dim, index)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        return ScatterAdd.apply(zeros_as(grad, ctx.shape), grad, ctx.dim, ctx.index), None, None


class ScatterAdd(Function):
    """y = x with y[i][index[i][j]] += s[i][j] (dim 1; s has index's shape)
    dL/dx = dL/dy    dL/ds = dL/dy gathered at index"""

    @staticmethod
    def forward(ctx: Function, x: Any, src: Any, dim: int, index: Any) -> Any:
        ctx.dim, ctx.index = dim, index
        out = ctx.backend.copy(x)
        ctx.backend.scatter_add(out, dim, index, src)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None, None]:
        grad_src = Gather.apply(grad, ctx.dim, ctx.index) if ctx.needs_input_grad[1] else None
        return grad if ctx.needs_input_grad[0] else None, grad_src, None, None


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` for dim 1 (likewise for other dims)."""
    check_tensor(input, "gather")
    check_tensor(index, "gather", "index")
    if index.data.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    d = wrap_dim(dim, input.ndim)
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if input.ndim == 0 or index.ndim == 0:
        return gather(input.reshape(-1), 0, index.reshape(-1)).reshape(index.shape)
    for k, (n, m) in enumerate(zip(index.shape, input.shape)):
        if k != d and n > m:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(index.shape)} to be no "
                f"larger than self {list(input.shape)} apart from dimension {d}"
            )
    size = input.shape[d]

    def out_of_bounds() -> RuntimeError:
        low, high = _bounds(index.data, index._backend)
        return RuntimeError(
            f"index {low if low < 0 else high} is out of bounds for dimension {d} with size {size}"
        )
    return Gather.apply(input, d, input._backend.check_range(index.data, 0, size, out_of_bounds))


__all__ = ["getitem", "narrow", "select", "index_select", "gather"]
TENSOR_METHODS = ["narrow", "select", "index_select", "gather"]
