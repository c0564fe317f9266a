"""Numba kernels for minigrad's hot paths: ``kernels.cpu`` (``@njit``) and ``kernels.cuda``
(``@cuda.jit``). Importing this package compiles nothing: kernels compile on first use."""
