"""The softmax-family primitives (``kernels/cpu/softmax.py`` on numba, the NumPy reference on
numpy) against torch: softmax, log_softmax, and the fused cross-entropy forward and backward.

Tolerances: each row's sum of C exponentials is a reduction of C terms (``reduction`` family,
n = C): the kernels add in 16 lanes as torch's AVX-512 code does, but their float32 exponential
(Cephes' polynomial) and torch's (Sleef) each round within about 1 ulp, so results agree to a few
ulps, not bitwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as MF
from .helpers import assert_close, check_op
from .strategies import arrays, float_dtypes, seeds

SPECIAL = [1000.0, -1000.0, -math.inf]  # large logits (the max shift) and -inf entries
IGNORE = -100


@st.composite
def logits(draw: st.DrawFn, dtype: type, special: bool = True) -> np.ndarray:
    """(N, C) logits: 0 to 5 rows, 1 to 40 classes (less than, equal to and more than 16 lanes)."""
    shape = (draw(st.integers(0, 5)), draw(st.sampled_from([1, 2, 7, 16, 17, 40])))
    return draw(arrays(dtype, shape, -10, 10, SPECIAL if special else ()))


def _targets(rng: np.random.Generator, rows: int, classes: int, ignored: float) -> np.ndarray:
    """Class indices, each ignored (IGNORE) with probability ``ignored``."""
    target = rng.integers(0, classes, rows)
    return np.where(rng.random(rows) < ignored, IGNORE, target)


@given(data=st.data(), dtype=float_dtypes, weighted=st.booleans(),
       ignored=st.sampled_from([0.0, 0.5, 1.0]), seed=seeds)
def test_cross_entropy_primitives(backend: str, data: st.DataObject, dtype: type, weighted: bool,
                                  ignored: float, seed: int) -> None:
    """The per-sample loss and ``(softmax - onehot)·scale`` against torch's cross-entropy with
    reduction 'none' and its gradient for the upstream gradient ``scale``; ignored rows give 0."""
    x = data.draw(logits(dtype))
    rng = np.random.default_rng(seed)
    rows, classes = x.shape
    target = _targets(rng, rows, classes, ignored)
    weight = rng.random(classes).astype(dtype) if weighted else np.ones(classes, dtype)
    kept = target != IGNORE
    picked = np.where(kept, weight[np.where(kept, target, 0)], 0).astype(dtype)
    b = minigrad.get_backend(backend)
    loss, row_max, log_sum = b.cross_entropy_forward(x, np.where(kept, target, -1), picked)
    xt = torch.tensor(x, requires_grad=True)
    expected = TF.cross_entropy(xt, torch.from_numpy(target), torch.from_numpy(weight),
                                ignore_index=IGNORE, reduction="none")
    assert_close(loss, expected, "reduction", classes, "loss")
    scale = rng.standard_normal(rows).astype(dtype)
    # torch's gradient for the upstream gradient g: g·w_y·(softmax - onehot), so scale = g·picked
    grad = b.cross_entropy_backward(x, np.where(kept, target, -1), row_max, log_sum, scale * picked)
    expected.backward(torch.from_numpy(scale))
    assert_close(grad, xt.grad, "reduction", classes, "gradient")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data(), dtype=float_dtypes)
def test_softmax_primitives(backend: str, name: str, data: st.DataObject, dtype: type) -> None:
    """The primitives along the last axis (the kernels' case) and along axis 0 (the fallback)."""
    x = data.draw(logits(dtype))
    b = minigrad.get_backend(backend)
    for axis in (1, 0):
        expected = getattr(torch, name)(torch.from_numpy(x), axis)
        assert_close(getattr(b, name)(x, axis), expected, "reduction", x.shape[axis], f"axis {axis}")


@given(data=st.data(), dtype=float_dtypes, weighted=st.booleans(),
       ignored=st.sampled_from([0.0, 0.5, 1.0]), reduction=st.sampled_from(["mean", "sum", "none"]),
       seed=seeds)
def test_cross_entropy_op(backend: str, data: st.DataObject, dtype: type, weighted: bool,
                          ignored: float, reduction: str, seed: int) -> None:
    """``F.cross_entropy`` on (N, C) (the fused Functions): loss, gradient, double backward in
    float64; every target ignored gives nan for 'mean', as torch."""
    x = data.draw(logits(dtype, special=False))
    rng = np.random.default_rng(seed)
    target = _targets(rng, *x.shape, ignored)
    weight = rng.random(x.shape[1]).astype(dtype) + 0.5 if weighted else None
    w_m, w_t = (None, None) if weight is None else (minigrad.tensor(weight), torch.from_numpy(weight))
    y_m, y_t = minigrad.tensor(target), torch.from_numpy(target)
    check_op(lambda t: MF.cross_entropy(t, y_m, w_m, ignore_index=IGNORE, reduction=reduction),
             lambda t: TF.cross_entropy(t, y_t, w_t, ignore_index=IGNORE, reduction=reduction),
             [x], seed=seed, family="reduction", n=x.size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_special_logits(backend: str, dtype: type) -> None:
    """Large logits (no overflow), -inf entries (a target at -inf gives inf), an ignored row that
    is all -inf (loss 0 as torch, which skips it)."""
    inf = math.inf
    x = np.array([[1000.0, 0.0, -5.0], [-inf, 2.0, 1.0], [-inf, 2.0, 1.0], [-inf, -inf, -inf]], dtype)
    for target in ([0, 1, 0, IGNORE], [1, 2, 1, IGNORE]):
        for reduction in ("none", "sum"):
            y_m, y_t = minigrad.tensor(target), torch.tensor(target)
            check_op(lambda t: MF.cross_entropy(t, y_m, reduction=reduction),
                     lambda t: TF.cross_entropy(t, y_t, reduction=reduction), [x],
                     double_backward=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_kernels_are_deterministic(name: str) -> None:
    """The parallel kernels (blocks of rows split among threads) give bitwise equal results over
    10 runs on an input where prange really splits (600 × 500)."""
    b = minigrad.get_backend("numba")
    x = np.random.default_rng(0).standard_normal((600, 500)).astype(np.float32)
    target = np.random.default_rng(1).integers(0, 500, 600)
    picked, scale = np.ones(600, np.float32), np.full(600, 0.5, np.float32)
    first = getattr(b, name)(x, 1)
    loss, row_max, log_sum = b.cross_entropy_forward(x, target, picked)
    grad = b.cross_entropy_backward(x, target, row_max, log_sum, scale)
    for _ in range(10):
        assert np.array_equal(getattr(b, name)(x, 1), first)
        again = b.cross_entropy_forward(x, target, picked)
        assert all(np.array_equal(a, e) for a, e in zip(again, (loss, row_max, log_sum)))
        assert np.array_equal(b.cross_entropy_backward(x, target, row_max, log_sum, scale), grad)
