"""Unary elementwise ops against torch: forward, gradient, double backward, special points."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from .helpers import assert_close, check_op
from .strategies import arrays, float_dtypes, layouts, seeds, shapes

# name: (low, high, special points) — each op's domain and where its derivative is special.
UNARY = {
    "neg": (-3, 3, [0.0]),
    "abs": (-3, 3, [0.0]),
    "sign": (-3, 3, [0.0]),
    "exp": (-5, 5, [0.0]),
    "log": (0.05, 5, [1.0]),
    "sqrt": (0.05, 5, [0.0, 1.0]),
    "rsqrt": (0.1, 5, [1.0]),
    "reciprocal": (0.1, 5, [-1.0, 1.0]),
    "square": (-3, 3, [0.0]),
    "sin": (-4, 4, [0.0, math.pi / 2]),
    "cos": (-4, 4, [0.0, math.pi]),
    "tanh": (-4, 4, [0.0]),
    "sigmoid": (-8, 8, [0.0]),
    "relu": (-3, 3, [0.0]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_unary(backend: str, name: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    low, high, special = UNARY[name]
    x = data.draw(arrays(dtype, shapes(), low, high, special))
    check_op(getattr(minigrad, name), getattr(torch, name), [x], seed=seed, layouts=[layout])


@pytest.mark.parametrize("name", sorted(UNARY))
@given(dtype=float_dtypes, seed=seeds)
def test_unary_method_matches_function(backend: str, name: str, dtype: type, seed: int) -> None:
    """``t.exp()`` is ``minigrad.exp(t)``, as in torch."""
    low, high, _ = UNARY[name]
    x = torch.linspace(low, high, 7, dtype=torch.float64).numpy().astype(dtype)
    check_op(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x], seed=seed)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "neg", "abs"])
def test_unary_on_integers(backend: str, name: str) -> None:
    """Integer inputs give the dtype torch gives (float32 for exp, int64 for neg)."""
    values = [[1, 2, 3], [4, 5, 6]]
    check_op(getattr(minigrad, name), getattr(torch, name),
             [torch.tensor(values).numpy()])


def test_sqrt_at_zero_gradient(backend: str) -> None:
    """√ at 0: gradient inf, and nan when the upstream gradient is 0 — as torch."""
    x = torch.tensor([0.0, 0.0, 4.0])
    check_op(minigrad.sqrt, torch.sqrt, [x.numpy()], seed=3)
    t = torch.tensor([0.0], requires_grad=True)
    m = minigrad.tensor([0.0], requires_grad=True)
    torch.sqrt(t).backward(torch.tensor([0.0]))
    minigrad.sqrt(m).backward(minigrad.tensor([0.0]))
    assert math.isnan(t.grad.item()) and math.isnan(m.grad.item())


def test_sigmoid_does_not_overflow(backend: str) -> None:
    x = torch.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0])
    check_op(minigrad.sigmoid, torch.sigmoid, [x.numpy()])


ZERO_DERIVATIVES = {
    "sign": lambda lib, x: x.sign(),
    "pow_0": lambda lib, x: x.pow(0),
    "floor_divide": lambda lib, x: lib.div(x, 2.0, rounding_mode="floor"),
    "l1_loss_gradient": lambda lib, x: lib.autograd.grad(  # its derivative: through sign
        lib.nn.functional.l1_loss(x, lib.zeros(3, dtype=lib.float64), weight=lib.zeros(
            3, dtype=lib.float64)), x, create_graph=True)[0],
}


@pytest.mark.parametrize("name", list(ZERO_DERIVATIVES))
def test_a_zero_derivative_stays_zero_under_nan_and_inf(backend: str, name: str) -> None:
    """torch writes a derivative that is 0 as zeros_like(grad), not grad·0: an upstream gradient
    of nan or inf still gives 0 (first and second derivatives)."""
    results = []
    for lib in (minigrad, torch):
        x = lib.tensor([1.5, -2.0, 0.0], dtype=lib.float64, requires_grad=True)
        y = ZERO_DERIVATIVES[name](lib, x)
        upstream = lib.tensor([math.nan, math.inf, 1.0], dtype=lib.float64)[:y.numel()].reshape(y.shape)
        (grad,) = lib.autograd.grad(y, x, upstream, create_graph=True)
        results.append(grad)
    assert_close(*results)
