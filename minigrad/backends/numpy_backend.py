"""The reference backend: every primitive of ``Backend`` written with NumPy.

Other backends subclass this one and override the hot paths, so each method here is the plain,
obviously-correct version of its primitive. NumPy warns on ``log(0)`` or ``1/0``; torch does not,
so NumPy's RuntimeWarnings raised from this module are filtered out.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .base import Array, Axis, Shape
from .numpy_nn import NumpyNeuralNetKernels
from .numpy_norm import NumpyNormKernels
from .numpy_optim import NumpyOptimizerKernels

# torch computes inf and nan silently; NumPy warns. Silence the warnings raised from this module
# (a filter costs nothing when nothing is raised, unlike np.errstate around each call).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


class NumpyBackend(NumpyNeuralNetKernels, NumpyNormKernels, NumpyOptimizerKernels):
    """NumPy arrays on the host."""

    name = "numpy"
    array_type = np.ndarray

    def __init__(self) -> None:
        self.generator = np.random.default_rng(0)

    # creation and random numbers
    def as_array(self, x: Any) -> Array:
        return np.asarray(x)

    def array(self, data: Any, dtype: Any) -> Array:
        return np.array(data, dtype=dtype)

    def zeros(self, shape: Shape, dtype: Any) -> Array:
        return np.zeros(shape, dtype=dtype)

    def ones(self, shape: Shape, dtype: Any) -> Array:
        return np.ones(shape, dtype=dtype)

    def full(self, shape: Shape, value: float, dtype: Any) -> Array:
        return np.full(shape, value, dtype=dtype)

    def arange(self, start: float, end: float, step: float, dtype: Any) -> Array:
        return np.arange(start, end, step, dtype=dtype)

    def eye(self, n: int, m: int, dtype: Any) -> Array:
        return np.eye(n, m, dtype=dtype)

    def manual_seed(self, seed: int) -> None:
        self.generator = np.random.default_rng(seed)

    def rand(self, shape: Shape, dtype: Any) -> Array:
        return self.generator.random(shape, dtype=dtype)

    def randn(self, shape: Shape, dtype: Any) -> Array:
        return self.generator.standard_normal(shape, dtype=dtype)

    def randint(self, low: int, high: int, shape: Shape, dtype: Any) -> Array:
        return self.generator.integers(low, high, shape, dtype=dtype)

    def randperm(self, n: int, dtype: Any) -> Array:
        return self.generator.permutation(n).astype(dtype)

    # conversion and memory
    def to_numpy(self, x: Array) -> np.ndarray:
        return x

    def check_range(self, values: Array, low: int, high: int, error: Callable[[], Exception]) -> Array:
        """values, after raising ``error()`` when one lies outside [low, high): on the host the
        check is immediate."""
        if values.size and (values.min() < low or values.max() >= high):
            raise error()
        return values

    def astype(self, x: Array, dtype: Any) -> Array:
        return x.astype(dtype, copy=False)

    def copy(self, x: Array) -> Array:
        return np.array(x, copy=True, order="C")

    def contiguous(self, x: Array) -> Array:
        return np.ascontiguousarray(x)

    def is_contiguous(self, x: Array) -> bool:
        return x.flags.c_contiguous

    def strides(self, x: Array) -> Shape:
        return tuple(s // x.itemsize for s in x.strides)

    def assign(self, x: Array, value: Array | float) -> None:
        np.copyto(x, value, casting="unsafe")

    # elementwise, unary
    def neg(self, x: Array) -> Array:
        return np.negative(x)

    def abs(self, x: Array) -> Array:
        return np.abs(x)

    def sign(self, x: Array) -> Array:
        return np.sign(x)

    def exp(self, x: Array) -> Array:
        return np.exp(x)

    def log(self, x: Array) -> Array:
        return np.log(x)

    def sqrt(self, x: Array) -> Array:
        return np.sqrt(x)

    def rsqrt(self, x: Array) -> Array:
        return np.reciprocal(np.sqrt(x))

    def reciprocal(self, x: Array) -> Array:
        return np.reciprocal(x)

    def sin(self, x: Array) -> Array:
        return np.sin(x)

    def cos(self, x: Array) -> Array:
        return np.cos(x)

    def tanh(self, x: Array) -> Array:
        return np.tanh(x)

    def sigmoid(self, x: Array) -> Array:
        # 1/(1+e^-x) = (1 + tanh(x/2)) / 2, which never overflows.
        half = np.tanh(x * x.dtype.type(0.5))
        return (half + x.dtype.type(1)) * x.dtype.type(0.5)

    def relu(self, x: Array) -> Array:
        return np.maximum(x, 0)

    def floor(self, x: Array) -> Array:
        return np.floor(x)

    def trunc(self, x: Array) -> Array:
        return np.trunc(x)

    def logical_not(self, x: Array) -> Array:
        return np.logical_not(x)

    # fused activation gradients
    def tanh_backward(self, grad: Array, y: Array) -> Array:
        return grad * (1 - y * y)

    def sigmoid_backward(self, grad: Array, y: Array) -> Array:
        return grad * ((1 - y) * y)

    def relu_backward(self, grad: Array, y: Array) -> Array:
        # torch's threshold_backward tests y <= 0, so a nan y passes the gradient
        kept = np.multiply(grad, np.invert(y <= 0), dtype=grad.dtype)  # 10× faster than np.where
        if not np.isfinite(kept).all():  # nan·0 and inf·0 give nan: torch gives 0 where y <= 0
            kept = np.where(y <= 0, grad.dtype.type(0), grad)
        return kept

    # elementwise, binary
    def add(self, a: Array, b: Array) -> Array:
        return np.add(a, b)

    def sub(self, a: Array, b: Array) -> Array:
        return np.subtract(a, b)

    def mul(self, a: Array, b: Array) -> Array:
        return np.multiply(a, b)

    def div(self, a: Array, b: Array) -> Array:
        return np.true_divide(a, b)

    def floor_divide(self, a: Array, b: Array) -> Array:
        return np.floor_divide(a, b)

    def pow(self, a: Array, b: Array) -> Array:
        return np.power(a, b)

    def maximum(self, a: Array, b: Array) -> Array:
        return np.maximum(a, b)

    def minimum(self, a: Array, b: Array) -> Array:
        return np.minimum(a, b)

    _COMPARISONS = {"eq": np.equal, "ne": np.not_equal, "lt": np.less,
                    "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}

    def compare(self, op: str, a: Array, b: Array) -> Array:
        return self._COMPARISONS[op](a, b)

    _LOGICAL = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}
    _BITWISE = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}

    def logical(self, op: str, a: Array, b: Array) -> Array:
        return self._LOGICAL[op](a, b)

    def bitwise(self, op: str, a: Array, b: Array) -> Array:
        return self._BITWISE[op](a, b)

    def bitwise_not(self, x: Array) -> Array:
        return np.invert(x)

    # elementwise, ternary
    def where(self, cond: Array, a: Array, b: Array) -> Array:
        return np.where(cond, a, b)

    def clip(self, x: Array, low: Any, high: Any) -> Array:
        if low is not None:
            x = np.maximum(x, low)
        if high is not None:
            x = np.minimum(x, high)
        return x

    # reductions
    def sum(self, x: Array, axis: Axis, keepdims: bool) -> Array:
        return np.asarray(np.add.reduce(x, axis=axis, keepdims=keepdims))

    def amax(self, x: Array, axis: Axis, keepdims: bool) -> Array:
        return np.asarray(np.maximum.reduce(x, axis=axis, keepdims=keepdims))

    def amin(self, x: Array, axis: Axis, keepdims: bool) -> Array:
        return np.asarray(np.minimum.reduce(x, axis=axis, keepdims=keepdims))

    def argmax(self, x: Array, axis: int | None, keepdims: bool) -> Array:
        return np.asarray(np.argmax(x, axis=axis, keepdims=keepdims))

    def argmin(self, x: Array, axis: int | None, keepdims: bool) -> Array:
        return np.asarray(np.argmin(x, axis=axis, keepdims=keepdims))

    def any(self, x: Array) -> bool:
        return bool(np.any(x))

    # softmax family
    def softmax(self, x: Array, axis: int) -> Array:
        if x.size == 0:
            return np.array(x, copy=True)
        axis = axis if x.ndim else None
        e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
        return e / np.add.reduce(e, axis=axis, keepdims=True)

    def log_softmax(self, x: Array, axis: int) -> Array:
        if x.size == 0:
            return np.array(x, copy=True)
        axis = axis if x.ndim else None
        shifted = x - np.maximum.reduce(x, axis=axis, keepdims=True)
        return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))

    def cross_entropy_forward(self, x: Array, target: Array, picked: Array) -> tuple[Array, Array, Array]:
        row_max = np.maximum.reduce(x, axis=1, keepdims=True)
        shifted = x - row_max
        log_sum = np.log(np.add.reduce(np.exp(shifted), axis=1))
        kept = target >= 0
        index = np.where(kept, target, 0).reshape(-1, 1)
        target_logit = np.take_along_axis(shifted, index, 1).reshape(-1)
        loss = np.where(kept, picked * (log_sum - target_logit), 0)
        return loss, row_max.reshape(-1), log_sum

    def cross_entropy_backward(self, x: Array, target: Array, row_max: Array, log_sum: Array,
                               scale: Array) -> Array:
        scale = scale.reshape(-1, 1)
        grad = np.exp((x - row_max.reshape(-1, 1)) - log_sum.reshape(-1, 1)) * scale
        rows = np.flatnonzero(target >= 0)  # one target per row: no repeated index
        grad[rows, target[rows]] -= scale.reshape(-1)[rows]
        return grad

    # linear algebra
    def matmul(self, a: Array, b: Array) -> Array:
        return np.asarray(np.matmul(a, b))

    # shapes and views
    def reshape(self, x: Array, shape: Shape) -> Array:
        return np.reshape(x, shape)

    def reshape_view(self, x: Array, shape: Shape) -> Array:
        return np.reshape(x, shape, copy=False)

    def transpose(self, x: Array, axes: Sequence[int]) -> Array:
        return np.transpose(x, axes)

    def broadcast_to(self, x: Array, shape: Shape) -> Array:
        return np.broadcast_to(x, shape)

    def concatenate(self, xs: Sequence[Array], axis: int) -> Array:
        return np.concatenate(xs, axis=axis)

    def stack(self, xs: Sequence[Array], axis: int) -> Array:
        return np.stack(xs, axis=axis)

    # indexing
    def getitem(self, x: Array, index: Any) -> Array:
        return np.asarray(x[index])

    def setitem(self, x: Array, index: Any, value: Any) -> None:
        x[index] = value

    def add_at(self, x: Array, index: Any, values: Array) -> None:
        np.add.at(x, index, values)

    def take(self, x: Array, index: Array, axis: int) -> Array:
        return np.take(x, index, axis=axis)

    def gather(self, x: Array, axis: int, index: Array) -> Array:
        window = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
        return np.take_along_axis(x[window], index, axis=axis)

    def scatter_add(self, x: Array, axis: int, index: Array, src: Array) -> None:
        coords = list(np.indices(index.shape, sparse=True))
        coords[axis] = index
        np.add.at(x, tuple(coords), src[tuple(slice(0, n) for n in index.shape)])
