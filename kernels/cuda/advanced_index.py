"""Advanced indexing by offsets: read, write or add elements at arbitrary places of an array.

``x[index arrays]`` is computed in two steps. The host-side launcher (in the cuda backend) turns
the index into an int64 array of **offsets**, one per result element, with elementwise kernels
(each index times its dimension's stride, plus the positions along the sliced dimensions). Then
one kernel here moves the data, **one thread per offset**:

* ``take``: out[i] = flat[offsets[i]]: each thread writes its own output element (no race);
* ``put``: flat[offsets[i]] = values[i]: a repeated offset is written by several threads, and
  which one lands last is not defined (NumPy's and torch's rule too);
* ``add``: flat[offsets[i]] += values[i] with ``cuda.atomic.add``: repeated offsets add up, in a
  run-dependent order (a float sum may differ by rounding from run to run).

``flat`` is the 1-d storage of the indexed array (``device.flat_storage``), so a strided view is
written in place; ``values`` is read through its strides, broadcast to the offsets' shape.
"""

from __future__ import annotations

from numba import cuda

from .device import Array, as_device, blocks_for, broadcast_strides, offset_of, threads_for


@cuda.jit
def _take_kernel(flat, offsets, out):
    """out[i] = flat[offsets[i]]."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = flat[offsets[i]]


@cuda.jit
def _put_kernel(flat, offsets, values, v_strides, shape, accumulate):
    """flat[offsets[i]] = values at position i (+= atomically when accumulating)."""
    i = cuda.grid(1)
    if i < offsets.size:
        v = values[offset_of(i, shape, v_strides)]
        if accumulate:
            cuda.atomic.add(flat, offsets[i], v)
        else:
            flat[offsets[i]] = v


def take(flat: Array, offsets: Array) -> Array:
    """The elements of flat at offsets (contiguous int64), shaped as offsets."""
    out = cuda.device_array(tuple(offsets.shape), flat.dtype)
    if out.size:
        threads = threads_for(out.size)
        _take_kernel[blocks_for(out.size, threads), threads](
            flat, offsets.reshape(offsets.size), out.reshape(out.size))
    return out


def put(flat: Array, offsets: Array, values: Array | float, accumulate: bool) -> None:
    """flat[offsets] = values (or += with accumulate), values broadcast to offsets' shape."""
    if not offsets.size:
        return
    shape = tuple(offsets.shape) or (1,)
    values, strides = broadcast_strides(as_device(values, flat.dtype), tuple(offsets.shape))
    threads = threads_for(offsets.size)
    _put_kernel[blocks_for(offsets.size, threads), threads](
        flat, offsets.reshape(offsets.size), values, strides or (0,), shape, accumulate)
