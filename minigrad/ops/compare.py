"""Comparisons, logical and bitwise ops: results that are not differentiable.

Comparisons give bool tensors; torch's ``&``, ``|``, ``^`` and ``~`` are *bitwise* (on bool
tensors that is the same as logical), while ``logical_and`` and friends treat any non-zero as true.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import check_broadcast, check_tensor, operands, promote


class Compare(Function):
    """y = (a op b) as bool, op in eq ne lt le gt ge"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, op: str) -> Any:
        return ctx.backend.compare(op, a, b)


def _compare(op: str, input: Any, other: Any) -> Tensor:
    input, other = operands(op, input, other)
    return Compare.apply(input, other, op)


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


def isnan(input: Tensor) -> Tensor:
    """Where ``input`` is nan (the one value not equal to itself)."""
    return check_tensor(input, "isnan") != input


def isinf(input: Tensor) -> Tensor:
    """Where ``input`` is +inf or -inf."""
    return check_tensor(input, "isinf").abs() == math.inf


def isfinite(input: Tensor) -> Tensor:
    """Where ``input`` is neither nan nor ±inf."""
    return check_tensor(input, "isfinite").abs() < math.inf


class Logical(Function):
    """y = a and/or/xor b, or not a (non-zero is true), as bool"""

    @staticmethod
    def forward(ctx: Function, op: str, a: Any, b: Any = None) -> Any:
        if op == "not":
            return ctx.backend.logical_not(a)
        return ctx.backend.logical(op, a, b)


def _logical(op: str, input: Tensor, other: Tensor) -> Tensor:
    check_tensor(input, f"logical_{op}")
    check_tensor(other, f"logical_{op}", "other")
    check_broadcast(input, other)
    return Logical.apply(op, input, other)


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    """input and other, elementwise, as bool."""
    return _logical("and", input, other)


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    """input or other, elementwise, as bool."""
    return _logical("or", input, other)


def logical_xor(input: Tensor, other: Tensor) -> Tensor:
    """input xor other, elementwise, as bool."""
    return _logical("xor", input, other)


def logical_not(input: Tensor) -> Tensor:
    """not input, elementwise, as bool."""
    return Logical.apply("not", check_tensor(input, "logical_not"))


class Bitwise(Function):
    """y = a &, |, ^ b bit by bit, or ~a (integers and bools only)"""

    @staticmethod
    def forward(ctx: Function, op: str, a: Any, b: Any = None) -> Any:
        if op == "not":
            return ctx.backend.bitwise_not(a)
        return ctx.backend.bitwise(op, a, b)


def _bitwise(op: str, input: Any, other: Any) -> Tensor:
    input, other = promote(f"bitwise_{op}", input, other)
    for value in (input, other):
        if isinstance(value, Tensor) and value.data.dtype.kind == "f":
            raise NotImplementedError(f"\"bitwise_{op}_cpu\" not implemented for '{value.dtype.name}'")
        if isinstance(value, float):
            raise NotImplementedError(f"\"bitwise_{op}_cpu\" not implemented for 'float32'")
    check_broadcast(input, other)
    return Bitwise.apply(op, input, other)


def bitwise_and(input: Any, other: Any) -> Tensor:
    """input & other (bit by bit; logical and on bool tensors)."""
    return _bitwise("and", input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:
    """input | other (bit by bit; logical or on bool tensors)."""
    return _bitwise("or", input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """input ^ other (bit by bit; logical xor on bool tensors)."""
    return _bitwise("xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:
    """~input (bit by bit; logical not on bool tensors)."""
    if check_tensor(input, "bitwise_not").data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return Bitwise.apply("not", input)


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_xor",
           "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"]
TENSOR_METHODS = __all__
