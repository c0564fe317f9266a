"""CPU kernels (``@njit``) for the numba backend; empty until that backend is written."""
