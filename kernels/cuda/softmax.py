"""softmax, log_softmax and cross-entropy: one block per row, max and sum in shared memory.

softmax(x)ᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m) with m = maxⱼ xⱼ: subtracting the row's maximum keeps every
exponent ≤ 0 (no overflow: ``[1000, 0]`` works), and log_softmax(x)ᵢ = xᵢ - m - ln Σⱼ e^(xⱼ - m)
never takes the log of a rounded-to-zero probability.

Two steps. ``row_stats`` (x contiguous (rows, n); block r handles row r with T threads):

* thread t visits the elements t, t + T, t + 2T, ... of the row: consecutive threads read
  consecutive addresses (**coalesced**), and every element is read by exactly one thread;
* the T private maxima meet in **shared memory** (T values of the dtype) and are combined as a
  tree with ``cuda.syncthreads()`` between levels; then the same buffer adds up the T private
  sums of exponentials; thread 0 writes the row's m and Σ.

Then **one thread per output element** (softmax, log_softmax, the cross-entropy gradient) or per
row (the cross-entropy loss) reads m and Σ: each output is written by one thread, no race, no
atomics.

nan anywhere in a row makes the whole row nan, as in torch. Cross-entropy fuses log_softmax with
the pick of the target's entry: loss_r = m + ln Σ - x[r, target_r] (0 where target_r is
``ignore_index``), and its gradient grad_r · (softmax(x_r) - onehot(target_r)) needs no saved
softmax: the backward kernel recomputes m and Σ. Targets must lie in [0, n) or be the ignored
index (the caller checks, as torch does, before launching). Class weights and label smoothing are
not fused here: they compose from log_softmax.
"""

from __future__ import annotations

import math
from functools import cache

import numba
import numpy as np
from numba import cuda

from .device import MAX_THREADS, Array, as_device, blocks_for, constant, threads_for
from .elementwise import contiguous, permute_copy


@cache
def _stats_kernel(dtype: np.dtype, threads: int):
    item = numba.from_dtype(dtype)

    @cuda.jit
    def row_stats(x, row_max, row_sum, lowest, zero):
        """row_max[r] = m = max of row r (nan wins), row_sum[r] = Σ e^(x[r] - m); one block per
        row, the two trees in shared memory (``threads`` values). The barriers stay in this
        kernel's body: Numba's simulator gives a device function one thread's view of ``cuda``
        at a time, so a ``syncthreads`` inside one may wait on the wrong thread's barrier."""
        buf = cuda.shared.array(threads, item)
        t, row, n = cuda.threadIdx.x, cuda.blockIdx.x, x.shape[1]
        acc = lowest
        for k in range(t, n, threads):
            v = x[row, k]
            acc = v if (v != v or v > acc) else acc
        buf[t] = acc
        cuda.syncthreads()
        step = threads // 2
        while step > 0:  # tree: buf[0] = max of buf[0:threads]
            if t < step:
                a, b = buf[t], buf[t + step]
                buf[t] = a if (a != a or a > b) else b
            cuda.syncthreads()
            step //= 2
        m = buf[0]
        cuda.syncthreads()  # everyone has read buf[0] before it is reused
        acc = zero
        for k in range(t, n, threads):
            acc += math.exp(x[row, k] - m)
        buf[t] = acc
        cuda.syncthreads()
        step = threads // 2
        while step > 0:  # tree: buf[0] = Σ buf[0:threads]
            if t < step:
                buf[t] += buf[t + step]
            cuda.syncthreads()
            step //= 2
        if t == 0:
            row_max[row] = m
            row_sum[row] = buf[0]
    return row_stats


def row_stats(x: Array, threads: int = MAX_THREADS) -> tuple[Array, Array]:
    """(m, Σ e^(x - m)) of each row of a contiguous (rows, n) array, n > 0."""
    rows = x.shape[0]
    row_max, row_sum = (cuda.device_array(rows, x.dtype) for _ in range(2))
    if rows:
        threads = threads_for(x.shape[1], threads)
        _stats_kernel(x.dtype, threads)[rows, threads](
            x, row_max, row_sum, constant(x.dtype, -np.inf), constant(x.dtype, 0))
    return row_max, row_sum


