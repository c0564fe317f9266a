"""Shape ops: the same elements seen with another shape or another order of dims.

Most are *views*: the output shares memory (and the version counter) with the input, so nothing is
copied, and their backward just undoes the change of shape on the gradient.
"""

from __future__ import annotations

from typing import Any, Sequence

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import check_tensor, wrap_dim, wrap_dims


def _sizes(sizes: tuple, op: str = "") -> tuple:
    """Accept ``f(2, 3)`` as well as ``f((2, 3))``, as torch does (``f()`` is refused)."""
    if op and not sizes:
        raise TypeError(f"{op}() missing 1 required positional argument: 'shape'")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        return tuple(sizes[0])
    return tuple(sizes)


def infer_shape(shape: Sequence[int], numel: int) -> tuple[int, ...]:
    """``shape`` with its one -1 replaced so that it holds ``numel`` elements, or torch's error."""
    shape = tuple(int(n) for n in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for i, n in enumerate(shape):
        if n != -1:
            if n < 0:
                raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
            known *= n
    if -1 in shape:
        if known == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class View(Function):
    """y = x with another shape, sharing memory    dL/dx = dL/dy reshaped back"""

    is_view = True

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        return ctx.backend.reshape_view(x, shape)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return grad.reshape(ctx.shape), None


class Reshape(Function):
    """y = a copy of x with another shape (when no view exists)    dL/dx = dL/dy reshaped back"""

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        return ctx.backend.reshape(x, shape)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return grad.reshape(ctx.shape), None


class Permute(Function):
    """y = x with its dims reordered (a view)    dL/dx = dL/dy with the inverse order"""

    is_view = True

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        return ctx.backend.transpose(x, dims)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        inverse = [0] * len(ctx.dims)
        for position, d in enumerate(ctx.dims):
            inverse[d] = position
        return grad.permute(inverse), None


def view(input: Tensor, *shape: Any) -> Tensor:
    """The same memory with another shape; refused when the strides do not allow it."""
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise NotImplementedError("view(dtype): minigrad does not reinterpret a tensor's bytes")
    shape = infer_shape(_sizes(shape, "view"), check_tensor(input, "view").numel())
    try:
        return View.apply(input, shape)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``input`` with another shape: a view when the strides allow it, else a copy."""
    shape = infer_shape(_sizes(shape, "reshape"), check_tensor(input, "reshape").numel())
    try:
        return View.apply(input, shape)
    except ValueError:
        return Reshape.apply(input, shape)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` viewed with ``other``'s shape."""
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` reshaped to ``other``'s shape."""
    return reshape(input, other.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` to ``end_dim`` into one (a 0-dim tensor becomes 1-dim)."""
    check_tensor(input, "flatten")
    if input.ndim == 0:
        return reshape(input, (1,))
    start, end = wrap_dim(start_dim, input.ndim), wrap_dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    shape = input.shape
    merged = 1
    for n in shape[start:end + 1]:
        merged *= n
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def permute(input: Tensor, *dims: Any) -> Tensor:
    """A view with the dims in the order ``dims``."""
    dims = _sizes(dims)
    if len(dims) != check_tensor(input, "permute").ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    wrapped = tuple(wrap_dim(d, input.ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, wrapped)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dims ``dim0`` and ``dim1`` swapped."""
    ndim = check_tensor(input, "transpose").ndim
    d0, d1 = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    order = list(range(ndim))
    if ndim:
        order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(input, tuple(order))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix (0-dim and 1-dim tensors are returned as they are)."""
    if check_tensor(input, "t").ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else Permute.apply(input, tuple(range(input.ndim)))


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Remove dims of size 1 (all of them, or those of ``dim`` that have size 1)."""
    shape = check_tensor(input, "squeeze").shape
    dims = wrap_dims(dim, input.ndim)
    kept = tuple(n for d, n in enumerate(shape) if not (d in dims and n == 1))
    return view(input, kept)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (which may be ``input.dim()``)."""
    d = wrap_dim(dim, check_tensor(input, "unsqueeze").ndim + 1)
    shape = input.shape
    return view(input, shape[:d] + (1,) + shape[d:])


class Clone(Function):
    """y = a copy of x in fresh memory    dL/dx = dL/dy"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return ctx.backend.copy(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        return grad


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` in fresh (contiguous) memory, still in the graph."""
    if memory_format is not None:
        raise NotImplementedError("clone(memory_format=...): minigrad copies to row-major order only")
    return Clone.apply(check_tensor(input, "clone"))


def contiguous(input: Tensor) -> Tensor:
    """``input`` itself when its memory is row-major without gaps, else a contiguous copy."""
    return input if input.is_contiguous() else Clone.apply(input)


__all__ = ["view", "reshape", "view_as", "reshape_as", "flatten", "permute", "transpose",
           "swapaxes", "swapdims", "t", "squeeze", "unsqueeze", "clone", "contiguous"]
TENSOR_METHODS = __all__
