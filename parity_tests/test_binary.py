"""Binary and ternary elementwise ops against torch: values, gradients, dtypes, errors.

Operands are drawn with shapes that broadcast together (0-dim tensors and size-0 dims included),
in float32 and float64, with non-contiguous layouts, and pinned to each op's special points: ties
for maximum/minimum, zeros for pow's base, values exactly at clamp's bounds. Python numbers (int,
float, bool) appear on either side, and ``check_op`` compares the result dtype with torch's, so
the type-promotion rules are tested with the values.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from .helpers import assert_close, check_op, expect_torch_error
from .strategies import arrays, broadcastable_shapes, float_dtypes, layouts, seeds, tied_arrays

# name: (domain of a, domain of b) as (low, high, special points)
BINARY = {
    "add": ((-3, 3, [0.0]), (-3, 3, [0.0])),
    "sub": ((-3, 3, [0.0]), (-3, 3, [0.0])),
    "mul": ((-3, 3, [0.0]), (-3, 3, [0.0])),
    "div": ((-3, 3, [0.0]), (0.5, 3, [1.0])),
    "true_divide": ((-3, 3, [0.0]), (0.5, 3, [1.0])),
    "pow": ((0.1, 3, [0.0, 1.0]), (-2, 2, [0.0, 1.0, 2.0])),
}


def _draw_pair(data: st.DataObject, dtype_a: type, dtype_b: type,
               domains: tuple | None = None) -> tuple[list[np.ndarray], list[str]]:
    """Two arrays of broadcastable shapes (values in ``domains``, else tied) and their layouts."""
    shape_a, shape_b = data.draw(broadcastable_shapes(2), label="shapes")
    if domains is None:
        a, b = data.draw(tied_arrays(dtype_a, shape_a)), data.draw(tied_arrays(dtype_b, shape_b))
    else:
        (low_a, high_a, special_a), (low_b, high_b, special_b) = domains
        a = data.draw(arrays(dtype_a, shape_a, low_a, high_a, special_a), label="a")
        b = data.draw(arrays(dtype_b, shape_b, low_b, high_b, special_b), label="b")
    return [a, b], [data.draw(layouts, label="layout a"), data.draw(layouts, label="layout b")]


def _grad_n(shapes: list[tuple[int, ...]]) -> int:
    """How many output elements a broadcast operand's gradient adds up (the most of any operand)."""
    out = np.broadcast_shapes(*shapes)
    return max(int(np.prod(out)) // max(int(np.prod(s)), 1) for s in shapes)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_binary(backend: str, name: str, data: st.DataObject, dtype: type, seed: int) -> None:
    operands, chosen = _draw_pair(data, dtype, dtype, BINARY[name])
    check_op(getattr(minigrad, name), getattr(torch, name), operands, seed=seed, layouts=chosen,
             grad_family="reduction", grad_n=_grad_n([x.shape for x in operands]))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_maximum_minimum_ties(backend: str, name: str, data: st.DataObject, dtype: type,
                              seed: int) -> None:
    """Values drawn from a few numbers tie often: a tie sends half the gradient to each side."""
    operands, chosen = _draw_pair(data, dtype, dtype)
    check_op(getattr(minigrad, name), getattr(torch, name), operands, seed=seed, layouts=chosen,
             grad_family="reduction", grad_n=_grad_n([x.shape for x in operands]))


def test_pow_at_zero_base(backend: str) -> None:
    """0 ** b: the gradient for b is 0 where b ≥ 0; for the base, b·0^(b-1) (inf below 1)."""
    a = np.array([0.0, 0.0, 0.0, 0.0, 2.0])
    b = np.array([0.0, 0.5, 1.0, 2.0, 0.0])
    check_op(minigrad.pow, torch.pow, [a, b], seed=1)
    check_op(lambda e: 0.0 ** e, lambda e: 0.0 ** e, [b], seed=2)
    check_op(lambda x: x ** 0, lambda x: x ** 0, [a], seed=3)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64, np.int64]), seed=seeds)
