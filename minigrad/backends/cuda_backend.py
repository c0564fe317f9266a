"""The cuda backend: every primitive of ``Backend`` on Numba device arrays, with the kernels of
``kernels/cuda``.

An array of this backend lives in the GPU's memory (a ``DeviceNDArray``; a ``FakeCUDAArray`` in
Numba's simulator, ``NUMBA_ENABLE_CUDASIM=1``). Each primitive is a launcher: it allocates the
result on the device and runs a kernel; nothing comes back to the host except where the answer
is needed there (``to_numpy``, ``any``, a boolean mask's positions), as in torch; index ranges
are checked on the device and reported at the next host read (torch's device-side assert,
``check_range``). This file holds creation, conversion, elementwise ops and
reductions; ``cuda_views.py`` the shapes, views and indexing; ``cuda_nn.py`` the network hot
paths.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numba import cuda

from kernels.cuda import arg_reduce, checks, creation, elementwise, matmul, reduce, sort
from kernels.cuda.device import SIMULATOR, element_strides, full, is_device_array
from kernels.cuda.random import XoroshiroGenerator

from .base import Array, Axis, Shape
from .cuda_nn import CudaNeuralNet
from .cuda_views import CudaViews, _stand_in

if SIMULATOR:
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as DeviceArray
else:
    from numba.cuda.cudadrv.devicearray import DeviceNDArray as DeviceArray


def _unary(op: str):
    """A primitive that runs the elementwise kernel ``op``."""
    def primitive(self: CudaBackend, x: Array) -> Array:
        return elementwise.unary(op, x)
    primitive.__name__ = op
    return primitive


def _binary(op: str):
    """A primitive that runs the broadcasting elementwise kernel ``op``."""
    def primitive(self: CudaBackend, a: Array, b: Array) -> Array:
        return elementwise.binary(op, a, b)
    primitive.__name__ = op
    return primitive


class CudaBackend(CudaViews, CudaNeuralNet):
    """Numba device arrays in the GPU's memory, every primitive a CUDA kernel."""

    name = "cuda"
    array_type = DeviceArray

    # checks queued on the device before the host reads their flag (bounds the closures kept)
    MAX_PENDING_CHECKS = 256

    def __init__(self) -> None:
        self.generator = XoroshiroGenerator(0)
        self._check_flag = full((1,), 0, np.int32)
        self._pending_checks: list[Callable[[], Exception]] = []

    # creation and random numbers
    def as_array(self, x: Any) -> Array:
        """x itself when on the device, else a host → device copy."""
        if is_device_array(x):
            return x
        return cuda.to_device(np.array(x, order="C"))

    def array(self, data: Any, dtype: Any) -> Array:
        """A host → device copy of data as dtype."""
        return cuda.to_device(np.array(data, dtype=dtype, order="C"))

    def zeros(self, shape: Shape, dtype: Any) -> Array:
        return full(shape, 0, dtype)

    def ones(self, shape: Shape, dtype: Any) -> Array:
        return full(shape, 1, dtype)

    def full(self, shape: Shape, value: float, dtype: Any) -> Array:
        return full(shape, value, dtype)

    def arange(self, start: float, end: float, step: float, dtype: Any) -> Array:
        return creation.arange(start, end, step, dtype)

    def eye(self, n: int, m: int, dtype: Any) -> Array:
        return creation.eye(n, m, dtype)

    def manual_seed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def rand(self, shape: Shape, dtype: Any) -> Array:
        return self.generator.rand(shape, dtype)

    def randn(self, shape: Shape, dtype: Any) -> Array:
        return self.generator.randn(shape, dtype)

    def randint(self, low: int, high: int, shape: Shape, dtype: Any) -> Array:
        return self.generator.randint(low, high, shape, dtype)

    def randperm(self, n: int, dtype: Any) -> Array:
        """The order that sorts n uniform keys drawn on the device (a bitonic sort, on the
        device too): a uniformly random permutation."""
        order = sort.argsort(self.generator.rand((n,), np.float64))
        return self.astype(order, dtype)

    # conversion and memory
    def to_numpy(self, x: Array) -> np.ndarray:
        """A device → host copy (the host round trip of ``.numpy()``, ``.item()``, printing),
        after the range checks queued so far (it waits for the GPU anyway)."""
        self._raise_failed_check()
        return elementwise.contiguous(x).copy_to_host()

    def check_range(self, values: Array, low: int, high: int, error: Callable[[], Exception]) -> Array:
        """torch's device-side assert: a kernel copies the values clamped into [low, high) (the
        kernels that use them next stay inside their arrays) and raises a flag when one was
        outside; the host reads the flag at its next copy to the host, which then raises
        ``RuntimeError: CUDA error: device-side assert triggered`` with ``error()``'s message.
        The op that queued the check goes on at once: as in torch, the failure surfaces late."""
        if not values.size:
            return values
        self._pending_checks.append(error)
        safe = checks.clamp_and_flag(values, low, high, self._check_flag, len(self._pending_checks))
        if len(self._pending_checks) >= self.MAX_PENDING_CHECKS:
            self._raise_failed_check()
        return safe

    def synchronize(self) -> None:
        """Wait for the GPU's queue; raise the failed range check, if any (``check_range``)."""
        cuda.synchronize()
        self._raise_failed_check()

    def _raise_failed_check(self) -> None:
        """Read the flag of the queued checks; raise for the one that failed, if any."""
        if not self._pending_checks:
            return
        pending, self._pending_checks = self._pending_checks, []
        code = int(self._check_flag.copy_to_host()[0])
        if code:
            self._check_flag = full((1,), 0, np.int32)
            raise RuntimeError(f"CUDA error: device-side assert triggered: {pending[code - 1]()}")

    def astype(self, x: Array, dtype: Any) -> Array:
        return x if x.dtype == dtype else creation.cast(x, dtype)

    def copy(self, x: Array) -> Array:
        return elementwise.copy(x)

    def contiguous(self, x: Array) -> Array:
        return x if self.is_contiguous(x) else elementwise.copy(x)

    def is_contiguous(self, x: Array) -> bool:
        return bool(_stand_in(x).flags.c_contiguous)

    def strides(self, x: Array) -> Shape:
        return element_strides(x)

    def assign(self, x: Array, value: Array | float) -> None:
        elementwise.copy_into(x, value)

    # elementwise, unary
    neg, abs, sign, exp, log = (_unary(op) for op in ("neg", "abs", "sign", "exp", "log"))
    sqrt, rsqrt, reciprocal = (_unary(op) for op in ("sqrt", "rsqrt", "reciprocal"))
    sin, cos, tanh, sigmoid, relu = (_unary(op) for op in ("sin", "cos", "tanh", "sigmoid", "relu"))
    floor, trunc, logical_not = (_unary(op) for op in ("floor", "trunc", "logical_not"))
    expm1, log1p, erf = (_unary(op) for op in ("expm1", "log1p", "erf"))

    # fused activation gradients
    tanh_backward, sigmoid_backward, relu_backward = (
        _binary(op) for op in ("tanh_backward", "sigmoid_backward", "relu_backward"))

    # elementwise, binary
    add, sub, mul, div, pow = (_binary(op) for op in ("add", "sub", "mul", "div", "pow"))
    maximum, minimum = _binary("maximum"), _binary("minimum")

    def floor_divide(self, a: Array, b: Array) -> Array:
        dtype = (b if is_device_array(b) else a).dtype
        return elementwise.binary("floor_divide" if dtype.kind == "f" else "floor_divide_int", a, b)

    def compare(self, op: str, a: Array, b: Array) -> Array:
        return elementwise.compare(op, a, b)

    def logical(self, op: str, a: Array, b: Array) -> Array:
        return elementwise.binary("logical_" + op, a, b)

    def bitwise(self, op: str, a: Array, b: Array) -> Array:
        dtype = (b if is_device_array(b) else a).dtype
        return elementwise.binary(("logical_" if dtype == np.bool_ else "bitwise_") + op, a, b)

    def bitwise_not(self, x: Array) -> Array:
        return elementwise.unary("logical_not" if x.dtype == np.bool_ else "bitwise_not", x)

    # elementwise, ternary
    def where(self, cond: Array, a: Array, b: Array) -> Array:
        return elementwise.where(cond, a, b)

    def clip(self, x: Array, low: Any, high: Any) -> Array:
        if low is not None:
            x = elementwise.binary("maximum", x, low)
        if high is not None:
            x = elementwise.binary("minimum", x, high)
        return x

    # reductions
    def sum(self, x: Array, axis: Axis, keepdims: bool) -> Array:
        return reduce.reduce("sum", x, axis, keepdims)

    def amax(self, x: Array, axis: Axis, keepdims: bool) -> Array:
        return reduce.reduce("max", x, axis, keepdims)

    def amin(self, x: Array, axis: Axis, keepdims: bool) -> Array:
        return reduce.reduce("min", x, axis, keepdims)

    def argmax(self, x: Array, axis: int | None, keepdims: bool) -> Array:
        return arg_reduce.arg_extreme(x, axis, keepdims, True)

    def argmin(self, x: Array, axis: int | None, keepdims: bool) -> Array:
        return arg_reduce.arg_extreme(x, axis, keepdims, False)

    def any(self, x: Array) -> bool:
        """A max reduction on the device, then one value back to the host (a Python bool)."""
        if not x.size:
            return False
        flags = creation.cast(elementwise.compare("ne", x, 0), np.int64)
        return bool(self.to_numpy(reduce.reduce("max", flags)))

    # linear algebra
    def matmul(self, a: Array, b: Array) -> Array:
        return matmul.matmul(a, b)
