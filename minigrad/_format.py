"""How a tensor prints: torch's layout (``tensor([1.5000, 2.0000], requires_grad=True)``).

torch picks one format for all the elements of a float tensor: ``1.`` when every value is an
integer, ``1.5000`` (4 decimals) otherwise, and ``1.5000e+06`` when the magnitudes span more than
1000× or leave [1e-4, 1e8]. Elements are right-aligned to a common width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from . import backends

if TYPE_CHECKING:
    from .tensor import Tensor


def _float_formatter(values: np.ndarray) -> Callable[[float], str]:
    """torch's choice of format for these float values."""
    finite = values[np.isfinite(values)].astype(np.float64)
    nonzero = np.abs(finite[finite != 0])
    integers = bool(np.all(finite == np.round(finite)))
    spread = nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    if spread or (not integers and nonzero.size and nonzero.min() < 1e-4):
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)
    if integers:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)


def _body(values: np.ndarray) -> str:
    """The bracketed values, every element right-aligned to the widest."""
    if values.dtype.kind == "f":
        plain = _float_formatter(values)
    elif values.dtype.kind == "b":
        plain = lambda v: "True" if v else "False"  # noqa: E731
    else:
        plain = str
    shown = values if values.size <= 1000 else np.concatenate([values.ravel()[:3], values.ravel()[-3:]])
    width = max(len(plain(v)) for v in shown.ravel())
    return np.array2string(values, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                           max_line_width=80, formatter={"all": lambda v: plain(v).rjust(width)})


def tensor_repr(tensor: Tensor) -> str:
    """``tensor(values, dtype=..., requires_grad=True | grad_fn=<...>)`` as torch writes it."""
    values = tensor._backend.to_numpy(tensor.data)
    extras = []
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            extras.append(f"size={tuple(values.shape)}")
    else:
        body = _body(values)
    if tensor.dtype.name not in ("float32", "int64", "bool"):
        extras.append(f"dtype=minigrad.{tensor.dtype.name}")
    if tensor._backend is not backends.get_backend():  # as torch: shown off the default device
        extras.append(f"device='{tensor._backend.name}'")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
