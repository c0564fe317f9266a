"""GPU kernels (``@cuda.jit``) for the cuda backend; empty until that backend is written."""
