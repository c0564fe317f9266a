"""The NumPy backend's normalisation kernels (batch, layer and group norm).

``NumpyBackend`` inherits them; a faster backend overrides them one by one without touching the
Functions that call them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .base import Array

# torch computes inf and nan silently; NumPy warns (see numpy_backend.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


class NumpyNormKernels:
    """The statistics of a normalisation layer, in plain NumPy."""

    # normalisation statistics: two passes (the mean, then the squares around it), which stays
    # accurate when the mean is large against the spread, unlike E[x²] - E[x]²
    def moments(self, x: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
        n = math.prod(x.shape[a] for a in axes)
        mean = np.add.reduce(x, axis=axes, keepdims=True) / x.dtype.type(n)
        centered = x - mean
        var = np.add.reduce(np.square(centered, out=centered), axis=axes, keepdims=True)
        return mean, var / x.dtype.type(n)

    # y = x·scale + shift, the normalisation itself once the statistics are known
    def scale_shift(self, x: Array, scale: Array, shift: Array, axes: tuple[int, ...]) -> Array:
        return np.add(np.multiply(x, scale), shift)

    # the backward pass of a normalisation with batch statistics, as arrays (the Tensor-op path of
    # Normalize.backward computes the same thing, differentiably, for create_graph)
    def normalize_backward(self, grad: Array, x: Array, mean: Array, rstd: Array,
                           weight: Array | None, axes: tuple[int, ...],
                           param_shape: tuple[int, ...] | None,
                           needs: tuple[bool, bool, bool]) -> tuple[Array | None, ...]:
        n = x.dtype.type(math.prod(x.shape[a] for a in axes))
        xhat = (x - mean) * rstd
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            h = grad * (rstd if weight is None else weight * rstd)
            mean_h = np.add.reduce(h, axis=axes, keepdims=True) / n
            mean_hx = np.add.reduce(h * xhat, axis=axes, keepdims=True) / n
            grad_x = h - mean_h - xhat * mean_hx
        if needs[1]:
            grad_weight = _sum_to(grad * xhat, param_shape)
        if needs[2]:
            grad_bias = _sum_to(grad, param_shape)
        return grad_x, grad_weight, grad_bias


def _sum_to(a: Array, shape: tuple[int, ...]) -> Array:
    """a summed over the dims that ``shape`` lacks or has as 1 (the reverse of broadcasting)."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1)
    return np.add.reduce(a, axis=axes, keepdims=True).reshape(shape)
