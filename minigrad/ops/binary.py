"""Elementwise functions of two or three operands, with broadcasting and torch's promotion.

Either operand may be a Python number. When shapes broadcast, the gradient of an operand is the
incoming gradient summed back to that operand's shape (``sum_to_size``): a value used by many
output elements receives the sum of their gradients.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import broadcast_shapes, cast, check_number, promote


def _shape(value: Any) -> tuple[int, ...]:
    return value.shape if hasattr(value, "shape") else ()


def _unbroadcast(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The gradient of an operand of ``shape``: sum over the dimensions broadcasting added."""
    return grad if grad.shape == shape else grad.sum_to_size(shape)


def _check_shapes(a: Any, b: Any) -> None:
    """Refuse operands that do not broadcast, with torch's message."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.shape != b.data.shape:
        broadcast_shapes(a.data.shape, b.data.shape)


class Add(Function):
    """y = a + b    dy/da = 1, dy/db = 1"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.shapes = _shape(a), _shape(b)
        return ctx.backend.add(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a_shape, b_shape = ctx.shapes
        return (_unbroadcast(grad, a_shape) if ctx.needs_input_grad[0] else None,
                _unbroadcast(grad, b_shape) if ctx.needs_input_grad[1] else None)


class Sub(Function):
    """y = a - b    dy/da = 1, dy/db = -1"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.shapes = _shape(a), _shape(b)
        return ctx.backend.sub(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a_shape, b_shape = ctx.shapes
        return (_unbroadcast(grad, a_shape) if ctx.needs_input_grad[0] else None,
                _unbroadcast(-grad, b_shape) if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """y = a·b    dy/da = b, dy/db = a"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.backend.mul(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return (_unbroadcast(grad * b, _shape(a)) if ctx.needs_input_grad[0] else None,
                _unbroadcast(grad * a, _shape(b)) if ctx.needs_input_grad[1] else None)


class Div(Function):
    """y = a / b    dy/da = 1/b, dy/db = -a/b²"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.backend.div(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return (_unbroadcast(grad / b, _shape(a)) if ctx.needs_input_grad[0] else None,
                _unbroadcast(-grad * a / (b * b), _shape(b)) if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """y = aᵇ    dy/da = b·aᵇ⁻¹ (0 where b = 0), dy/db = aᵇ·ln a (0 where a = 0 and b ≥ 0)"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        y = ctx.backend.pow(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b, y = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, Tensor):
                grad_a = _unbroadcast((grad * (b * a.pow(b - 1))).masked_fill(b == 0, 0), a.shape)
            else:
                grad_a = grad * 0 if b == 0 else grad * (b * a.pow(b - 1))
        if ctx.needs_input_grad[1]:
            grad_b = grad * (y * (a.log() if isinstance(a, Tensor) else _log_number(a)))
            at_zero = (a == 0) & (b >= 0) if isinstance(a, Tensor) else (b >= 0) & (a == 0)
            grad_b = _unbroadcast(grad_b.masked_fill(at_zero, 0), b.shape)
        return grad_a, grad_b


def _log_number(value: float) -> float:
    """ln of a Python number, with ln 0 = -inf and nan below 0 (as for tensors)."""
    return math.log(value) if value > 0 else (-math.inf if value == 0 else math.nan)


class Maximum(Function):
    """y = max(a, b)    dy/da = 1 where a > b, ½ where a = b, else 0"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.backend.maximum(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return _split_ties(grad, a, b, a < b, a > b, ctx.needs_input_grad)


class Minimum(Function):
    """y = min(a, b)    dy/da = 1 where a < b, ½ where a = b, else 0"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.backend.minimum(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return _split_ties(grad, a, b, a > b, a < b, ctx.needs_input_grad)


def _split_ties(grad: Tensor, a: Tensor, b: Tensor, a_loses: Tensor, b_loses: Tensor,
                needs: tuple) -> tuple[Tensor | None, Tensor | None]:
    """The gradient goes to the operand that won, half to each on a tie (and all to both on nan)."""
    shared = where(a == b, grad / 2, grad)
    return (_unbroadcast(shared.masked_fill(a_loses, 0), a.shape) if needs[0] else None,
            _unbroadcast(shared.masked_fill(b_loses, 0), b.shape) if needs[1] else None)


