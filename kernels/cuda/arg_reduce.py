"""argmax and argmin: the index of the first extreme value along an axis, one thread per row.

The axis is first moved last by a permuted copy (``elementwise.permute_copy``) when it is not
already, so the input is a contiguous (rows, n) array; thread r walks row r from left to right and
keeps the first position whose value beats the best so far (strictly: ties keep the earlier
index). A nan beats everything and stops the walk (torch returns the first nan). Each thread
writes its own output element: no race, no shared memory. A row per thread reads with a stride
of n between neighbouring threads (not coalesced): a tree per row, as in ``reduce.py``, would
pay off for long rows; the rows of a classifier's logits are short.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numba import cuda

from .device import Array, blocks_for, threads_for
from .elementwise import contiguous, permute_copy


@cache
def _arg_kernel(largest: bool):
    @cuda.jit
    def kernel(x, out):
        """out[r] = the first index of the max (or min) of x[r], or of its first nan."""
        r = cuda.grid(1)
        if r < out.size:
            best, where = x[r, 0], 0
            if best == best:
                for k in range(1, x.shape[1]):
                    v = x[r, k]
                    if v != v:
                        where = k
                        break
                    if (v > best) if largest else (v < best):
                        best, where = v, k
            out[r] = where
    return kernel


def arg_extreme(x: Array, axis: int | None, keepdims: bool, largest: bool) -> Array:
    """The int64 index of the first max (largest) or min along axis (of the flattened x when
    None), NumPy's argmax/argmin."""
    shape = tuple(x.shape)
    if axis is None:
        rows, n = 1, x.size
        moved = contiguous(x)
        final = (1,) * len(shape) if keepdims else ()
    else:
        axis %= len(shape)
        order = tuple(d for d in range(len(shape)) if d != axis) + (axis,)
        moved = contiguous(x) if axis == len(shape) - 1 else permute_copy(x, order)
        n = shape[axis]
        rows = x.size // n if n else 0
        final = tuple(1 if d == axis else m for d, m in enumerate(shape)) if keepdims \
            else tuple(m for d, m in enumerate(shape) if d != axis)
    if n == 0:
        raise ValueError("attempt to get argmax of an empty sequence")
    out = cuda.device_array(rows, np.int64)
    if rows == 0:
        return out.reshape(final)
    threads = threads_for(rows)
    _arg_kernel(largest)[blocks_for(rows, threads), threads](moved.reshape(rows, n), out)
    return out.reshape(final)
