"""Device-side asserts: index values checked on the GPU, the failure reported at the next host read.

torch checks the class targets of ``cross_entropy`` and the positions of ``index_select``,
``gather`` or ``x[idx]`` inside its CUDA kernels (``CUDA_KERNEL_ASSERT``): the host does not wait
for the answer, and a failure surfaces later, as ``RuntimeError: CUDA error: device-side assert
triggered``, at the next call that waits for the GPU. Bringing the smallest and largest value back
to the host instead would make every training step wait for the GPU to finish its queue.

``clamp_and_flag`` runs one thread per value: it copies the value, clamped into ``[low, high)``
so that the kernels that use it next never read outside an array (their result is wrong anyway,
and the flag says so), and a value outside writes ``code`` into ``flag[0]``. Several threads may
write the flag at once, but they all write the same nonzero code, so no atomic operation is
needed. The backend reads ``flag`` when it copies something to the host anyway
(``CudaBackend.check_range``).
"""

from __future__ import annotations

from numba import cuda

from .device import Array, blocks_for, flat_storage, offset_of, threads_for

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here would add ``__warningregistry__``
# to those globals in the middle of such a read. It exists from the start instead.
__warningregistry__: dict = {}


@cuda.jit
def _clamp_and_flag_kernel(values, strides, shape, low, high, out, flag, code):
    """out[i] = the value at position i clamped into [low, high); flag[0] = code when it was not."""
    i = cuda.grid(1)
    if i < out.size:
        value = values[offset_of(i, shape, strides)]
        if value < low or value >= high:
            flag[0] = code
            value = low if value < low else high - 1
        out[i] = value


def clamp_and_flag(values: Array, low: int, high: int, flag: Array, code: int) -> Array:
    """A contiguous copy of ``values`` (any strided view) clamped into [low, high), with
    ``code`` written into ``flag[0]`` when one of them was outside. For integers the largest
    value kept is high - 1; for floats (a range check, not an index) the copy is not used."""
    out = cuda.device_array(tuple(values.shape), values.dtype)
    if out.size:
        flat, strides = flat_storage(values)
        threads = threads_for(out.size)
        _clamp_and_flag_kernel[blocks_for(out.size, threads), threads](
            flat, strides or (0,), tuple(values.shape) or (1,), values.dtype.type(low),
            values.dtype.type(high), out.reshape(out.size), flag, flag.dtype.type(code))
    return out
