"""Choosing a backend: a global default, a context manager, an environment variable, per tensor.

``set_backend("numpy")`` changes the default for new tensors, ``use_backend("numpy")`` changes it
inside a ``with`` block, and ``MINIGRAD_BACKEND`` sets it when minigrad is imported. A tensor keeps
the backend it was created on; ``t.to(name)`` moves it.
"""

from __future__ import annotations

import importlib.util
import os
from contextlib import contextmanager
from typing import Callable, Iterator

from .base import Backend
from .numpy_backend import NumpyBackend



def _numba_backend() -> Backend:
    """The numba backend, imported only when first asked for (importing Numba takes time)."""
    from .numba_backend import NumbaBackend
    return NumbaBackend()


CUDA_HELP = ("the cuda backend needs Numba's CUDA support and an NVIDIA GPU: install it with "
             "`pip install -e \".[cuda]\"`; without a GPU, run the same kernels in Numba's CUDA "
             "simulator by setting NUMBA_ENABLE_CUDASIM=1 before starting Python")


def cuda_may_work() -> bool:
    """Whether the cuda backend can be offered, decided without importing Numba: Numba is
    installed and either the simulator is asked for or an NVIDIA driver is loaded."""
    return (importlib.util.find_spec("numba") is not None
            and (os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
                 or os.path.exists("/proc/driver/nvidia/version")))


def _cuda_backend() -> Backend:
    """The cuda backend, imported only when first asked for; RuntimeError without a GPU."""
    try:
        from numba import cuda
        usable = cuda.is_available()
    except ImportError:
        usable = False
    if not usable:
        raise RuntimeError(f"CUDA is not available: {CUDA_HELP}")
    from .cuda_backend import CudaBackend
    return CudaBackend()


_FACTORIES: dict[str, Callable[[], Backend]] = {"numpy": NumpyBackend}
if importlib.util.find_spec("numba") is not None:
    _FACTORIES["numba"] = _numba_backend
    _FACTORIES["cuda"] = _cuda_backend
_CUDA_LISTED = cuda_may_work()  # decided once, as Numba reads NUMBA_ENABLE_CUDASIM once
_INSTANCES: dict[str, Backend] = {}
_ALIASES = {"cpu": "numpy", "cuda:0": "cuda"}
_seed: int | None = None


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend known under ``name``; it is created on first use."""
    _FACTORIES[name] = factory


def available_backends() -> list[str]:
    """The names of the backends that can run here (``cuda`` with a GPU or the simulator)."""
    return [name for name in _FACTORIES if name != "cuda" or _CUDA_LISTED]


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (the current default when None)."""
    if name is None:
        return _default
    name = _ALIASES.get(str(name), str(name))
    if name not in _INSTANCES:
        if name == "cuda" and name not in _FACTORIES:
            raise RuntimeError(f"CUDA is not available: {CUDA_HELP}")
        if name not in _FACTORIES:
            known = ", ".join(repr(n) for n in _FACTORIES)
            raise RuntimeError(f"unknown minigrad backend {name!r}; known backends are {known}")
        _INSTANCES[name] = _FACTORIES[name]()
        if _seed is not None:
            _INSTANCES[name].manual_seed(_seed)
    return _INSTANCES[name]


def manual_seed(seed: int) -> None:
    """Seed every backend, those created later included."""
    global _seed
    _seed = seed
    for backend in _INSTANCES.values():
        backend.manual_seed(seed)


def set_backend(name: str) -> None:
    """Make ``name`` the default backend for new tensors."""
    global _default
    _default = get_backend(name)


@contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """Use ``name`` as the default backend inside a ``with`` block."""
    global _default
    previous = _default
    _default = get_backend(name)
    try:
        yield _default
    finally:
        _default = previous


_default: Backend = get_backend(os.environ.get("MINIGRAD_BACKEND", "numpy"))
