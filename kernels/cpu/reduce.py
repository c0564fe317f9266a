"""Sums along one axis of a contiguous 2-d array, parallel over the axis that is kept.

``sum_axis0`` gives ``out[j] = Σᵢ x[i, j]`` (a bias gradient: the sum over the batch), and
``sum_axis1`` gives ``out[i] = Σⱼ x[i, j]`` (a sum over each row). Rules of both kernels:

* **no races**: the ``prange`` loop runs over what is kept (blocks of columns, or rows), so each
  thread writes its own outputs and no two iterations touch the same one;
* **no allocation in the loop**: the outputs (and the row partial sums) exist before the loop;
* **contiguous access**: the innermost loop walks along a row, the order of memory. Summing a
  column top to bottom would jump a whole row at each step; instead each thread owns a block of
  ``COLUMN_BLOCK`` columns and adds row after row into that block of ``out``, which stays in L1;
* **the order of the additions is fixed** by the data's shape, never by the threads: the result
  is the same on every run. It is not NumPy's or torch's order (both sum the last axis pairwise;
  NumPy sums axis 0 row after row, as ``sum_axis0`` does), so float32 results differ from
  torch's by a rounding that grows like √n (the ``reduction`` tolerance of the tests).

``sum_axis1`` keeps ``LANES`` running sums per row (element j goes to lane j mod LANES), which the
compiler turns into one vector register, then adds the lanes pairwise: a plain one-accumulator
loop could not use SIMD, since reordering float additions is not allowed without ``fastmath``.

The mixin ``ReduceKernels`` overrides ``sum`` only where the kernels were measured faster than
``np.add.reduce``; everything else goes to ``super()``. Measured (2 cores shared with other work,
median µs per call, kernel / np.add.reduce / torch.sum with 2 threads, one process):

==================  ==================  ==================
float32             axis 0              axis 1
==================  ==================  ==================
(256, 512)          ~8 / 13-18 / 12     24 / 25 / 9
(512, 64)           9.5 / 15.7 / 8.9    12.1 / 17.3 / 7.9
(4096, 128)         37 / 100 / 32       84 / 145 / 20
(1024, 1024)        61-91 / 106 / 163   190 / 173 / 37
float64 (256, 512)  10 / 19 / 22        20 / 27 / 9
==================  ==================  ==================

So: the leading dims (axis 0 of the 2-d view: bias gradients) always go to ``sum_axis0``; the
trailing dims only for rows of at most ``SHORT_ROW`` elements, where NumPy's per-row overhead
dominates (for long rows NumPy's own pairwise SIMD sum is as fast). The figures are noisy: on a
loaded machine a parallel kernel (torch's too) sometimes waits a whole scheduler slice (~16 ms).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

COLUMN_BLOCK = 128
"""Columns each thread of ``sum_axis0`` sums at once: one block of ``out`` that stays in L1."""
LANES = 8
"""Running sums per row in ``sum_axis1``: 8 float32 fill one 256-bit vector register."""
SHORT_ROW = 128
"""Longest row whose sum goes to ``sum_axis1`` (NumPy wins on longer rows)."""
REDUCE_MIN = 1 << 15
"""Smallest array given to a kernel: below it, starting the threads costs more than they save."""

_FLOATS = frozenset({np.dtype(np.float32), np.dtype(np.float64)})
_JIT = {"parallel": True, "cache": True, "error_model": "numpy"}


@njit(**_JIT)
def sum_axis0(x: np.ndarray, out: np.ndarray) -> None:
    """out[j] = Σᵢ x[i, j], each block of columns summed row after row by one thread."""
    rows, cols = x.shape
    for block in prange((cols + COLUMN_BLOCK - 1) // COLUMN_BLOCK):
        start = block * COLUMN_BLOCK
        stop = min(start + COLUMN_BLOCK, cols)
        acc = out[start:stop]
        acc[:] = 0
        for i in range(rows):
            acc += x[i, start:stop]


@njit(**_JIT)
def sum_axis1(x: np.ndarray, lanes: np.ndarray, out: np.ndarray) -> None:
    """out[i] = Σⱼ x[i, j]: LANES running sums per row (lanes[i]), then added pairwise."""
    rows, cols = x.shape
    full = cols - cols % LANES
    zero = x.dtype.type(0)
    for i in prange(rows):
        acc = lanes[i]
        for k in range(LANES):
            acc[k] = zero
        for j in range(0, full, LANES):
            for k in range(LANES):
                acc[k] += x[i, j + k]
        for j in range(full, cols):
            acc[j - full] += x[i, j]
        width = LANES
        while width > 1:
            width //= 2
            for k in range(width):
                acc[k] += acc[k + width]
        out[i] = acc[0]


def _split(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(rows, cols, reduced axis of the (rows, cols) view) when axes are the leading or the
    trailing dims of shape, else None."""
    k, ndim = len(axes), len(shape)
    if 0 < k < ndim and axes == tuple(range(k)):
        rows = int(np.prod(shape[:k]))
        return rows, int(np.prod(shape[k:])), 0
    if 0 < k < ndim and axes == tuple(range(ndim - k, ndim)):
        rows = int(np.prod(shape[:ndim - k]))
        return rows, int(np.prod(shape[ndim - k:])), 1
    return None


class ReduceKernels:
    """Backend mixin: ``sum`` over the leading or the trailing dims of a large contiguous array."""

    def sum(self, x: np.ndarray, axis: int | tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
        if (x.size < REDUCE_MIN or type(axis) is not tuple or x.dtype not in _FLOATS
                or not x.flags.c_contiguous):
            return super().sum(x, axis, keepdims)
        split = _split(x.shape, axis)
        if split is None:
            return super().sum(x, axis, keepdims)
        rows, cols, reduced = split
        if reduced == 1 and cols > SHORT_ROW:
            return super().sum(x, axis, keepdims)
        flat = x.reshape(rows, cols)
        if reduced == 0:
            out = np.empty(cols, x.dtype)
            sum_axis0(flat, out)
        else:
            out = np.empty(rows, x.dtype)
            sum_axis1(flat, np.empty((rows, LANES), x.dtype), out)
        kept = [1 if d in axis else n for d, n in enumerate(x.shape)] if keepdims else [
            n for d, n in enumerate(x.shape) if d not in axis]
        return out.reshape(kept)
