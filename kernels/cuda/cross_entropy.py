"""Cross-entropy as the backend primitives compute it: the forward keeps each row's max m and
ln Σ e^(x - m) so that the backward needs no reduction at all.

* ``cross_entropy_forward``: **one block per row** finds m and Σ e^(x - m) with the shared-memory
  trees of ``softmax.py`` (``row_stats``); then **one thread per row** writes the row's loss
  picked·(ln s - (x[target] - m)) (0 where target < 0: ignored) and ln s.
* ``cross_entropy_backward``: **one thread per element** of x (rows, classes):
  (e^((x - m) - ln s) - [k == target])·scale, from the saved m and ln s. Each element is
  written by its own thread: no race, no atomics; consecutive threads read consecutive x.
"""

from __future__ import annotations

import math

from numba import cuda

from .device import MAX_THREADS, Array, blocks_for, constant, threads_for
from .elementwise import contiguous
from .softmax import row_stats


@cuda.jit
def _forward_kernel(x, target, picked, row_max, row_sum, loss, log_sum, zero):
    """loss[r] = picked[r]·(ln s - (x[r, target[r]] - m)) (0 where target < 0), log_sum[r] = ln s;
    one thread per row, from the row's m and s."""
    r = cuda.grid(1)
    if r < loss.size:
        y, ls = target[r], math.log(row_sum[r])
        loss[r] = zero if y < 0 else picked[r] * (ls - (x[r, y] - row_max[r]))
        log_sum[r] = ls


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
        row_max, row_sum = row_stats(x, threads)
        _forward_kernel[blocks_for(rows, threads_for(rows)), threads_for(rows)](
            x, contiguous(target), contiguous(picked), row_max, row_sum, loss, log_sum,
            constant(x.dtype, 0))
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
