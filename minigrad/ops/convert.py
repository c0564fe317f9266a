"""Changing a tensor's dtype or backend, differentiably: the gradient goes back in the original
dtype, to the original backend."""

from __future__ import annotations

from typing import Any

from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor


class Cast(Function):
    """y = x as another dtype    dL/dx = dL/dy as x's dtype (nothing flows back to an integer x)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dtype: dtypes.dtype) -> Any:
        ctx.source = dtypes.from_numpy(x.dtype)
        return ctx.backend.astype(x, dtype.np)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return Cast.apply(grad, ctx.source), None


class ToBackend(Function):
    """y = x on another backend    dL/dx = dL/dy moved back to x's backend

    Between two host backends (``numpy`` and ``numba`` both hold NumPy arrays) the data is not
    copied: y is a view of x (same memory, same version counter). The output lives on the target
    backend because ``forward`` makes it ``ctx.backend``."""

    is_view = True

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any) -> Any:
        ctx.source, ctx.backend = ctx.backend, target
        return target.as_array(ctx.source.to_numpy(x))

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        return type(ctx).apply(grad, ctx.source), None


class CopyToBackend(ToBackend):
    """y = x copied to another backend's memory    dL/dx = dL/dy copied back to x's backend

    Between the host and the GPU (NumPy arrays and device arrays) the data is copied: y is a new
    tensor, and changing one of them later does not change the other (``t.cuda()``, ``t.cpu()``)."""

    is_view = False
