"""Reductions: sum, max and min along axes, as a shared-memory tree per block, then a second pass.

Two kernels, chosen by the layout:

* ``_rows_kernel`` reduces each row of a contiguous (rows, n) array. The grid is
  (blocks_per_row, rows): block b of row r first lets each of its T threads add up, privately, the
  elements b·T + t, b·T + t + T·B, ... of the row (a grid-stride loop: consecutive threads read
  consecutive addresses, so the reads are **coalesced**); then the T partial results meet in
  **shared memory** (``cuda.shared.array(T)``, T a power of two known when the kernel compiles)
  and are combined as a tree: T/2 threads add pairs, then T/4, ... with a ``cuda.syncthreads()``
  between the levels (a thread reads only what the level before finished writing: no race, no
  atomics). Thread 0 writes the block's result. With B > 1 blocks per row the results form a
  (rows, B) array, reduced by a **second pass** of the same kernel with one block per row.
* ``_columns_kernel`` reduces the middle axis of a contiguous (outer, n, inner) array: one thread
  per output element (o, i) loops over k; the threads of a warp (consecutive i) read consecutive
  addresses at each step, coalesced again, without shared memory.

Other axes (several, or a strided input) are first moved last by a permuted copy
(``elementwise.permute_copy``), then reduced as rows. The sums add in a tree, not in NumPy's or
torch's order: float32 results differ from theirs by rounding (the suite's ``reduction``
tolerance). max and min propagate nan, as torch does.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
from numba import cuda

from .device import MAX_THREADS, Array, blocks_for, constant, full, threads_for
from .elementwise import contiguous, permute_copy

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}


@cuda.jit(device=True)
def _sum(a, b):
    return a + b


@cuda.jit(device=True)
def _max(a, b):
    return a if (a != a or a > b) else b


@cuda.jit(device=True)
def _min(a, b):
    return a if (a != a or a < b) else b


COMBINE = {"sum": _sum, "max": _max, "min": _min}


def identity(op: str, dtype: np.dtype) -> np.generic:
    """The value that changes nothing: 0 for sum, the lowest value for max, the highest for min."""
    if op == "sum":
        return constant(dtype, 0)
    lowest = -np.inf if dtype.kind == "f" else np.iinfo(dtype).min
    highest = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return constant(dtype, lowest if op == "max" else highest)


@cache
def _rows_kernel(op: str, dtype: np.dtype, threads: int):
    combine, item = COMBINE[op], numba.from_dtype(dtype)

    @cuda.jit
    def kernel(x, out, start):
        """out[r, b] = op over the elements of row r that block b visits; shared: ``threads``
        values of x's dtype."""
        partial = cuda.shared.array(threads, item)
        t, b, row = cuda.threadIdx.x, cuda.blockIdx.x, cuda.blockIdx.y
        acc = start
        for k in range(b * threads + t, x.shape[1], threads * cuda.gridDim.x):
            acc = combine(acc, x[row, k])
        partial[t] = acc
        cuda.syncthreads()
        step = threads // 2
        while step > 0:
            if t < step:
                partial[t] = combine(partial[t], partial[t + step])
            cuda.syncthreads()
            step //= 2
        if t == 0:
            out[row, b] = partial[0]
    return kernel


@cache
def _columns_kernel(op: str):
    combine = COMBINE[op]

    @cuda.jit
    def kernel(x, out, start):
        """out[o, i] = op over k of x[o, k, i]: one thread per output element."""
        i = cuda.grid(1)
        if i < out.size:
            o, j = i // x.shape[2], i % x.shape[2]
            acc = start
            for k in range(x.shape[1]):
                acc = combine(acc, x[o, k, j])
            out[o, j] = acc
    return kernel


def reduce_rows(op: str, x: Array, threads: int = MAX_THREADS,
                blocks_per_row: int | None = None) -> Array:
    """op along the last axis of a contiguous 2-d x: a (rows,) array. Rows with more elements
    than one block reads in four steps get several blocks, then a second pass."""
    rows, n = x.shape
    threads = threads_for(n, threads)
    if blocks_per_row is None:
        blocks_per_row = 1 if rows >= 32 else min(blocks_for(n, 4 * threads), 128)
    start = identity(op, x.dtype)
    out = cuda.device_array((rows, blocks_per_row), x.dtype)
    _rows_kernel(op, x.dtype, threads)[(blocks_per_row, rows), threads](x, out, start)
    if blocks_per_row > 1:
        return reduce_rows(op, out, threads, 1)
    return out.reshape(rows)


def reduce(op: str, x: Array, axis: int | tuple[int, ...] | None = None, keepdims: bool = False,
           threads: int = MAX_THREADS) -> Array:
    """op ("sum", "max" or "min") of x over axis (all axes when None), a new array."""
    if op not in COMBINE:
        raise ValueError(f"unknown reduction {op!r}")
    ndim = x.ndim
    axes = tuple(range(ndim)) if axis is None else (
        (axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(sorted(a % ndim for a in axes)) if ndim else ()
    kept = tuple(d for d in range(ndim) if d not in axes)
    kept_shape = tuple(x.shape[d] for d in kept)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    final = tuple(1 if d in axes else x.shape[d] for d in range(ndim)) if keepdims else kept_shape
    if n == 0 and op != "sum":
        raise ValueError(f"{op} of an empty axis has no identity")
    rows = int(np.prod(kept_shape, dtype=np.int64))
    if rows == 0 or n == 0:
        return full(final, identity(op, x.dtype), x.dtype)
    if len(axes) == 1 and axes[0] != ndim - 1 and x.is_c_contiguous():
        a = axes[0]
        inner = int(np.prod(x.shape[a + 1:], dtype=np.int64))
        out = cuda.device_array((rows // inner, inner), x.dtype)
        t = threads_for(rows, threads)
        _columns_kernel(op)[blocks_for(rows, t), t](
            x.reshape(rows // inner, n, inner), out, identity(op, x.dtype))
        return out.reshape(final)
    moved = permute_copy(x, kept + axes) if axes != tuple(range(ndim - len(axes), ndim)) \
        else contiguous(x)
    return reduce_rows(op, moved.reshape(rows, n), threads).reshape(final)
