"""softmax and log_softmax against torch: forward, gradient, double backward, stability, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad
from .helpers import assert_close, check_op
from .strategies import arrays, float_dtypes, layouts, seeds, shapes, tied_arrays

NAMES = ["softmax", "log_softmax"]


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), dtype=float_dtypes, layout=layouts, ties=st.booleans(), seed=seeds)
def test_softmax_family(backend: str, name: str, data: st.DataObject, dtype: type, layout: str,
                        ties: bool, seed: int) -> None:
    """Drawn shapes (0-dim, size-0 and size-1 dims), any dim, negative included."""
    shape = data.draw(shapes(max_dims=3, max_side=4))
    x = data.draw(tied_arrays(dtype, shape) if ties else arrays(dtype, shape, -10, 10))
    top = max(x.ndim, 1)
    dim = data.draw(st.integers(-top, top - 1))
    n = x.shape[dim] if x.ndim else 1
    # The backward sums g·y along dim: a reduction of n terms.
    check_op(lambda t: getattr(minigrad, name)(t, dim), lambda t: getattr(torch, name)(t, dim),
             [x], seed=seed, grad_family="reduction", grad_n=n, layouts=[layout])


@pytest.mark.parametrize("name", NAMES)
@given(dtype=float_dtypes, target=st.sampled_from([None, "float32", "float64"]), seed=seeds)
def test_method_and_dtype(backend: str, name: str, dtype: type, target: str | None, seed: int) -> None:
    """``t.softmax(dim, dtype=...)``: computed in ``dtype``, the gradient cast back to the input's."""
    assume(not (dtype is np.float64 and target == "float32"))  # see test_dtype_lower_than_input
    x = np.random.default_rng(seed).standard_normal((3, 4)).astype(dtype)
    mine_dtype = None if target is None else getattr(minigrad, target)
    their_dtype = None if target is None else getattr(torch, target)
    check_op(lambda t: getattr(t, name)(1, dtype=mine_dtype), lambda t: getattr(t, name)(1, dtype=their_dtype),
             [x], seed=seed, grad_family="reduction", grad_n=4)
    check_op(lambda t: getattr(minigrad, name)(t, dim=0), lambda t: getattr(torch, name)(t, dim=0),
             [x], seed=seed, grad_family="reduction", grad_n=3)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_lower_than_input(backend: str, name: str) -> None:
    """float64 input computed in float32: the float64 gradient has float32 precision, so it is
    compared with float32's tolerance."""
    x = np.random.default_rng(5).standard_normal((3, 4))
    mine = minigrad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out_m = getattr(mine, name)(1, dtype=minigrad.float32)
    out_t = getattr(theirs, name)(1, dtype=torch.float32)
    assert_close(out_m, out_t)
    upstream = np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)
    out_m.backward(minigrad.tensor(upstream))
    out_t.backward(torch.from_numpy(upstream))
    assert mine.grad.dtype == minigrad.float64
    assert_close(mine.grad.float(), theirs.grad.float(), "reduction", 4)


@pytest.mark.parametrize("name", NAMES)
def test_integers_with_dtype(backend: str, name: str) -> None:
    """Integer input needs ``dtype=`` (a float one), as in torch."""
    x = np.array([[1, 2, 3], [4, 5, 7]])
    check_op(lambda t: getattr(minigrad, name)(t, 1, dtype=minigrad.float64),
             lambda t: getattr(torch, name)(t, 1, dtype=torch.float64), [x])


@pytest.mark.parametrize("name", NAMES)
def test_stable_for_large_inputs(backend: str, name: str) -> None:
    """No overflow: ``log_softmax([1000, 0]) = [0, -1000]``; -inf and +inf rows give nan as torch."""
    inf = math.inf
    x = np.array([[1000.0, 0.0], [-1000.0, -1001.0], [1e38, -1e38], [0.0, -inf], [-inf, -inf],
                  [inf, 1.0]], np.float32)
    check_op(lambda t: getattr(minigrad, name)(t, 1), lambda t: getattr(torch, name)(t, 1), [x],
             double_backward=False)
    x64 = x[:4].astype(np.float64)
    check_op(lambda t: getattr(minigrad, name)(t, -1), lambda t: getattr(torch, name)(t, -1), [x64])
    mine = getattr(minigrad, name)(minigrad.tensor([1000.0, 0.0]), 0).tolist()
    assert mine == getattr(torch, name)(torch.tensor([1000.0, 0.0]), 0).tolist()


ERRORS = [
    lambda f, lib, t: f(t, 2),
    lambda f, lib, t: f(t, -3),
    lambda f, lib, t: f(t, None),
    lambda f, lib, t: f(t, (0, 1)),
    lambda f, lib, t: f(t),
    lambda f, lib, t: f(t.long(), 0),
    lambda f, lib, t: f(t, 0, dtype=lib.int64),
    lambda f, lib, t: f([1.0, 2.0], 0),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(backend: str, name: str, case: int) -> None:
    """Bad arguments raise the exception class torch raises, with a message."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.raises(Exception) as expected:
        ERRORS[case](getattr(torch, name), torch, torch.from_numpy(x))
    with pytest.raises(expected.type) as got:
        ERRORS[case](getattr(minigrad, name), minigrad, minigrad.tensor(x))
    assert str(got.value), "the error must say what is wrong"
