"""The numba backend: the NumPy backend with its hot paths replaced by the Numba kernels of
``kernels/cpu``.

Arrays are NumPy arrays, so a tensor moves between ``numpy`` and ``numba`` without a copy. Each
mixin below comes from one file of ``kernels/cpu`` and overrides a few primitives; what no mixin
overrides is the NumPy reference, inherited from ``NumpyBackend``. Nothing compiles when this
module is imported: each kernel compiles on its first call and is cached on disk (``cache=True``).
"""

from __future__ import annotations

from .numpy_backend import NumpyBackend


class NumbaBackend(NumpyBackend):
    """NumPy arrays on the host, hot paths in Numba."""

    name = "numba"
