"""``minigrad.cuda``: whether the cuda backend can run here, under torch's name.

Nothing here imports Numba until asked: ``import minigrad`` stays fast.
"""

from __future__ import annotations

from .backends import cuda_may_work

__all__ = ["is_available"]


def is_available() -> bool:
    """Whether tensors can go to ``"cuda"``: Numba sees a GPU, or runs its CUDA simulator
    (``NUMBA_ENABLE_CUDASIM=1``)."""
    if not cuda_may_work():
        return False
    from numba import cuda
    return bool(cuda.is_available())
