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
