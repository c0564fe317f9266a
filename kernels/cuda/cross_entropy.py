"""Cross-entropy as the backend primitives compute it: the forward keeps each row's max m and
ln Σ e^(x - m) so that the backward needs no reduction at all.

* ``cross_entropy_forward``: **one block per row** finds m and Σ e^(x - m) with the shared-memory
  trees of ``softmax.py`` (``_row_max_and_sum``); thread 0 then writes the row's loss
  picked·(ln s - (x[target] - m)) (0 where target < 0: ignored), m and ln s.
* ``cross_entropy_backward``: **one thread per element** of x (rows, classes):
  (e^((x - m) - ln s) - [k == target])·scale, from the saved m and ln s. Each element is
  written by its own thread: no race, no atomics; consecutive threads read consecutive x.
"""

from __future__ import annotations

import math
from functools import cache

import numba
import numpy as np
from numba import cuda

from .device import MAX_THREADS, Array, blocks_for, constant, threads_for
from .elementwise import contiguous
from .softmax import _row_max_and_sum


@cache
def _forward_kernel(dtype: np.dtype, threads: int):
    item = numba.from_dtype(dtype)

    @cuda.jit
    def kernel(x, target, picked, loss, row_max, log_sum, lowest, zero):
        """loss[r] = picked[r]·(ln s - (x[r, target[r]] - m)), row_max[r] = m, log_sum[r] = ln s."""
        buf = cuda.shared.array(threads, item)
        t, row = cuda.threadIdx.x, cuda.blockIdx.x
        m, s = _row_max_and_sum(x, row, buf, t, threads, lowest, zero)
        if t == 0:
            y, ls = target[row], math.log(s)
            loss[row] = zero if y < 0 else picked[row] * (ls - (x[row, y] - m))
            row_max[row] = m
            log_sum[row] = ls
    return kernel


@cuda.jit
def _backward_kernel(x, target, row_max, log_sum, scale, out):
    """out[r, k] = e^((x[r, k] - m[r]) - ln s[r])·scale[r], minus scale[r] at k = target[r]."""
    i = cuda.grid(1)
    if i < out.size:
        r, k = i // x.shape[1], i % x.shape[1]
        g = math.exp((x[r, k] - row_max[r]) - log_sum[r]) * scale[r]
        out[r, k] = g - scale[r] if k == target[r] else g


def cross_entropy_forward(x: Array, target: Array, picked: Array,
                          threads: int = MAX_THREADS) -> tuple[Array, Array, Array]:
    """(loss, m, ln s) per row of x (N, C) and its int64 targets."""
    x = contiguous(x)
    rows = x.shape[0]
    loss, row_max, log_sum = (cuda.device_array(rows, x.dtype) for _ in range(3))
    if rows:
        threads = threads_for(x.shape[1], threads)
        _forward_kernel(x.dtype, threads)[rows, threads](
            x, contiguous(target), contiguous(picked), loss, row_max, log_sum,
            constant(x.dtype, -np.inf), constant(x.dtype, 0))
    return loss, row_max, log_sum


def cross_entropy_backward(x: Array, target: Array, row_max: Array, log_sum: Array,
                           scale: Array) -> Array:
    """The gradient of the loss with respect to x, each row scaled by scale[r]."""
    out = cuda.device_array(tuple(x.shape), x.dtype)
    if out.size:
        threads = threads_for(out.size)
        _backward_kernel[blocks_for(out.size, threads), threads](
            x, contiguous(target), contiguous(row_max), contiguous(log_sum),
            contiguous(scale).reshape(scale.size), out)
    return out