@cuda.jit
def _softmax_elements(x, row_max, row_sum, log, out):
    """out[r, k] = e^(x - m)/s, or x - m - ln s when ``log``; one thread per element."""
    i = cuda.grid(1)
    if i < out.size:
        r, k = i // x.shape[1], i % x.shape[1]
        if log:
            out[r, k] = x[r, k] - row_max[r] - math.log(row_sum[r])
        else:
            out[r, k] = math.exp(x[r, k] - row_max[r]) / row_sum[r]


@cuda.jit
def _cross_entropy_rows(x, target, ignore_index, row_max, row_sum, loss, zero):
    """loss[r] = m + ln s - x[r, target[r]], 0 for an ignored row; one thread per row."""
    r = cuda.grid(1)
    if r < loss.size:
        y = target[r]
        loss[r] = zero if y == ignore_index else row_max[r] + math.log(row_sum[r]) - x[r, y]


@cuda.jit
def _cross_entropy_backward_elements(x, target, ignore_index, grad, row_max, row_sum, out, zero,
                                     one):
    """out[r, k] = grad[r]·(softmax(x[r])ₖ - [k == target[r]]), 0 for an ignored row."""
    i = cuda.grid(1)
    if i < out.size:
        r, k = i // x.shape[1], i % x.shape[1]
        y = target[r]
        if y == ignore_index:
            out[r, k] = zero
        else:
            p = math.exp(x[r, k] - row_max[r]) / row_sum[r]
            out[r, k] = grad[r] * (p - one) if k == y else grad[r] * p


def _softmax(x: Array, axis: int, log: bool, threads: int) -> Array:
    """softmax or log_softmax along axis: the axis is moved last (a permuted copy) when needed."""
    shape = tuple(x.shape) if x.ndim else (1,)
    axis = axis % len(shape)
    last = len(shape) - 1
    order = tuple(d for d in range(len(shape)) if d != axis) + (axis,)
    moved = contiguous(x) if axis == last else permute_copy(x, order)
    n = shape[axis]
    rows = moved.size // n if n else 0
    out = cuda.device_array((rows, n), x.dtype)
    if out.size:
        table = moved.reshape(rows, n)
        row_max, row_sum = row_stats(table, threads)
        _softmax_elements[blocks_for(out.size, threads_for(out.size)), threads_for(out.size)](
            table, row_max, row_sum, log, out)
    out = out.reshape(tuple(moved.shape))
    if axis != last:
        out = permute_copy(out, tuple(np.argsort(order)))
    return out.reshape(tuple(x.shape))


def softmax(x: Array, axis: int, threads: int = MAX_THREADS) -> Array:
    """e^(x - max) / Σ e^(x - max) along axis (a 0-dim x is one row)."""
    return _softmax(x, axis, False, threads)


def log_softmax(x: Array, axis: int, threads: int = MAX_THREADS) -> Array:
    """x - max - ln Σ e^(x - max) along axis."""
    return _softmax(x, axis, True, threads)


def cross_entropy(logits: Array, target: Array, ignore_index: int = -100,
                  threads: int = MAX_THREADS) -> Array:
    """Per-row loss -log_softmax(logits)[r, target[r]] of a (rows, classes) array and int64
    targets (0 where the target is ``ignore_index``), torch's ``reduction='none'``."""
    logits = contiguous(logits)
    loss = cuda.device_array(logits.shape[0], logits.dtype)
    if loss.size:
        row_max, row_sum = row_stats(logits, threads)
        _cross_entropy_rows[blocks_for(loss.size, threads_for(loss.size)), threads_for(loss.size)](
            logits, contiguous(as_device(target)), ignore_index, row_max, row_sum, loss,
            constant(logits.dtype, 0))
    return loss


def cross_entropy_backward(logits: Array, target: Array, grad: Array, ignore_index: int = -100,
                           threads: int = MAX_THREADS) -> Array:
    """d loss / d logits for the per-row loss above and its incoming gradient grad (rows,)."""
    logits = contiguous(logits)
    out = cuda.device_array(logits.shape, logits.dtype)
    if out.size:
        row_max, row_sum = row_stats(logits, threads)
        _cross_entropy_backward_elements[blocks_for(out.size, threads_for(out.size)), threads_for(out.size)](
            logits, contiguous(as_device(target)), ignore_index, contiguous(as_device(grad)),
            row_max, row_sum, out, constant(logits.dtype, 0), constant(logits.dtype, 1))
    return out
