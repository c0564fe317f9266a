"""Small helpers shared by the ops: argument checks, dims, promotion, broadcasting shapes."""

from __future__ import annotations

from typing import Any, Sequence

from .. import dtypes
from ..tensor import Tensor
from .convert import Cast


def check_tensor(value: Any, op: str, argument: str = "input") -> Tensor:
    """Refuse a non-Tensor where torch wants a Tensor, with torch's TypeError."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{argument}' must be Tensor, not {type(value).__name__}")
    return value


def check_number(value: Any, op: str, argument: str) -> None:
    """Refuse anything but a Tensor or a Python number as an operand."""
    if not isinstance(value, (Tensor, int, float, bool)):
        raise TypeError(
            f"{op}(): argument '{argument}' must be Tensor or Number, not {type(value).__name__}"
        )


def wrap_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index (a 0-dim tensor accepts -1 and 0)."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})"
        )
    return dim % max(ndim, 1)


def wrap_dims(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """All dims when None, else each dim wrapped; a repeated dim is refused as torch does."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    wrapped = tuple(wrap_dim(d, ndim) for d in dims)
    for d in set(wrapped):
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(d for d in wrapped if ndim > 0)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """The shape all ``shapes`` broadcast to, or torch's RuntimeError naming the sizes."""
    ndim = max(len(s) for s in shapes)
    result = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, start=ndim - len(shape)):
            if size != result[i]:
                if result[i] != 1 and size != 1:
                    raise RuntimeError(
                        f"The size of tensor a ({result[i]}) must match the size of tensor b "
                        f"({size}) at non-singleton dimension {i}"
                    )
                result[i] = size if size != 1 else result[i]
    return tuple(result)


def promote(op: str, *operands: Any) -> tuple[Any, ...]:
    """Cast the tensor operands to torch's result dtype; Python numbers are left as they are."""
    if len(operands) == 2:
        first, other = operands
        first_is_tensor, other_is_tensor = isinstance(first, Tensor), isinstance(other, Tensor)
        if first_is_tensor and other_is_tensor:
            if first.data.dtype == other.data.dtype:
                return operands
        elif first_is_tensor and type(other) in (float, int) and first.data.dtype.kind == "f":
            return operands
        elif other_is_tensor and type(first) in (float, int) and other.data.dtype.kind == "f":
            return operands
    for position, value in enumerate(operands):
        check_number(value, op, "input" if position == 0 else "other")
    target = dtypes.result_type(*operands)
    return tuple(cast(v, target) if isinstance(v, Tensor) else v for v in operands)


def check_broadcast(a: Any, b: Any) -> None:
    """Refuse two tensors whose shapes do not broadcast, with torch's message."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.shape != b.data.shape:
        broadcast_shapes(a.data.shape, b.data.shape)


def operands(op: str, input: Any, other: Any) -> tuple[Any, Any]:
    """The two operands of a binary op, promoted to torch's result dtype and checked to broadcast
    (two tensors of the same dtype and shape, the common case, pass straight through)."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        a, b = input.data, other.data
        if a.dtype == b.dtype and a.shape == b.shape:
            return input, other
    input, other = promote(op, input, other)
    check_broadcast(input, other)
    return input, other


def to_float(tensor: Tensor) -> Tensor:
    """Integer and bool tensors become float32 (what torch does for exp, log, sqrt...)."""
    return tensor if tensor.data.dtype.kind == "f" else cast(tensor, dtypes.DEFAULT_FLOAT)


def cast(tensor: Tensor, dtype: dtypes.dtype) -> Tensor:
    """``tensor`` converted to ``dtype`` (itself when it already has it); differentiable."""
    if tensor.data.dtype == dtype.np:
        return tensor
    return Cast.apply(tensor, dtype)


def zeros_as(like: Tensor, shape: tuple[int, ...] | None = None) -> Tensor:
    """A constant tensor of zeros with ``like``'s dtype and backend (and shape, unless given):
    torch's ``zeros_like`` in a derivative that is 0, which stays 0 where ``grad·0`` would give
    nan (an inf or nan gradient)."""
    shape = like.data.shape if shape is None else shape
    return Tensor(like._backend.zeros(shape, like.data.dtype), backend=like._backend)