def test_div_rounding_mode(backend: str, mode: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """Rounded division, forward only (its gradient is zero), on integers and floats."""
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    if dtype == np.int64:
        elements_b = st.integers(-7, 7).filter(lambda v: v != 0)
        a = data.draw(st.builds(np.asarray, st.lists(st.integers(-20, 20), min_size=1)).map(
            lambda v: np.resize(v, shape_a).astype(np.int64)))
        b = data.draw(st.builds(np.asarray, st.lists(elements_b, min_size=1)).map(
            lambda v: np.resize(v, shape_b).astype(np.int64)))
    else:
        a = data.draw(arrays(dtype, shape_a, -9, 9, [0.0, -3.0, 3.0]))
        b = data.draw(arrays(dtype, shape_b, 0.5, 3, [1.0, 2.0, 1.5]))
        b = np.where(data.draw(arrays(np.float64, shape_b)) < 0, -b, b)
    check_op(lambda x, y: minigrad.div(x, y, rounding_mode=mode),
             lambda x, y: torch.div(x, y, rounding_mode=mode), [a, b], seed=seed)


@given(data=st.data(), alpha=st.sampled_from([2, -1, 0.5, 0]), dtype=float_dtypes, seed=seeds)
def test_add_sub_alpha(backend: str, data: st.DataObject, alpha: float, dtype: type, seed: int) -> None:
    operands, chosen = _draw_pair(data, dtype, dtype, BINARY["add"])
    for name in ("add", "sub"):
        check_op(lambda a, b: getattr(minigrad, name)(a, b, alpha=alpha),
                 lambda a, b: getattr(torch, name)(a, b, alpha=alpha), operands, seed=seed,
                 layouts=chosen, grad_family="reduction", grad_n=_grad_n([x.shape for x in operands]))


def test_add_alpha_on_integers_and_bools(backend: str) -> None:
    ints, bools = np.array([1, -2, 3]), np.array([True, False, True])
    check_op(lambda a, b: minigrad.add(a, b, alpha=3), lambda a, b: torch.add(a, b, alpha=3), [ints, ints])
    check_op(lambda a, b: minigrad.sub(a, b, alpha=-2), lambda a, b: torch.sub(a, b, alpha=-2), [ints, ints])
    for alpha in (0, 2, True):
        check_op(lambda a, b: minigrad.add(a, b, alpha=alpha),
                 lambda a, b: torch.add(a, b, alpha=alpha), [bools, bools])


# --- Python operators and Python numbers on either side ---------------------------------------

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "//": operator.floordiv, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
NUMBERS = [2, -3, 2.5, 0.5, True, False]


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("number_first", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_operator_with_number(backend: str, symbol: str, number: Any, number_first: bool,
                              dtype: str) -> None:
    """``t op 2``, ``2 op t`` (reflected operators) with int, float and bool numbers: value, dtype,
    gradient — or torch's error, for the combinations torch refuses."""
    op = OPERATORS[symbol]
    values = {"bool": [True, False, True, False]}.get(dtype, [1, 2, 3, 4])
    x = torch.tensor(values, dtype=getattr(torch, dtype)).numpy()
    if symbol == "**" and number_first and isinstance(number, bool):
        pytest.skip("torch fails with an internal assert on a bool base (unknown ivalue tag 4)")
    call = (lambda t: op(number, t)) if number_first else (lambda t: op(t, number))
    try:
        call(torch.from_numpy(x))
    except Exception as error:  # noqa: BLE001 - torch refuses it: minigrad must refuse it alike
        expect_torch_error(lambda lib: call(lib.tensor(x)), same_message=False)
        assert not isinstance(error, ZeroDivisionError)
        return
    if symbol == "//":  # torch has no derivative for floor_divide: compare the forward only
        assert_close(call(minigrad.tensor(x)), call(torch.from_numpy(x)))
        return
    check_op(call, call, [x], seed=7)


UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = {
    "-t": operator.neg, "abs(t)": abs, "t @ t": lambda t: t @ t,
    "2 - t": lambda t: 2 - t, "2 / t": lambda t: 2 / t, "2 ** t": lambda t: 2 ** t,
    "t ** 2": lambda t: t ** 2, "0.5 * t": lambda t: 0.5 * t, "True + t": lambda t: True + t,
}


@pytest.mark.parametrize("name", sorted(UNARY_OPERATORS))
@given(dtype=float_dtypes, seed=seeds)
def test_unary_operators(backend: str, name: str, dtype: type, seed: int) -> None:
    x = np.random.default_rng(seed).uniform(0.5, 2, size=(3, 3)).astype(dtype)
    x[0, 0] = 1.0
    check_op(UNARY_OPERATORS[name], UNARY_OPERATORS[name], [x], seed=seed,
             family="reduction", n=3)


# --- type promotion --------------------------------------------------------------------------

DTYPES = ["float32", "float64", "int64", "bool"]


def _typed(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(np.arange(1, 1 + int(np.prod(shape))).reshape(shape) % 3, dtype=np.dtype(dtype))


@pytest.mark.parametrize("name", ["add", "mul", "div", "maximum", "eq", "lt", "pow"])
@pytest.mark.parametrize("dtype_a", DTYPES)
@pytest.mark.parametrize("dtype_b", DTYPES)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((3,), ()), ((), (3,)), ((), ())], ids=str)
def test_type_promotion(backend: str, name: str, dtype_a: str, dtype_b: str, shapes: tuple) -> None:
    """The result dtype is torch's (a 0-dim tensor is weaker than one with dims); forward only."""
    a, b = _typed(dtype_a, shapes[0]), _typed(dtype_b, shapes[1])
    try:
        expected = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    except Exception:  # noqa: BLE001 - a combination torch refuses (bool pow, bool sub...)
        expect_torch_error(lambda lib: getattr(lib, name)(lib.tensor(a), lib.tensor(b)), same_message=False)
        return
    assert_close(getattr(minigrad, name)(minigrad.tensor(a), minigrad.tensor(b)), expected)


# --- where, masked_fill, clamp ---------------------------------------------------------------

@given(data=st.data(), dtype=float_dtypes, seed=seeds,
       branches=st.sampled_from(["tensors", "number a", "number b", "numbers"]))
def test_where(backend: str, data: st.DataObject, dtype: type, seed: int, branches: str) -> None:
    shape_c, shape_a, shape_b = data.draw(broadcastable_shapes(3))
    cond = data.draw(arrays(np.float64, shape_c)) > 0
    a, b = data.draw(arrays(dtype, shape_a)), data.draw(arrays(dtype, shape_b))
    number_a, number_b = data.draw(st.sampled_from([1.5, 2, True])), data.draw(st.sampled_from([-1, 0.0]))
    if branches == "tensors":
        mine, theirs, operands = minigrad.where, torch.where, [cond, a, b]
    elif branches == "number a":
        mine, theirs = (lambda c, y: minigrad.where(c, number_a, y)), (lambda c, y: torch.where(c, number_a, y))
        operands = [cond, b]
    elif branches == "number b":
        mine, theirs = (lambda c, x: minigrad.where(c, x, number_b)), (lambda c, x: torch.where(c, x, number_b))
        operands = [cond, a]
    else:
        mine = lambda c: minigrad.where(c, number_a, number_b)  # noqa: E731
        theirs = lambda c: torch.where(c, number_a, number_b)  # noqa: E731
        operands = [cond]
    check_op(mine, theirs, operands, seed=seed, grad_family="reduction",
             grad_n=_grad_n([x.shape for x in operands]))


@given(data=st.data(), dtype=float_dtypes, seed=seeds, value=st.sampled_from([0, -1.5, True, "tensor"]))
def test_masked_fill(backend: str, data: st.DataObject, dtype: type, seed: int, value: Any) -> None:
    """The mask broadcasts with the input (out of place); the value is a number or a 0-dim tensor."""
    shape_x, shape_m = data.draw(broadcastable_shapes(2))
    x = data.draw(arrays(dtype, shape_x))
    mask = data.draw(arrays(np.float64, shape_m)) > 0
    layout = data.draw(layouts)
    if value == "tensor":
        check_op(lambda t, m, v: t.masked_fill(m, v), lambda t, m, v: t.masked_fill(m, v),
                 [x, mask, np.array(2.5, dtype=dtype)], seed=seed, layouts=[layout, "contiguous", "contiguous"],
                 grad_family="reduction", grad_n=max(int(np.prod(np.broadcast_shapes(shape_x, shape_m))), 1))
    else:
        check_op(lambda t, m: t.masked_fill(m, value), lambda t, m: t.masked_fill(m, value),
                 [x, mask], seed=seed, layouts=[layout, "contiguous"], grad_family="reduction",
                 grad_n=_grad_n([shape_x, shape_m]))


BOUNDS = [-1.0, 0.0, 0.5, 1.0]


@given(data=st.data(), dtype=float_dtypes, seed=seeds, name=st.sampled_from(["clamp", "clip"]),
       low=st.sampled_from(BOUNDS + [None]), high=st.sampled_from(BOUNDS + [None]))
def test_clamp_number_bounds(backend: str, data: st.DataObject, dtype: type, seed: int, name: str,
                             low: float | None, high: float | None) -> None:
    """Values sit exactly on the bounds often: the gradient is 1 there (bounds inclusive)."""
    if low is None and high is None:
        high = 0.5
    x = data.draw(arrays(dtype, data.draw(broadcastable_shapes(1))[0], -2, 2, BOUNDS))
    check_op(lambda t: getattr(t, name)(low, high), lambda t: getattr(t, name)(low, high), [x],
             seed=seed, layouts=[data.draw(layouts)])


@given(data=st.data(), dtype=float_dtypes, seed=seeds, which=st.sampled_from(["both", "min", "max"]))
def test_clamp_tensor_bounds(backend: str, data: st.DataObject, dtype: type, seed: int, which: str) -> None:
    """Tensor bounds broadcast with the input (even to a larger shape) and get gradients too.

    With both bounds, they share one shape: torch's own clamp backward fails (in-place logical
    ops on a smaller tensor) when min and max broadcast to more than the input with each other.
    """
    shapes = list(data.draw(broadcastable_shapes(2)))
    shapes += shapes[1:] if which == "both" else []
    operands = [data.draw(tied_arrays(dtype, s)) for s in shapes]
    calls = {"both": lambda lib: (lambda x, lo, hi: lib.clamp(x, lo, hi)),
             "min": lambda lib: (lambda x, lo: lib.clamp(x, min=lo)),
             "max": lambda lib: (lambda x, hi: lib.clamp(x, max=hi))}
    check_op(calls[which](minigrad), calls[which](torch), operands, seed=seed,
             grad_family="reduction", grad_n=_grad_n(shapes))


# --- comparisons and logical ops -------------------------------------------------------------

@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
@given(data=st.data(), dtype_a=float_dtypes, dtype_b=float_dtypes)
def test_comparisons(backend: str, name: str, data: st.DataObject, dtype_a: type, dtype_b: type) -> None:
    """Ties are frequent; mixed float32/float64 operands; never differentiable."""
    operands, chosen = _draw_pair(data, dtype_a, dtype_b)
    check_op(getattr(minigrad, name), getattr(torch, name), operands, layouts=chosen)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_not"])
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.int64, np.bool_]))
def test_logical(backend: str, name: str, data: st.DataObject, dtype: type) -> None:
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    a, b = (data.draw(tied_arrays(np.float64, s)).astype(dtype) for s in (shape_a, shape_b))
    operands = [a] if name == "logical_not" else [a, b]
    check_op(getattr(minigrad, name), getattr(torch, name), operands)


