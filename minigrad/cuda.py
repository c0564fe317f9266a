"""``minigrad.cuda``: whether the cuda backend can run here, under torch's name.

Nothing here imports Numba until asked: ``import minigrad`` stays fast.
"""

from __future__ import annotations

from .backends import cuda_may_work

__all__ = ["is_available", "synchronize"]


def is_available() -> bool:
    """Whether tensors can go to ``"cuda"``: Numba sees a GPU, or runs its CUDA simulator
    (``NUMBA_ENABLE_CUDASIM=1``)."""
    if not cuda_may_work():
        return False
    from numba import cuda
    return bool(cuda.is_available())


def synchronize() -> None:
    """Wait for every queued kernel, then raise the first failed device-side check (an index
    out of range, say) as torch's ``RuntimeError: CUDA error: device-side assert triggered``."""
    from .backends import get_backend
    get_backend("cuda").synchronize()
