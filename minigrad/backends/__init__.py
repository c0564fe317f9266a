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


_FACTORIES: dict[str, Callable[[], Backend]] = {"numpy": NumpyBackend}
if importlib.util.find_spec("numba") is not None:
    _FACTORIES["numba"] = _numba_backend
_INSTANCES: dict[str, Backend] = {}
_ALIASES = {"cpu": "numpy"}
_seed: int | None = None


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend known under ``name``; it is created on first use."""
    _FACTORIES[name] = factory


def available_backends() -> list[str]:
    """The names ``set_backend`` accepts."""
    return list(_FACTORIES)


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (the current default when None)."""
    if name is None:
        return _default
    name = _ALIASES.get(str(name), str(name))
    if name not in _INSTANCES:
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