@pytest.mark.parametrize("symbol", ["&", "|", "^", "~"])
@given(data=st.data(), dtype=st.sampled_from([np.int64, np.bool_]), number=st.sampled_from([None, 3, True]))
def test_bitwise_operators(backend: str, symbol: str, data: st.DataObject, dtype: type,
                           number: Any) -> None:
    """``&``, ``|``, ``^``, ``~`` are bitwise in torch (logical on bool), with tensors or numbers."""
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    a, b = (data.draw(hnp.arrays(np.int64, s, elements=st.integers(-8, 8))).astype(dtype)
            for s in (shape_a, shape_b))
    ops = {"&": operator.and_, "|": operator.or_, "^": operator.xor}
    if symbol == "~":
        check_op(operator.invert, operator.invert, [a], family="exact")
    elif number is None:
        check_op(ops[symbol], ops[symbol], [a, b], family="exact")
    else:
        call = lambda t: ops[symbol](t, number)  # noqa: E731
        check_op(call, call, [a], family="exact")


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "logical_xor"])
def test_bitwise_and_logical_functions(backend: str, name: str) -> None:
    a, b = np.array([3, 0, -2, 5]), np.array([1, 0, 7, 4])
    check_op(getattr(minigrad, name), getattr(torch, name), [a, b], family="exact")


