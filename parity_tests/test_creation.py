"""Creation functions and dtype inference against torch: shapes, dtypes, values, promotion."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import dtypes
from .helpers import assert_close
from .strategies import shapes

DTYPE_NAMES = ["float32", "float64", "int64", "bool"]
NUMPY_DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def both(name: str | None) -> tuple[Any, Any]:
    """The minigrad and torch dtypes called ``name`` (None for both when None)."""
    if name is None:
        return None, None
    return getattr(minigrad, name), getattr(torch, name)


def assert_same_tensor(mine: minigrad.Tensor, theirs: torch.Tensor, values: bool = True) -> None:
    """Same shape, dtype and requires_grad; the same values unless ``values`` is False."""
    assert tuple(mine.shape) == tuple(theirs.shape), f"shape {tuple(mine.shape)}, torch {tuple(theirs.shape)}"
    assert mine.dtype.name == str(theirs.dtype).replace("torch.", ""), f"dtype {mine.dtype}, torch {theirs.dtype}"
    assert mine.requires_grad == theirs.requires_grad
    if values:
        assert_close(mine, theirs, "exact")


# Python numbers of each kind, with the special values that decide a dtype (True is an int too).
python_numbers = st.one_of(st.booleans(), st.integers(-50, 50),
                           st.floats(-50, 50, allow_nan=False, allow_infinity=False))


@st.composite
def nested_lists(draw: st.DrawFn) -> Any:
    """Nested lists (or tuples) of a rectangular shape holding bools, ints and floats mixed."""
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    kinds = draw(st.sampled_from([st.booleans(), st.integers(-50, 50), python_numbers]))

    def build(dims: tuple[int, ...]) -> Any:
        if not dims:
            return draw(kinds)
        items = [build(dims[1:]) for _ in range(dims[0])]
        return tuple(items) if draw(st.booleans()) else items

    return build(shape)


@given(data=nested_lists())
def test_tensor_from_nested_lists(backend: str, data: Any) -> None:
    """The dtype is inferred as torch infers it: bool < int64 < float32 (the default float)."""
    assert_same_tensor(minigrad.tensor(data), torch.tensor(data))


@given(array=hnp.arrays(st.sampled_from(NUMPY_DTYPES), shapes(max_dims=3)))
def test_tensor_from_numpy_keeps_dtype(backend: str, array: np.ndarray) -> None:
    assert_same_tensor(minigrad.tensor(array), torch.tensor(array))
    assert_same_tensor(minigrad.as_tensor(array), torch.as_tensor(array))


@pytest.mark.parametrize("items", [
    [np.float64(1.5), 2.0], [np.float32(1.5), 2], [1, np.float64(2.0)], [np.int64(3), True],
    np.float64(2.5), [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
], ids=str)
def test_tensor_from_numpy_scalars_in_lists(backend: str, items: Any) -> None:
    """NumPy scalars and arrays inside a list bring their dtype: torch promotes the elements'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns that a list of arrays is slow
        theirs = torch.tensor(items)
    assert_same_tensor(minigrad.tensor(items), theirs)


def test_tensor_from_tensors_and_with_dtype(backend: str) -> None:
    for make in (lambda lib: lib.tensor([lib.tensor(1.0, dtype=lib.float64), 2]),
                 lambda lib: lib.tensor([lib.tensor(1), True]),
                 lambda lib: lib.tensor([[1, 2], [3, 4]], dtype=lib.float64),
                 lambda lib: lib.tensor([1.5, -2.5], dtype=lib.int64),
                 lambda lib: lib.tensor([0, 2.5], dtype=lib.bool),
                 lambda lib: lib.tensor(3.5, requires_grad=True)):
        assert_same_tensor(make(minigrad), make(torch))


def test_from_numpy_shares_memory(backend: str) -> None:
    array = np.arange(6.0).reshape(2, 3)
    mine = minigrad.from_numpy(array)
    array[0, 0] = 42.0
    assert_same_tensor(mine, torch.from_numpy(array))


@pytest.mark.parametrize("dtype", [None] + DTYPE_NAMES)
@pytest.mark.parametrize("maker", ["zeros", "ones", "empty"])
@given(shape=shapes(max_dims=3))
def test_zeros_ones_empty(backend: str, maker: str, dtype: str | None, shape: tuple[int, ...]) -> None:
    mine_dtype, torch_dtype = both(dtype)
    mine = getattr(minigrad, maker)(shape, dtype=mine_dtype)
    theirs = getattr(torch, maker)(shape, dtype=torch_dtype)
    assert_same_tensor(mine, theirs, values=maker != "empty")
    if shape:
        assert_same_tensor(getattr(minigrad, maker)(*shape), getattr(torch, maker)(*shape), values=maker != "empty")


@pytest.mark.parametrize("dtype", [None] + DTYPE_NAMES)
@pytest.mark.parametrize("maker", ["zeros_like", "ones_like", "empty_like", "full_like"])
@given(shape=shapes(max_dims=3), source=st.sampled_from(DTYPE_NAMES))
def test_like(backend: str, maker: str, dtype: str | None, shape: tuple[int, ...], source: str) -> None:
    """``*_like`` takes the shape and, unless told, the dtype of its input."""
    mine_dtype, torch_dtype = both(dtype)
    mine_source, torch_source = both(source)
    extra = (3,) if maker == "full_like" else ()
    mine = getattr(minigrad, maker)(minigrad.zeros(shape, dtype=mine_source), *extra, dtype=mine_dtype)
    theirs = getattr(torch, maker)(torch.zeros(shape, dtype=torch_source), *extra, dtype=torch_dtype)
    assert_same_tensor(mine, theirs, values=maker != "empty_like")


