"""What every CUDA launcher shares: launch sizes, typed constants, and strided storage.

A CUDA kernel runs as a **grid** of **blocks** of **threads**; each thread reads its coordinates
(``cuda.grid(1)`` = ``blockIdx.x * blockDim.x + threadIdx.x``) and computes its own output
element(s). A *launcher* is the small host function that chooses the grid and block sizes,
allocates the output on the device and calls the kernel: ``kernel[blocks, threads](args...)``.

Strided inputs: a device array may be a view (transposed, sliced, broadcast). The kernels do not
index N-d arrays (a kernel cannot build an index tuple of run-time length); they read a **flat**
1-d array over the view's memory, starting at its first element, with the view's strides counted
in elements. Shapes and strides travel as tuples of ints: Numba passes a tuple by value in the
kernel's parameters (no copy to the device, unlike a host array) and compiles one version per
length, i.e. per number of dimensions.

Under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run in Numba's simulator, in Python, one thread
at a time: device arrays are then ``FakeCUDAArray`` wrappers of NumPy arrays.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .simulator import make_shared_arrays_thread_safe

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}

Array = object  # a numba device array (DeviceNDArray, or FakeCUDAArray in the simulator)
SIMULATOR = "simulator" in cuda.to_device.__module__  # which numba.cuda was imported
if SIMULATOR:
    make_shared_arrays_thread_safe()
MAX_THREADS = 256  # threads per block of the one-thread-per-element kernels


def threads_for(n: int, most: int = MAX_THREADS) -> int:
    """Threads per block for n work items: the next power of two ≥ n, at most ``most``
    (a tiny array gets a tiny block; a large one full blocks of ``most``)."""
    threads = 1
    while threads < min(n, most):
        threads *= 2
    return threads


def blocks_for(n: int, threads: int) -> int:
    """Blocks needed so that blocks·threads ≥ n (the last block is partly idle)."""
    return max(1, (n + threads - 1) // threads)


def constant(dtype: np.dtype, value: float) -> np.generic:
    """value as a scalar of dtype: passed to a kernel, it keeps float32 arithmetic in float32
    (a Python number would be typed as float64 or int64 and widen the computation)."""
    return np.dtype(dtype).type(value)


def is_device_array(x: object) -> bool:
    """Whether x is a Numba device array (real or simulated), not a host value."""
    return bool(getattr(x, "__cuda_ndarray__", False))


@cuda.jit
def _fill_kernel(out, value):
    """out[i] = value."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = value


def full(shape: tuple[int, ...], value: float, dtype: np.dtype) -> Array:
    """A new array of ``shape`` filled with value (cast to dtype once, on the host)."""
    out = cuda.device_array(shape, dtype)
    if out.size:
        threads = threads_for(out.size)
        _fill_kernel[blocks_for(out.size, threads), threads](out.reshape(out.size),
                                                             constant(dtype, value))
    return out


def as_device(x: Array | np.ndarray | float, dtype: np.dtype | None = None) -> Array:
    """A device array for x: x itself when on the device; a number becomes a 0-dim array of
    dtype filled by a kernel; a host array is copied to the device.

    A number travels as a kernel argument, as torch passes its scalars: a copy from the host
    (``cuda.to_device``) would first wait for every kernel already queued, at each use."""
    if is_device_array(x):
        return x
    if np.ndim(x) == 0:
        return full((), x, np.asarray(x).dtype if dtype is None else dtype)
    return cuda.to_device(np.asarray(x, dtype=dtype))


def to_host(x: Array) -> np.ndarray:
    """A host copy of a device array (what ``.numpy()`` needs)."""
    return x.copy_to_host()


def element_strides(x: Array) -> tuple[int, ...]:
    """x's strides counted in elements (Numba counts bytes)."""
    return tuple(s // x.dtype.itemsize for s in x.strides)


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The strides, in elements, of a row-major array of this shape."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def strided_view(x: Array, shape: tuple[int, ...], strides: tuple[int, ...]) -> Array:
    """A view of x's memory from its first element with this shape and these strides (in
    elements, ≥ 0): NumPy's ``as_strided`` for device arrays. Nothing is checked: the caller
    keeps every element inside x's memory."""
    itemsize = x.dtype.itemsize
    byte_strides = tuple(s * itemsize for s in strides)
    if SIMULATOR:
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray
        return FakeCUDAArray(np.lib.stride_tricks.as_strided(x._ary, shape, byte_strides))
    from numba.cuda.cudadrv.devicearray import DeviceNDArray
    return DeviceNDArray(shape, byte_strides, x.dtype, stream=x.stream, gpu_data=x.gpu_data)


def flat_storage(x: Array) -> tuple[Array, tuple[int, ...]]:
    """(a 1-d array over x's memory from its first element, x's strides in elements).

    Element (i₀, i₁, ...) of x is ``flat[i₀·s₀ + i₁·s₁ + ...]``. Strides must be ≥ 0 (torch's
    views never have negative strides)."""
    strides = element_strides(x)
    if any(s < 0 for s in strides):
        raise ValueError(f"negative strides {strides} are not supported")
    span = 1 + sum((n - 1) * s for n, s in zip(x.shape, strides)) if x.size else 0
    return strided_view(x, (span,), (1,)), strides


def broadcast_strides(x: Array, shape: tuple[int, ...]) -> tuple[Array, tuple[int, ...]]:
    """x's flat storage and its strides once broadcast to ``shape`` (stride 0 along the
    dimensions x repeats, NumPy's rule: align on the right, size 1 stretches)."""
    if x.ndim > len(shape) or any(n not in (1, m) for n, m in zip(x.shape[::-1], shape[::-1])):
        raise ValueError(f"shape {tuple(x.shape)} cannot be broadcast to {shape}")
    flat, strides = flat_storage(x)
    padded = (0,) * (len(shape) - x.ndim) + tuple(
        s if n > 1 else 0 for n, s in zip(x.shape, strides))
    return flat, padded


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast shape (ValueError when the shapes do not broadcast)."""
    return tuple(np.broadcast_shapes(*shapes))


@cuda.jit(device=True)
def offset_of(linear, shape, strides):
    """The flat offset of the element at row-major position ``linear`` of ``shape``, in an
    array with ``strides`` (in elements): unravel the position digit by digit, last axis first."""
    offset = 0
    for d in range(len(shape) - 1, -1, -1):
        offset += (linear % shape[d]) * strides[d]
        linear //= shape[d]
    return offset