def test_bitwise_refuses_floats(backend: str) -> None:
    expect_torch_error(lambda lib: lib.ones(2) & lib.ones(2), same_message=False)
    expect_torch_error(lambda lib: ~lib.ones(2))


def test_floor_divide_has_no_derivative(backend: str) -> None:
    """``x // 2`` computes, but backward through it raises, as in torch."""
    def case(lib: Any) -> None:
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        (x // 2).sum().backward()
    expect_torch_error(case, same_message=False)


def test_bool_operators_on_masks(backend: str) -> None:
    a, b = np.array([True, False, True, False]), np.array([True, True, False, False])
    for call in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: ~x):
        check_op(call, call, [a, b], family="exact")


# --- bad input -------------------------------------------------------------------------------

ALL_BINARY = ["add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "eq", "ne",
              "lt", "le", "gt", "ge", "logical_and", "logical_or"]


@pytest.mark.parametrize("name", ALL_BINARY + ["where", "clamp", "masked_fill"])
@given(shape=st.lists(st.integers(2, 4), min_size=1, max_size=3), position=st.integers(0, 2),
       extra=st.integers(1, 2))
def test_shapes_that_do_not_broadcast(backend: str, name: str, shape: list[int], position: int,
                                      extra: int) -> None:
    """A size that is neither 1 nor the other's: torch's RuntimeError, naming both sizes."""
    position %= len(shape)
    other = list(shape)
    other[position] += extra
    calls = {"where": lambda lib, a, b: lib.where(a > 0, a, b),
             "clamp": lambda lib, a, b: lib.clamp(a, b),
             "masked_fill": lambda lib, a, b: a.masked_fill(b > 0, 1.0)}
    call = calls.get(name, lambda lib, a, b: getattr(lib, name)(a, b))
    expect_torch_error(lambda lib: call(lib, lib.ones(shape), lib.ones(other)))