@pytest.mark.parametrize("dtype", [None] + DTYPE_NAMES)
@given(shape=shapes(max_dims=3), value=python_numbers)
def test_full(backend: str, dtype: str | None, shape: tuple[int, ...], value: Any) -> None:
    """Without a dtype, ``full`` follows the fill value: bool, int64 or float32."""
    mine_dtype, torch_dtype = both(dtype)
    assert_same_tensor(minigrad.full(shape, value, dtype=mine_dtype), torch.full(shape, value, dtype=torch_dtype))


@pytest.mark.parametrize("dtype", [None] + DTYPE_NAMES)
@given(n=st.integers(0, 5), m=st.one_of(st.none(), st.integers(0, 5)))
def test_eye(backend: str, dtype: str | None, n: int, m: int | None) -> None:
    mine_dtype, torch_dtype = both(dtype)
    mine = minigrad.eye(n, m, dtype=mine_dtype)
    theirs = torch.eye(n, dtype=torch_dtype) if m is None else torch.eye(n, m, dtype=torch_dtype)
    assert_same_tensor(mine, theirs)


@given(start=st.integers(-20, 20), length=st.integers(0, 30), step=st.integers(-5, 5).filter(bool))
def test_arange_integers(backend: str, start: int, length: int, step: int) -> None:
    end = start + length * step
    assert_same_tensor(minigrad.arange(start, end, step), torch.arange(start, end, step))
    if start >= 0:
        assert_same_tensor(minigrad.arange(start), torch.arange(start))


bounds = st.floats(-20, 20, allow_nan=False).map(lambda x: round(x, 3))
steps = st.floats(0.01, 5).map(lambda x: round(x, 4)).filter(bool)


@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
@given(start=bounds, end=bounds, step=steps, int_start=st.booleans())
def test_arange_float_steps(backend: str, dtype: str | None, start: float, end: float, step: float,
                            int_start: bool) -> None:
    """Same length as torch's (⌈(end - start) / step⌉) and the same values, to rounding."""
    if int_start:
        start = int(start)
    if end < start:
        step = -step
    mine_dtype, torch_dtype = both(dtype)
    mine = minigrad.arange(start, end, step, dtype=mine_dtype)
    theirs = torch.arange(start, end, step, dtype=torch_dtype)
    assert_same_tensor(mine, theirs, values=False)
    # start + i·step rounded once: torch's vectorised kernel may round differently by an ulp or two
    assert_close(mine, theirs, "elementwise", what="arange values")


@pytest.mark.parametrize("maker", ["rand", "randn"])
@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_random_shapes_and_dtypes(backend: str, maker: str, dtype: str | None) -> None:
    mine_dtype, torch_dtype = both(dtype)
    assert_same_tensor(getattr(minigrad, maker)(2, 3, dtype=mine_dtype),
                       getattr(torch, maker)(2, 3, dtype=torch_dtype), values=False)
    assert_same_tensor(minigrad.randint(0, 5, (2, 3)), torch.randint(0, 5, (2, 3)), values=False)
    assert_same_tensor(minigrad.randperm(4), torch.randperm(4), values=False)


# Operands for promotion: a tensor with dims, a 0-dim tensor, or a Python number, of each dtype.
OPERAND_KINDS = ["tensor", "0-dim", "number"]
NUMBER_OF = {"float32": 2.5, "float64": -1.5, "int64": 3, "bool": True}


def make_operand(lib: Any, kind: str, dtype: str) -> Any:
    if kind == "number":
        return NUMBER_OF[dtype]
    lib_dtype = both(dtype)[0 if lib is minigrad else 1]
    return lib.ones((2,) if kind == "tensor" else (), dtype=lib_dtype)


operands = st.tuples(st.sampled_from(OPERAND_KINDS), st.sampled_from(DTYPE_NAMES))


@given(a=operands, b=operands)
def test_result_type(backend: str, a: tuple[str, str], b: tuple[str, str]) -> None:
    """``dtypes.result_type`` is ``torch.result_type``: tensors with dims > 0-dim > numbers."""
    mine = dtypes.result_type(make_operand(minigrad, *a), make_operand(minigrad, *b))
    theirs = torch.result_type(make_operand(torch, *a), make_operand(torch, *b))
    assert mine.name == str(theirs).replace("torch.", ""), f"{a}, {b}: {mine}, torch {theirs}"


@given(a=st.sampled_from(DTYPE_NAMES), b=st.sampled_from(DTYPE_NAMES))
def test_promote_types(backend: str, a: str, b: str) -> None:
    mine = dtypes.promote_types(both(a)[0], both(b)[0])
    assert mine.name == str(torch.promote_types(both(a)[1], both(b)[1])).replace("torch.", "")


@given(a=operands, b=operands)
def test_binary_op_dtype_follows_promotion(backend: str, a: tuple[str, str], b: tuple[str, str]) -> None:
    """An op's result dtype is the promoted one (``mul`` works on every dtype pair)."""
    if a[0] == "number" and b[0] == "number":
        return
    mine = minigrad.mul(make_operand(minigrad, *a), make_operand(minigrad, *b))
    theirs = torch.mul(make_operand(torch, *a), make_operand(torch, *b))
    assert_same_tensor(mine, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_tensor_from_a_torch_tensor(backend: str, dtype: str) -> None:
    """``minigrad.tensor(torch_tensor)`` copies its values and keeps its dtype (torch's, by name)."""
    theirs = torch.tensor([[1, 0], [3, 4]]).to(getattr(torch, dtype))
    assert_close(minigrad.tensor(theirs), theirs, "exact")