class Where(Function):
    """y = a where cond else b    dy/da = cond, dy/db = not cond"""

    @staticmethod
    def forward(ctx: Function, cond: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(cond)
        ctx.shapes = _shape(a), _shape(b)
        return ctx.backend.where(cond, a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
        (cond,) = ctx.saved_tensors
        a_shape, b_shape = ctx.shapes
        return (None,
                _unbroadcast(grad.masked_fill(~cond, 0), a_shape) if ctx.needs_input_grad[1] else None,
                _unbroadcast(grad.masked_fill(cond, 0), b_shape) if ctx.needs_input_grad[2] else None)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` where the boolean ``mask`` (broadcast to input) is true."""
    if not isinstance(mask, Tensor) or mask.data.dtype.kind != "b":
        found = mask.dtype.name if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {found}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            "masked_fill only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    if broadcast_shapes(input.shape, mask.shape) != input.shape:
        raise RuntimeError(
            f"masked_fill: the mask of shape {list(mask.shape)} must be broadcastable to the "
            f"input of shape {list(input.shape)}"
        )
    if isinstance(value, Tensor):
        value = cast(value, input.dtype)
    elif input.data.dtype.kind != "f":
        value = Tensor(input._backend.full((), value, input.data.dtype), backend=input._backend)
    return Where.apply(mask, value, input)


class Clamp(Function):
    """y = min(max(x, low), high)    dy/dx = 1 where low ≤ x ≤ high (bounds included)

    A tensor bound receives the gradient where it is the one that wins.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, low: Any, high: Any) -> Any:
        ctx.save_for_backward(x, low, high)
        return ctx.backend.clip(x, low, high)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, low, high = ctx.saved_tensors
        inside = None
        if low is not None:
            inside = x >= low
        if high is not None:
            inside = (x <= high) if inside is None else inside & (x <= high)
        grad_x = grad.masked_fill(~inside, 0) if ctx.needs_input_grad[0] else None
        grad_low = grad_high = None
        if ctx.needs_input_grad[1]:
            wins = (x < low) & (low < high) if high is not None else x < low
            grad_low = _unbroadcast(grad.masked_fill(~wins, 0), low.shape)
        if ctx.needs_input_grad[2]:
            wins = (x > high) | (high < low) if low is not None else x > high
            grad_high = _unbroadcast(grad.masked_fill(~wins, 0), high.shape)
        return grad_x, grad_low, grad_high


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha·other, with broadcasting."""
    input, other = promote("add", input, other)
    if alpha != 1:
        other = other * alpha
    _check_shapes(input, other)
    return Add.apply(input, other)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha·other, with broadcasting."""
    input, other = promote("sub", input, other)
    if alpha != 1:
        other = other * alpha
    _check_shapes(input, other)
    return Sub.apply(input, other)


def mul(input: Any, other: Any) -> Tensor:
    """input·other, with broadcasting."""
    input, other = promote("mul", input, other)
    _check_shapes(input, other)
    return Mul.apply(input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (no gradient)."""
    input, other = promote("div", input, other)
    _check_shapes(input, other)
    if rounding_mode is None:
        if dtypes.result_type(input, other).category != dtypes.FLOAT:
            input, other = (cast(v, dtypes.DEFAULT_FLOAT) if isinstance(v, Tensor) else float(v)
                            for v in (input, other))
        return Div.apply(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    return RoundedDiv.apply(input, other, rounding_mode, dtypes.result_type(input, other))


class RoundedDiv(Function):
    """y = round(a / b) toward zero or -∞; piecewise constant, so its gradient is 0"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, mode: str, dtype: dtypes.dtype) -> Any:
        ctx.shapes = _shape(a), _shape(b)
        if mode == "floor":
            quotient = ctx.backend.floor_divide(a, b)
        else:
            quotient = ctx.backend.trunc(ctx.backend.div(a, b))
        return ctx.backend.astype(quotient, dtype.np)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple:
        a_shape, b_shape = ctx.shapes
        return (_unbroadcast(grad * 0, a_shape) if ctx.needs_input_grad[0] else None,
                _unbroadcast(grad * 0, b_shape) if ctx.needs_input_grad[1] else None, None, None)


def true_divide(input: Any, other: Any) -> Tensor:
    """input / other (the same as ``div``)."""
    return div(input, other)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """input ** exponent; either may be a number."""
    input, exponent = promote("pow", input, exponent)
    _check_shapes(input, exponent)
    return Pow.apply(input, exponent)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max of two tensors (nan wins); a tie sends half the gradient to each."""
    input, other = promote("maximum", input, other)
    _check_shapes(input, other)
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min of two tensors (nan wins); a tie sends half the gradient to each."""
    input, other = promote("minimum", input, other)
    _check_shapes(input, other)
    return Minimum.apply(input, other)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is true, ``other`` elsewhere."""
    if not isinstance(condition, Tensor) or condition.data.dtype.kind != "b":
        found = condition.dtype.name if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {found}")
    input, other = promote("where", input, other)
    for value in (input, other):
        if isinstance(value, Tensor):
            _check_shapes(condition, value)
    _check_shapes(input, other)
    return Where.apply(condition, input, other)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """min(max(x, min), max); bounds may be numbers or tensors, at least one is needed."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None:
            check_number(bound, "clamp", name)
    values = promote("clamp", input, *(b for b in (min, max) if b is not None))
    input = values[0]
    low = values[1] if min is not None else None
    high = values[-1] if max is not None else None
    for bound in (low, high):
        if isinstance(bound, Tensor):
            _check_shapes(input, bound)
    return Clamp.apply(input, low, high)


clip = clamp


def _compare(op: str, input: Any, other: Any) -> Tensor:
    input, other = promote(op, input, other)
    _check_shapes(input, other)
    return Compare.apply(input, other, op)


class Compare(Function):
    """y = (a op b) as bool; not differentiable"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, op: str) -> Any:
        return ctx.backend.compare(op, a, b)


def eq(input: Any, other: Any) -> Tensor:
    """input == other, elementwise."""
    return _compare("eq", input, other)


def ne(input: Any, other: Any) -> Tensor:
    """input != other, elementwise."""
    return _compare("ne", input, other)


def lt(input: Any, other: Any) -> Tensor:
    """input < other, elementwise."""
    return _compare("lt", input, other)


def le(input: Any, other: Any) -> Tensor:
    """input <= other, elementwise."""
    return _compare("le", input, other)


def gt(input: Any, other: Any) -> Tensor:
    """input > other, elementwise."""
    return _compare("gt", input, other)


def ge(input: Any, other: Any) -> Tensor:
    """input >= other, elementwise."""
    return _compare("ge", input, other)


class Logical(Function):
    """y = a and/or b, or not a, as bool; not differentiable"""

    @staticmethod
    def forward(ctx: Function, op: str, a: Any, b: Any = None) -> Any:
        if op == "not":
            return ctx.backend.logical_not(a)
        return ctx.backend.logical_and(a, b) if op == "and" else ctx.backend.logical_or(a, b)


def logical_and(input: Tensor, other: Any) -> Tensor:
    """input and other, elementwise, as bool."""
    _check_shapes(input, other)
    return Logical.apply("and", input, other)


def logical_or(input: Tensor, other: Any) -> Tensor:
    """input or other, elementwise, as bool."""
    _check_shapes(input, other)
    return Logical.apply("or", input, other)


def logical_not(input: Tensor) -> Tensor:
    """not input, elementwise, as bool."""
    return Logical.apply("not", input)


__all__ = ["add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "where",
           "masked_fill", "clamp", "clip", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
           "logical_or", "logical_not"]
TENSOR_METHODS = [name for name in __all__ if name != "where"]
