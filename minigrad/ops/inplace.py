"""In-place operations: ``x.add_(y)`` writes the result into ``x``'s own memory.

An in-place op is computed as its out-of-place twin and then written back, so it needs no
derivative of its own. Three rules keep autograd correct, as in torch:

* a leaf that requires grad (or a view of one) may not change in place while recording — its
  ``.grad`` would no longer be the gradient of the value used;
* each change bumps the version counter shared by the tensor and its views, so a backward that
  saved the old values refuses to run (``Function.saved_tensors`` checks the versions);
* while recording, the tensor takes over the twin's ``grad_fn``: from then on it *is* the result,
  and the graph behind it starts from a snapshot of its old value.
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd import grad_mode
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import broadcast_shapes, check_number
from .binary import add, clamp, div, mul, sub
from .index import index_assign


def check_inplace(tensor: Tensor) -> None:
    """Refuse an in-place change of a leaf that requires grad (or of a view of one)."""
    if not grad_mode._enabled:
        return
    if tensor.grad_fn is None and tensor._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = tensor._base
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def apply_inplace(tensor: Tensor, compute: Callable[[Tensor], Tensor], *operands: Any) -> Tensor:
    """Write ``compute(tensor)`` into ``tensor``'s memory; bump its version; keep autograd right.

    ``operands`` are the other values ``compute`` uses: when one of them requires grad, the graph
    may save the old value of ``tensor``, so it gets a snapshot even if it needs no gradient itself.
    """
    check_inplace(tensor)
    record = grad_mode._enabled
    source = tensor
    if record and (tensor._requires_grad or _any_requires_grad(operands)):
        source = _snapshot(tensor)
    result = compute(source)
    if result.data.shape != tensor.data.shape:
        raise RuntimeError(
            f"output with shape {list(tensor.shape)} doesn't match the broadcast shape "
            f"{list(broadcast_shapes(tensor.shape, result.shape))}"
        )
    if result.data.dtype != tensor.data.dtype and result.dtype.category > tensor.dtype.category:
        raise RuntimeError(
            f"result type {result.dtype.name} can't be cast to the desired output type {tensor.dtype.name}"
        )
    if record and result._requires_grad:
        if tensor._base is not None:
            raise NotImplementedError(
                "minigrad does not record in-place operations on a view of a tensor while "
                "recording a graph (torch's CopySlices); write x = x.op(...) instead"
            )
        tensor.grad_fn, tensor._output_nr = result.grad_fn, result._output_nr
        tensor._requires_grad = True
    tensor._backend.assign(tensor.data, result.data)
    tensor._version_counter.value += 1
    return tensor


def _snapshot(tensor: Tensor) -> Tensor:
    """A copy of ``tensor`` that stands for its value before the change, in the same graph."""
    old = Tensor(tensor._backend.copy(tensor.data), tensor._requires_grad, tensor._backend)
    old.grad_fn, old._output_nr = tensor.grad_fn, tensor._output_nr
    return old


def _any_requires_grad(values: tuple) -> bool:
    """Whether one of ``values`` is a tensor that requires grad."""
    return any(isinstance(v, Tensor) and v._requires_grad for v in values)


class Copy(Function):
    """y = src broadcast to x's shape, in x's dtype    dy/dx = 0, dy/dsrc = 1 (summed over copies)

    The old value of x is thrown away, so no gradient reaches it (``zero_``, ``fill_``, ``copy_``).
    """

    @staticmethod
    def forward(ctx: Function, x: Any, src: Any) -> Any:
        if not hasattr(src, "shape"):
            return ctx.backend.full(x.shape, src, x.dtype)
        ctx.src_shape = src.shape
        shape = broadcast_shapes(x.shape, src.shape)
        return ctx.backend.astype(ctx.backend.broadcast_to(src, shape), x.dtype)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        grad_x = Tensor(ctx.backend.zeros(grad.shape, grad.data.dtype), backend=ctx.backend)
        return (grad_x if ctx.needs_input_grad[0] else None,
                grad.sum_to_size(ctx.src_shape) if ctx.needs_input_grad[1] else None)


def add_(input: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """input += alpha·other, in place."""
    return apply_inplace(input, lambda t: add(t, other, alpha=alpha), other)


def sub_(input: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """input -= alpha·other, in place."""
    return apply_inplace(input, lambda t: sub(t, other, alpha=alpha), other)


def mul_(input: Tensor, other: Any) -> Tensor:
    """input *= other, in place."""
    return apply_inplace(input, lambda t: mul(t, other), other)


def div_(input: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input /= other, in place (``rounding_mode`` as in ``div``)."""
    return apply_inplace(input, lambda t: div(t, other, rounding_mode=rounding_mode), other)


def clamp_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """input = min(max(input, min), max), in place."""
    return apply_inplace(input, lambda t: clamp(t, min, max), min, max)


clip_ = clamp_


def zero_(input: Tensor) -> Tensor:
    """Every element of input becomes 0."""
    return apply_inplace(input, lambda t: Copy.apply(t, 0))


def fill_(input: Tensor, value: Any) -> Tensor:
    """Every element of input becomes ``value`` (a number or a 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
    else:
        check_number(value, "fill_", "value")
    return apply_inplace(input, lambda t: Copy.apply(t, value), value)


def copy_(input: Tensor, src: Any) -> Tensor:
    """input takes the values of ``src``, broadcast to its shape and cast to its dtype (and moved
    to its backend: ``copy_`` is the one op that takes a tensor from another device, as in torch)."""
    check_number(src, "copy_", "other")
    if isinstance(src, Tensor) and src._backend is not input._backend:
        src = src.to(input.device)
    return apply_inplace(input, lambda t: Copy.apply(t, src), src)


def setitem_(input: Tensor, index: Any, value: Any) -> Tensor:
    """input[index] = value, in place: a number, or a tensor broadcast to the indexed shape."""
    return apply_inplace(input, lambda t: index_assign(t, index, value))


__all__ = ["add_", "sub_", "mul_", "div_", "clamp_", "clip_", "zero_", "fill_", "copy_"]
TENSOR_METHODS = list(__all__)
__all__ += ["setitem_"]  # Tensor.__setitem__ calls it; torch has no method of that name
