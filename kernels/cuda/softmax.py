"""softmax, log_softmax and cross-entropy: one block per row, max and sum in shared memory.

softmax(x)ᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m) with m = maxⱼ xⱼ: subtracting the row's maximum keeps every
exponent ≤ 0 (no overflow: ``[1000, 0]`` works), and log_softmax(x)ᵢ = xᵢ - m - ln Σⱼ e^(xⱼ - m)
never takes the log of a rounded-to-zero probability.

Rules of the row kernels (x contiguous (rows, n); block r handles row r with T threads):

* thread t visits the elements t, t + T, t + 2T, ... of the row: consecutive threads read
  consecutive addresses (**coalesced**), and every element is read by exactly one thread;
* the T private maxima meet in **shared memory** (T values of the dtype) and are combined as a
  tree with ``cuda.syncthreads()`` between levels; then the same buffer adds up the T private
  sums of exponentials; every thread then reads the row's m and Σ from ``buf[0]``;
* each output element is written by the one thread that read it: no race, no atomics.

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

from .device import MAX_THREADS, Array, as_device, constant, threads_for
from .elementwise import contiguous, permute_copy


@cuda.jit(device=True)
def _tree_max(buf, t, threads):
    """buf[0] = max of buf[0:threads] (nan wins); every thread of the block must call it."""
    cuda.syncthreads()
    step = threads // 2
    while step > 0:
        if t < step:
            a, b = buf[t], buf[t + step]
            buf[t] = a if (a != a or a > b) else b
        cuda.syncthreads()
        step //= 2


@cuda.jit(device=True)
def _tree_sum(buf, t, threads):
    """buf[0] = Σ buf[0:threads]; every thread of the block must call it."""
    cuda.syncthreads()
    step = threads // 2
    while step > 0:
        if t < step:
            buf[t] += buf[t + step]
        cuda.syncthreads()
        step //= 2


@cuda.jit(device=True)
def _row_max_and_sum(x, row, buf, t, threads, lowest, zero):
    """(m, Σ e^(x - m)) of the row, computed by the whole block through ``buf``."""
    n = x.shape[1]
    acc = lowest
    for k in range(t, n, threads):
        v = x[row, k]
        acc = v if (v != v or v > acc) else acc
    buf[t] = acc
    _tree_max(buf, t, threads)
    m = buf[0]
    cuda.syncthreads()  # everyone has read buf[0] before it is reused
    acc = zero
    for k in range(t, n, threads):
        acc += math.exp(x[row, k] - m)
    buf[t] = acc
    _tree_sum(buf, t, threads)
    return m, buf[0]


@cache
def _row_kernels(dtype: np.dtype, threads: int):
    item = numba.from_dtype(dtype)

    @cuda.jit
    def softmax_rows(x, out, log, lowest, zero):
        """out[r] = softmax(x[r]) (log_softmax when ``log``); shared: ``threads`` values."""
        buf = cuda.shared.array(threads, item)
        t, row = cuda.threadIdx.x, cuda.blockIdx.x
        m, s = _row_max_and_sum(x, row, buf, t, threads, lowest, zero)
        log_s = math.log(s)
        for k in range(t, x.shape[1], threads):
            if log:
                out[row, k] = x[row, k] - m - log_s
            else:
                out[row, k] = math.exp(x[row, k] - m) / s

    @cuda.jit
    def cross_entropy_rows(x, target, ignore_index, loss, lowest, zero):
        """loss[r] = m + ln Σ - x[r, target[r]], 0 for an ignored row."""
        buf = cuda.shared.array(threads, item)
        t, row = cuda.threadIdx.x, cuda.blockIdx.x
        m, s = _row_max_and_sum(x, row, buf, t, threads, lowest, zero)
        if t == 0:
            y = target[row]
            loss[row] = zero if y == ignore_index else m + math.log(s) - x[row, y]

    @cuda.jit
    def cross_entropy_backward_rows(x, target, ignore_index, grad, out, lowest, zero, one):
        """out[r, k] = grad[r]·(softmax(x[r])ₖ - [k == target[r]]), 0 for an ignored row."""
        buf = cuda.shared.array(threads, item)
        t, row = cuda.threadIdx.x, cuda.blockIdx.x
        m, s = _row_max_and_sum(x, row, buf, t, threads, lowest, zero)
        y, g = target[row], grad[row]
        for k in range(t, x.shape[1], threads):
            if y == ignore_index:
                out[row, k] = zero
            else:
                p = math.exp(x[row, k] - m) / s
                out[row, k] = g * (p - one) if k == y else g * p

    return softmax_rows, cross_entropy_rows, cross_entropy_backward_rows


def _kernels(x: Array, threads: int):
    """The row kernels for x's dtype and a block of threads_for(row length) threads."""
    threads = threads_for(x.shape[1], threads)
    return threads, _row_kernels(x.dtype, threads)


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
        threads, (softmax_rows, _, _) = _kernels(out, threads)
        softmax_rows[rows, threads](moved.reshape(rows, n), out, log,
                                    constant(x.dtype, -np.inf), constant(x.dtype, 0))
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
        threads, (_, rows_kernel, _) = _kernels(logits, threads)
        rows_kernel[logits.shape[0], threads](logits, contiguous(as_device(target)), ignore_index,
                                              loss, constant(logits.dtype, -np.inf),
                                              constant(logits.dtype, 0))
    return loss


def cross_entropy_backward(logits: Array, target: Array, grad: Array, ignore_index: int = -100,
                           threads: int = MAX_THREADS) -> Array:
    """d loss / d logits for the per-row loss above and its incoming gradient grad (rows,)."""
    logits = contiguous(logits)
    out = cuda.device_array(logits.shape, logits.dtype)
    if out.size:
        threads, (_, _, rows_kernel) = _kernels(logits, threads)
        rows_kernel[logits.shape[0], threads](
            logits, contiguous(as_device(target)), ignore_index, contiguous(as_device(grad)), out,
            constant(logits.dtype, -np.inf), constant(logits.dtype, 0), constant(logits.dtype, 1))
    return out
