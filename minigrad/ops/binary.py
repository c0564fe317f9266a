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
from ._util import cast, check_broadcast, check_number, check_tensor, operands, promote, zeros_as


def _shape(value: Any) -> tuple[int, ...]:
    return value.shape if hasattr(value, "shape") else ()


def _unbroadcast(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The gradient of an operand of ``shape``: sum over the dimensions broadcasting added."""
    return grad if grad.data.shape == shape else grad.sum_to_size(shape)


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
    """y = a / b    dy/da = 1/b, dy/db = -(a/b)/b"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.backend.div(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return (_unbroadcast(grad / b, _shape(a)) if ctx.needs_input_grad[0] else None,
                _unbroadcast(-grad * ((a / b) / b), _shape(b)) if ctx.needs_input_grad[1] else None)


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
                grad_a = zeros_as(grad) if b == 0 else grad * (b * a.pow(b - 1))
        if ctx.needs_input_grad[1]:
            if isinstance(a, Tensor):
                local = (y * a.log()).masked_fill((a == 0) & (b >= 0), 0)
            else:
                local = y * _log_number(a)
                local = local.masked_fill(b >= 0, 0) if a == 0 else local
            grad_b = _unbroadcast(grad * local, b.shape)
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
    check_broadcast(mask, input)
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
        grad_x = _unbroadcast(grad.masked_fill(~inside, 0), x.shape) if ctx.needs_input_grad[0] else None
        grad_low = grad_high = None
        if ctx.needs_input_grad[1]:
            wins = (x < low) & (low < high) if high is not None else x < low
            grad_low = _unbroadcast(grad.masked_fill(~wins, 0), low.shape)
        if ctx.needs_input_grad[2]:
            wins = (x > high) | (high < low) if low is not None else x > high
            grad_high = _unbroadcast(grad.masked_fill(~wins, 0), high.shape)
        return grad_x, grad_low, grad_high


def _scaled(input: Any, other: Any, alpha: Any) -> Any:
    """alpha·other, with torch's rules on alpha: no float alpha for integers, bool only for bool."""
    category = dtypes.result_type(input, other).category
    if category != dtypes.FLOAT and isinstance(alpha, float):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if category != dtypes.BOOL and isinstance(alpha, bool):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    return other * (bool(alpha) if category == dtypes.BOOL else alpha)


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha·other, with broadcasting."""
    input, other = operands("add", input, other)
    if type(alpha) is not int or alpha != 1:
        other = _scaled(input, other, alpha)
    return Add.apply(input, other)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha·other, with broadcasting (refused on bool, as in torch)."""
    if _is_bool(input) or _is_bool(other):
        bools = [_is_bool(v) for v in (input, other)]
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
            "`logical_xor()` operator instead." if all(bools) else
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    input, other = operands("sub", input, other)
    if type(alpha) is not int or alpha != 1:
        other = _scaled(input, other, alpha)
    return Sub.apply(input, other)


def _is_bool(value: Any) -> bool:
    """Whether an operand is a bool tensor or a Python bool."""
    return value.data.dtype.kind == "b" if isinstance(value, Tensor) else isinstance(value, bool)


def mul(input: Any, other: Any) -> Tensor:
    """input·other, with broadcasting."""
    input, other = operands("mul", input, other)
    return Mul.apply(input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (no gradient)."""
    input, other = operands("div", input, other)
    if rounding_mode is None:
        tensor = input if isinstance(input, Tensor) else other  # both tensors share one dtype now
        if tensor.data.dtype.kind != "f":
            input, other = (cast(v, dtypes.DEFAULT_FLOAT) if isinstance(v, Tensor) else float(v)
                            for v in (input, other))
        return Div.apply(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    dtype = dtypes.result_type(input, other)
    if dtype.category == dtypes.BOOL:
        raise NotImplementedError(f"\"div_{rounding_mode}_cpu\" not implemented for 'Bool'")
    if dtype.category == dtypes.INT and _has_zero(other):
        raise RuntimeError("ZeroDivisionError")
    return RoundedDiv.apply(input, other, rounding_mode, dtype)


def _has_zero(value: Any) -> bool:
    """Whether a number is 0 or a tensor holds a 0."""
    if not isinstance(value, Tensor):
        return value == 0
    return bool(value._backend.any(value._backend.compare("eq", value.data, 0)))


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
        return (zeros_as(grad, a_shape) if ctx.needs_input_grad[0] else None,
                zeros_as(grad, b_shape) if ctx.needs_input_grad[1] else None, None, None)


class FloorDivide(Function):
    """y = ⌊a / b⌋, the ``//`` operator; torch defines no derivative for it"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        return ctx.backend.floor_divide(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple:
        raise RuntimeError("derivative for floor_divide is not implemented")


def floor_divide(input: Any, other: Any) -> Tensor:
    """⌊input / other⌋ (``//``): like ``div(rounding_mode='floor')`` but not differentiable."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("floor_divide(): argument 'input' must be Tensor")
    dtype = dtypes.result_type(input, other)
    if dtype.category == dtypes.BOOL:
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    input, other = operands("floor_divide", input, other)
    if dtype.category == dtypes.INT and _has_zero(other):
        raise RuntimeError("ZeroDivisionError")
    return FloorDivide.apply(input, other)


def true_divide(input: Any, other: Any) -> Tensor:
    """input / other (the same as ``div``)."""
    return div(input, other)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """input ** exponent; either may be a number."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(
            f"pow(): expected a Tensor as base or exponent, got {type(input).__name__} and "
            f"{type(exponent).__name__}"
        )
    input, exponent = promote("pow", input, exponent)
    dtype = dtypes.result_type(input, exponent)
    if dtype.category == dtypes.BOOL:
        if isinstance(exponent, Tensor):
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return cast(pow(cast(input, dtypes.int64), exponent), dtypes.bool_)
    if dtype.category == dtypes.INT and type(exponent) is int and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    check_broadcast(input, exponent)
    return Pow.apply(input, exponent)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max of two tensors (nan wins); a tie sends half the gradient to each."""
    check_tensor(input, "maximum")
    check_tensor(other, "maximum", "other")
    input, other = operands("maximum", input, other)
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min of two tensors (nan wins); a tie sends half the gradient to each."""
    check_tensor(input, "minimum")
    check_tensor(other, "minimum", "other")
    input, other = operands("minimum", input, other)
    return Minimum.apply(input, other)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is true, ``other`` elsewhere."""
    if not isinstance(condition, Tensor) or condition.data.dtype.kind != "b":
        found = condition.dtype.name if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {found}")
    input, other = promote("where", input, other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        dtype = dtypes.result_type(input, other).np
        input = Tensor(condition._backend.full((), input, dtype), backend=condition._backend)
    for value in (input, other):
        if isinstance(value, Tensor):
            check_broadcast(condition, value)
    check_broadcast(input, other)
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
            check_broadcast(input, bound)
    return Clamp.apply(input, low, high)


clip = clamp


__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "pow", "maximum",
           "minimum", "where", "masked_fill", "clamp", "clip"]
TENSOR_METHODS = [name for name in __all__ if name != "where"]
