"""Changing a tensor's dtype, differentiably: the gradient goes back in the original dtype."""

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
