"""Fused activation kernels: relu, tanh, sigmoid and their gradients, one pass over the data.

Each kernel reads a flat, C-contiguous input and writes a flat output of the same size that the
caller allocated. Rules every kernel here keeps:

* **no races**: iteration ``i`` of the ``prange`` loop writes ``out[i]`` and nothing else, so the
  threads never write the same element and the result does not depend on how they split the loop;
* **no allocation in the loop**: the output exists before the loop starts;
* **contiguous access**: ``i`` walks memory in order, so each cache line is read once;
* **the dtype's arithmetic**: constants are ``x.dtype.type(c)``, so float32 stays float32 (a
  Python literal such as ``1.0`` would widen the expression to float64);
* **torch's special values**: relu keeps NaN (``nan < 0`` is false) and ``-0.0``; relu's gradient
  passes the incoming gradient where ``y`` is NaN (torch's ``threshold_backward`` tests
  ``y <= 0``); sigmoid is torch's ``1 / (1 + e⁻ˣ)``, which IEEE arithmetic keeps finite
  (``e⁻ˣ = inf`` gives exactly 0).

``tanh_forward`` and ``sigmoid_forward`` are not used by the backend: each element calls the C
library's scalar ``tanhf``/``expf`` (~16 and ~3 ns), while NumPy's own tanh is vectorised (SIMD,
~0.4 ns): NumPy's tanh and sigmoid are 10-100× faster, so the numba backend keeps them. The two
kernels stay here as the measured counter-example (and are tested against torch).

A parallel loop costs a few microseconds to start its threads, more than NumPy needs for a small
array, so the mixin ``ElementwiseKernels`` sends arrays below ``ACTIVATION_MIN`` elements (and
int dtypes, non-contiguous or broadcast operands) to the NumPy reference with ``super()``.
Measured (float32, 2 cores shared with other work, median µs per call in one process:
numba backend / numpy backend / torch with 2 threads):

=================  ================  ================  ================  ================
n                  relu              tanh_backward     sigmoid_backward  relu_backward
=================  ================  ================  ================  ================
64                 1.0 / 0.8 / 1.2   1.6 / 1.3 / 2.1   1.6 / 1.3 / 2.1   3.3 / 3.0 / 2.3
16 384             4.8 / 6.9 / 2.4   5.4 / 5.7 / 3.9   5.5 / 6.3 / 4.1   7.1 / 14.6 / 6.9
131 072            9.1 / 49 / 10     13.5 / 42 / 17.5  18.9 / 57 / 24    19 / 78 / 23
1 048 576          62 / 481 / 65     87 / 469 / 164    81 / 303 / 84     80 / 811 / 98
=================  ================  ================  ================  ================

(Below the threshold the cost is the mixin's size test and ``super()`` call, 0.1-0.3 µs.)
``add``/``sub``/``mul`` kernels were measured too and left out: 1.0-1.2× NumPy at 6·10⁴-1.3·10⁵
elements (1.8× at 10⁶), for 0.3 µs more on every small addition.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

ACTIVATION_MIN = 1 << 14
"""Smallest array handed to an activation kernel (below it NumPy is as fast: see the table)."""

_FLOATS = frozenset({np.dtype(np.float32), np.dtype(np.float64)})
_JIT = {"parallel": True, "cache": True, "error_model": "numpy"}  # x/0: inf or nan, as torch


@njit(**_JIT)
def relu_forward(x: np.ndarray, out: np.ndarray) -> None:
    """out = 0 where x < 0, else x (NaN and -0.0 pass unchanged, as in torch)."""
    zero = x.dtype.type(0)
    for i in prange(x.size):
        v = x[i]
        out[i] = zero if v < zero else v  # noqa: FURB136 - max(v, 0) would not keep nan


@njit(**_JIT)
def tanh_forward(x: np.ndarray, out: np.ndarray) -> None:
    """out = tanh x."""
    for i in prange(x.size):
        out[i] = math.tanh(x[i])


@njit(**_JIT)
def sigmoid_forward(x: np.ndarray, out: np.ndarray) -> None:
    """out = 1 / (1 + e⁻ˣ): e⁻ˣ = inf for very negative x gives exactly 0, never NaN."""
    one = x.dtype.type(1)
    for i in prange(x.size):
        out[i] = one / (one + math.exp(-x[i]))


@njit(**_JIT)
def tanh_backward(grad: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """out = grad·(1 - y²), with y = tanh x."""
    one = y.dtype.type(1)
    for i in prange(y.size):
        out[i] = grad[i] * (one - y[i] * y[i])


@njit(**_JIT)
def sigmoid_backward(grad: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """out = grad·(1 - y)·y, with y = sigmoid x (torch's order of the products)."""
    one = y.dtype.type(1)
    for i in prange(y.size):
        out[i] = grad[i] * (one - y[i]) * y[i]


@njit(**_JIT)
def relu_backward(grad: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """out = 0 where y <= 0, else grad (so a NaN y passes the gradient, as in torch)."""
    zero = y.dtype.type(0)
    for i in prange(y.size):
        out[i] = zero if y[i] <= zero else grad[i]


def _unary(kernel, x: np.ndarray) -> np.ndarray:
    """Run a unary kernel on x (C-contiguous) into a new array of its shape."""
    out = np.empty(x.shape, x.dtype)
    kernel(x.reshape(-1), out.reshape(-1))
    return out


def _binary(kernel, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run a gradient kernel on a and b (same shape and dtype, C-contiguous) into a new array."""
    out = np.empty(b.shape, b.dtype)
    kernel(a.reshape(-1), b.reshape(-1), out.reshape(-1))
    return out


def _fits(x: np.ndarray) -> bool:
    """Whether a kernel applies to x: a C-contiguous float32/float64 array."""
    return x.dtype in _FLOATS and x.flags.c_contiguous


def _fit_pair(a: object, b: np.ndarray) -> bool:
    """Whether a gradient kernel applies: b fits and a is an array of its shape, dtype, layout."""
    return (type(a) is np.ndarray and _fits(b) and a.shape == b.shape and a.dtype == b.dtype
            and a.flags.c_contiguous)


class ElementwiseKernels:
    """Backend mixin: relu and the fused activation gradients on large contiguous float arrays;
    anything else (small, broadcast, strided, integer) is NumPy's."""

    def relu(self, x: np.ndarray) -> np.ndarray:
        if x.size < ACTIVATION_MIN or not _fits(x):
            return super().relu(x)
        return _unary(relu_forward, x)

    def tanh_backward(self, grad: np.ndarray, y: np.ndarray) -> np.ndarray:
        if y.size < ACTIVATION_MIN or not _fit_pair(grad, y):
            return super().tanh_backward(grad, y)
        return _binary(tanh_backward, grad, y)

    def sigmoid_backward(self, grad: np.ndarray, y: np.ndarray) -> np.ndarray:
        if y.size < ACTIVATION_MIN or not _fit_pair(grad, y):
            return super().sigmoid_backward(grad, y)
        return _binary(sigmoid_backward, grad, y)

    def relu_backward(self, grad: np.ndarray, y: np.ndarray) -> np.ndarray:
        if y.size < ACTIVATION_MIN or not _fit_pair(grad, y):
            return super().relu_backward(grad, y)
        return _binary(relu_backward, grad, y)
