"""Indexing kernels: take (index_select), gather, and scatter-add with atomics.

* ``take`` and ``gather`` run **one thread per output element**: the thread finds where its element
  comes from (an index read, then an offset through the input's strides) and writes its own output
  element only: no race. Their reads of x are scattered (that is what an index does): only the
  writes and the index reads are coalesced.
* ``scatter_add`` runs one thread per source element, and two threads may add into the same
  destination (repeated indices): the add is ``cuda.atomic.add``, an indivisible read-add-write.
  The additions then happen in an order that changes from run to run: **in float the result is
  not deterministic** (it differs by rounding between runs), unlike torch's CPU scatter_add.

Indices must lie in [0, size of the axis) (the caller checks and wraps negative ones, as torch's
ops do before they reach a kernel); the index array is int64.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .device import Array, as_device, blocks_for, flat_storage, offset_of, threads_for
from .elementwise import contiguous


@cuda.jit
def _take_kernel(x, x_strides, index, out, shape, axis_stride, index_size, inner):
    """out[o, j, k] = x[o, index[j], k]: ``shape`` is x's shape with the axis' length set to 1, so
    that offset_of gives the offset of (o, 0, k)."""
    i = cuda.grid(1)
    if i < out.size:
        k = i % inner
        j = (i // inner) % index_size
        o = i // (inner * index_size)
        out[i] = x[offset_of(o * inner + k, shape, x_strides) + index[j] * axis_stride]


@cuda.jit
def _gather_kernel(x, x_strides, index, index_strides, out, shape, axis_stride):
    """out[p] = x[p with its axis coordinate replaced by index[p]], p over index's ``shape``
    (x_strides has 0 along the axis)."""
    i = cuda.grid(1)
    if i < out.size:
        row = index[offset_of(i, shape, index_strides)]
        out[i] = x[offset_of(i, shape, x_strides) + row * axis_stride]


@cuda.jit
def _scatter_add_kernel(x, x_strides, index, index_strides, src, src_strides, shape, axis_stride,
                        size):
    """x[p with its axis coordinate replaced by index[p]] += src[p], atomically."""
    i = cuda.grid(1)
    if i < size:
        row = index[offset_of(i, shape, index_strides)]
        target = offset_of(i, shape, x_strides) + row * axis_stride
        cuda.atomic.add(x, target, src[offset_of(i, shape, src_strides)])


def _launch(kernel, size: int, *args) -> None:
    threads = threads_for(size)
    kernel[blocks_for(size, threads), threads](*args)


def take(x: Array, index: Array, axis: int) -> Array:
    """torch.index_select: the slices of x at the positions ``index`` (1-d) along axis."""
    axis %= x.ndim
    index = contiguous(as_device(index, np.int64))
    index = index.reshape(index.size)
    shape = tuple(x.shape)
    out_shape = shape[:axis] + (index.size,) + shape[axis + 1:]
    out = cuda.device_array(out_shape, x.dtype)
    if out.size:
        flat, strides = flat_storage(x)
        inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
        _launch(_take_kernel, out.size, flat, strides, index, out.reshape(out.size),
                shape[:axis] + (1,) + shape[axis + 1:], strides[axis], index.size, inner)
    return out


def _axis_strides(x: Array, axis: int) -> tuple[Array, tuple[int, ...], int]:
    """x's flat storage, its strides with 0 along axis, and the axis' stride."""
    flat, strides = flat_storage(x)
    return flat, strides[:axis] + (0,) + strides[axis + 1:], strides[axis]


def gather(x: Array, axis: int, index: Array) -> Array:
    """torch.gather: out[i][j] = x[i][index[i][j]] (axis 1), out of index's shape."""
    axis %= x.ndim
    index = as_device(index, np.int64)
    out = cuda.device_array(tuple(index.shape), x.dtype)
    if out.size:
        flat, strides, axis_stride = _axis_strides(x, axis)
        flat_index, index_strides = flat_storage(index)
        _launch(_gather_kernel, out.size, flat, strides, flat_index, index_strides,
                out.reshape(out.size), tuple(index.shape), axis_stride)
    return out


def scatter_add(x: Array, axis: int, index: Array, src: Array) -> None:
    """torch.Tensor.scatter_add_: x[i][index[i][j]] += src[i][j] (axis 1), in place, with
    atomics: repeated indices add up, in a run-dependent order."""
    axis %= x.ndim
    index = as_device(index, np.int64)
    if index.size:
        flat, strides, axis_stride = _axis_strides(x, axis)
        flat_index, index_strides = flat_storage(index)
        flat_src, src_strides = flat_storage(as_device(src, x.dtype))
        _launch(_scatter_add_kernel, index.size, flat, strides, flat_index, index_strides,
                flat_src, src_strides, tuple(index.shape), axis_stride, index.size)
