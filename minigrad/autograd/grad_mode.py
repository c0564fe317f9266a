"""Turning graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

One module-level flag decides whether ``Function.apply`` records a node. Each of the three is a
context manager and a decorator, as in torch.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

_enabled = True


def is_grad_enabled() -> bool:
    """Whether operations record the graph right now."""
    return _enabled


class _GradMode:
    """Set the flag to ``self.mode`` inside a ``with`` block or a decorated function."""

    mode: bool

    def __enter__(self) -> None:
        global _enabled
        self.previous = _enabled
        _enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self.previous

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Record nothing: results of operations do not require grad."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph, even inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off; takes effect at once, or only inside a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        global _enabled
        self.mode = bool(mode)
        self.previous = _enabled
        _enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __call__(self, func: Callable) -> Callable:
        global _enabled
        _enabled = self.previous
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper
