"""Creation kernels: arange, eye, and the dtype conversion (cast); ``device.full`` fills.

Each kernel runs **one thread per output element** and writes that element only (no race). The
values are computed where they are stored: ``arange`` computes ``start + i·step`` per element
(one rounding per value, as torch does, instead of adding ``step`` again and again), ``eye``
tests ``row == column``. ``cast`` reads x through its strides and stores into an array of another
dtype: the store converts (float → bool is ``x != 0``, float → int truncates toward zero).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .device import Array, blocks_for, constant, flat_storage, offset_of, threads_for


@cuda.jit
def _arange_kernel(out, start, step):
    """out[i] = start + i·step, computed in the type of start and step, stored as out's dtype."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = start + i * step


@cuda.jit
def _eye_kernel(out, columns, one, zero):
    """out[r, c] = 1 where r == c, else 0 (out flat, ``columns`` per row)."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = one if i // columns == i % columns else zero


@cuda.jit
def _cast_kernel(x, x_strides, out, shape):
    """out[i] = x at position i, converted to out's dtype by the store."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = x[offset_of(i, shape, x_strides)]


def _launch(kernel, size: int, *args) -> None:
    threads = threads_for(size)
    kernel[blocks_for(size, threads), threads](*args)


def arange(start: float, end: float, step: float, dtype: np.dtype) -> Array:
    """[start, end) by step, NumPy's length ⌈(end - start)/step⌉; float values are computed in
    float64 (int64 for an integer dtype), then stored as dtype."""
    dtype = np.dtype(dtype)
    n = max(int(np.ceil((end - start) / step)), 0)
    out = cuda.device_array(n, dtype)
    if n:
        kind = np.int64 if dtype.kind in "iub" else np.float64
        _launch(_arange_kernel, n, out, kind(start), kind(step))
    return out


def eye(n: int, m: int, dtype: np.dtype) -> Array:
    """The n×m identity matrix."""
    out = cuda.device_array((n, m), dtype)
    if out.size:
        _launch(_eye_kernel, out.size, out.reshape(out.size), m, constant(dtype, 1),
                constant(dtype, 0))
    return out


def cast(x: Array, dtype: np.dtype) -> Array:
    """x converted to dtype, as a new contiguous array (x may be any strided view)."""
    out = cuda.device_array(tuple(x.shape), dtype)
    if out.size:
        flat, strides = flat_storage(x)
        _launch(_cast_kernel, out.size, flat, strides or (0,), out.reshape(out.size),
                tuple(x.shape) or (1,))
    return out
