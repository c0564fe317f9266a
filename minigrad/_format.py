"""How a tensor prints: torch's layout (``tensor([1., 2.], requires_grad=True)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


def tensor_repr(tensor: Tensor) -> str:
    """``tensor(values, dtype=..., requires_grad=True | grad_fn=<...>)`` as torch writes it."""
    values = tensor._backend.to_numpy(tensor.data)
    prefix = "tensor("
    if values.size == 0:
        body = "[]" if values.ndim == 1 else f"[], size={tuple(values.shape)}"
    else:
        body = np.array2string(
            values, separator=", ", prefix=prefix, precision=4, suppress_small=True,
            threshold=1000, edgeitems=3,
            formatter={"bool": lambda v: "True" if v else "False"},
        )
    extras = []
    if tensor.dtype.name not in ("float32", "int64", "bool"):
        extras.append(f"dtype=minigrad.{tensor.dtype.name}")
    if tensor._backend.name != "numpy":
        extras.append(f"device='{tensor._backend.name}'")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