ERRORS: dict[str, Callable[[Any], Any]] = {
    "bool - bool": lambda lib: lib.tensor([True]) - lib.tensor([False]),
    "bool - number": lambda lib: lib.tensor([True]) - 2,
    "number - bool": lambda lib: 2 - lib.tensor([True]),
    "float - True": lambda lib: lib.tensor([1.0]) - True,
    "int add float alpha": lambda lib: lib.add(lib.tensor([1]), lib.tensor([2]), alpha=2.5),
    "float add bool alpha": lambda lib: lib.add(lib.tensor([1.0]), lib.tensor([2.0]), alpha=True),
    "int // 0": lambda lib: lib.tensor([1, 2]) // lib.tensor([1, 0]),
    "int trunc 0": lambda lib: lib.div(lib.tensor([1]), 0, rounding_mode="trunc"),
    "number // int 0": lambda lib: 5 // lib.tensor([0]),
    "bool // bool": lambda lib: lib.tensor([True]) // lib.tensor([True]),
    "bad rounding mode": lambda lib: lib.div(lib.tensor([1.0]), 2, rounding_mode="round"),
    "int ** negative int": lambda lib: lib.tensor([2]) ** -1,
    "bool ** bool": lambda lib: lib.tensor([True]) ** lib.tensor([True]),
    "maximum with a number": lambda lib: lib.maximum(lib.tensor([1.0]), 2.0),
    "minimum with a number": lambda lib: lib.minimum(lib.tensor([1.0]), 2),
    "where with int condition": lambda lib: lib.where(lib.tensor([1, 0]), lib.tensor([1.0, 2.0]), 0.0),
    "clamp without bounds": lambda lib: lib.clamp(lib.tensor([1.0])),
    "masked_fill with int mask": lambda lib: lib.tensor([1.0]).masked_fill(lib.tensor([1]), 0.0),
    "masked_fill with 1-dim value": lambda lib: lib.tensor([1.0]).masked_fill(
        lib.tensor([True]), lib.tensor([0.0])),
    "add a list": lambda lib: lib.add(lib.tensor([1.0]), [1.0]),
    "tensor + str": lambda lib: lib.tensor([1.0]) + "a",
}
SAME_MESSAGE = {"bool - bool", "bool - number", "number - bool", "float - True",
                "int add float alpha", "float add bool alpha", "int // 0", "int trunc 0",
                "number // int 0", "bool // bool", "bad rounding mode", "int ** negative int",
                "bool ** bool", "clamp without bounds"}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(backend: str, name: str) -> None:
    expect_torch_error(ERRORS[name], same_message=name in SAME_MESSAGE)


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_special_values(backend: str, name: str) -> None:
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -2.5])
    check_op(getattr(minigrad, name), getattr(torch, name), [x], family="exact")
