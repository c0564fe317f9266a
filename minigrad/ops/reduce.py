"""Reductions: a value computed from many elements along some dims.

The backward of a reduction sends the incoming gradient back to every element that contributed:
for a sum, each element gets it whole (an ``expand``); for a mean, divided by the count; for a
variance, in proportion to the element's distance from the mean. Max and min are in ``minmax.py``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from .. import dtypes
from ..autograd import grad_mode
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import cast, check_tensor, to_float, wrap_dims

# torch's names of the dtypes, as its error messages print them
SCALAR_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}


def reduced_dims(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """The dims to reduce, wrapped; None and an empty list both mean every dim, as in torch."""
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        return tuple(range(ndim))
    return wrap_dims(dim, ndim)


def restore_dims(grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """Put back the reduced dims as size 1, so that the gradient broadcasts over them."""
    if keepdim or not dims:
        return grad
    kept = [1 if d in dims else n for d, n in enumerate(shape)]
    return grad.reshape(kept)


def count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    """How many elements each output of a reduction over ``dims`` gathers."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


class Sum(Function):
    """y = Σ x over dims    dL/dx = dL/dy copied to every summed element"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return ctx.backend.sum(x, dims, keepdim)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        return restore_dims(grad, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape), None, None


class Mean(Function):
    """y = Σ x / n over dims    dL/dx = dL/dy / n copied to every averaged element"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.n = count(x.shape, dims)
        return ctx.backend.div(ctx.backend.sum(x, dims, keepdim), ctx.n)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        spread = restore_dims(grad, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)
        return spread / ctx.n, None, None


def sum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,  # noqa: A001
        dtype: Any = None) -> Tensor:
    """Σ over ``dim`` (every dim when None); bool and int tensors sum to int64."""
    check_tensor(input, "sum")
    if dtype is not None:
        dtype = dtypes.to_dtype(dtype)
        if not dtype.is_floating_point and input._requires_grad and grad_mode._enabled:
            raise RuntimeError(f"Autograd not support dtype: {SCALAR_NAMES[dtype.name]}")
        input = cast(input, dtype)
    elif input.data.dtype.kind in "bi":
        input = cast(input, dtypes.int64)
    return Sum.apply(input, reduced_dims(dim, input.ndim), keepdim)


def mean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """Σ x / n over ``dim``; refused on integer tensors, as torch does."""
    check_tensor(input, "mean")
    if dtype is not None:
        input = cast(input, dtypes.to_dtype(dtype))
    if input.data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype "
            f"must be either a floating point or complex dtype. Got: {SCALAR_NAMES[input.dtype.name]}"
        )
    return Mean.apply(input, reduced_dims(dim, input.ndim), keepdim)


def _variance(backend: Any, x: Any, dims: tuple[int, ...], correction: float, keepdim: bool,
              root: bool) -> Any:
    """Σ (x - x̄)² / max(0, N - correction), or its square root: inf (or nan when every x = x̄)
    when N ≤ correction. Accumulated in float64 and rounded once at the end, as torch does."""
    n = count(x.shape, dims)
    wide = backend.astype(x, dtypes.float64.np)
    centered = backend.sub(wide, backend.div(backend.sum(wide, dims, True), n))
    squares = backend.sum(backend.mul(centered, centered), dims, keepdim)
    result = backend.div(squares, max(0, n - correction))
    return backend.astype(backend.sqrt(result) if root else result, x.dtype)


def _variance_backward(grad: Tensor, x: Tensor, ctx: Function) -> Tensor:
    """torch's var_backward: 2(x - x̄)/(N - c)·g; a full reduction with N - c ≤ 0 gives inf·g
    (nan where x = x̄), a reduction over ``dim`` keeps the formula with its sign."""
    grad = restore_dims(grad, x.shape, ctx.dims, ctx.keepdim)
    centered = x - x.mean(ctx.dims, keepdim=True)
    dof = count(x.shape, ctx.dims) - ctx.correction
    if ctx.full and dof <= 0:
        return grad * (centered.detach().abs() * math.inf)  # a constant (inf, nan at x̄), as torch
    return (2.0 / dof if dof else math.inf) * grad * centered


class Var(Function):
    """σ² = Σ (x - x̄)² / (N - c)    dσ²/dx = 2(x - x̄)/(N - c)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], correction: float, keepdim: bool,
                full: bool) -> Any:
        ctx.dims, ctx.correction, ctx.keepdim, ctx.full = dims, correction, keepdim, full
        ctx.save_for_backward(x)
        return _variance(ctx.backend, x, dims, correction, keepdim, False)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        (x,) = ctx.saved_tensors
        return _variance_backward(grad, x, ctx), None, None, None, None


class Std(Function):
    """σ = √σ²    dσ/dx = dσ²/dx / (2σ)  (0 where σ = 0, as torch)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], correction: float, keepdim: bool,
                full: bool) -> Any:
        ctx.dims, ctx.correction, ctx.keepdim, ctx.full = dims, correction, keepdim, full
        y = _variance(ctx.backend, x, dims, correction, keepdim, True)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        x, y = ctx.saved_tensors
        grad_var = (grad / (2 * y)).masked_fill(y == 0, 0)
        return _variance_backward(grad_var, x, ctx), None, None, None, None


def _spread(op: str, function: type, input: Tensor, dim: Any, unbiased: bool | None,
            keepdim: bool, correction: float | None) -> Tensor:
    """Shared argument handling of var and std, with torch's overloads."""
    check_tensor(input, op)
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}(): 'unbiased' given twice (as dim={dim} and unbiased={unbiased})")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either 'unbiased' or 'correction', not both")
    if input.data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    correction = (1 if unbiased is None else int(unbiased)) if correction is None else correction
    full = dim is None or input.ndim == 0
    return function.apply(input, reduced_dims(dim, input.ndim), correction, keepdim, full)


def var(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
        keepdim: bool = False, *, correction: float | None = None) -> Tensor:
    """Σ (x - x̄)² / (N - correction) over ``dim``; correction 1 (unbiased) by default."""
    return _spread("var", Var, input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
        keepdim: bool = False, *, correction: float | None = None) -> Tensor:
    """√var over ``dim``; correction 1 (unbiased) by default."""
    return _spread("std", Std, input, dim, unbiased, keepdim, correction)


class LogSumExp(Function):
    """y = m + ln Σ e^(x - m), m = max x (0 if infinite)    dy/dx = e^(x - y)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
        backend = ctx.backend
        ctx.dims, ctx.keepdim = dims, keepdim
        shift = 0
        if x.size:
            shift = backend.amax(x, dims, True)
            shift = backend.where(backend.compare("eq", backend.abs(shift), math.inf), 0, shift)
        y = backend.add(backend.log(backend.sum(backend.exp(backend.sub(x, shift)), dims, True)), shift)
        if not keepdim:
            y = backend.reshape(y, tuple(n for d, n in enumerate(x.shape) if d not in dims))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        x, y = ctx.saved_tensors
        y = restore_dims(y, x.shape, ctx.dims, ctx.keepdim)
        return restore_dims(grad, x.shape, ctx.dims, ctx.keepdim) * (x - y).exp(), None, None


def logsumexp(input: Tensor, dim: int | Sequence[int], keepdim: bool = False) -> Tensor:
    """ln Σ eˣ over ``dim``, without overflow (the maximum is taken out first)."""
    input = to_float(check_tensor(input, "logsumexp"))
    return LogSumExp.apply(input, reduced_dims(dim, input.ndim), keepdim)


class Norm(Function):
    """y = √(Σ x²) over dims    dL/dx = dL/dy · x / y  (0 where y = 0, as torch)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        y = ctx.backend.sqrt(ctx.backend.sum(ctx.backend.mul(x, x), dims, keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        x, y = ctx.saved_tensors
        y = restore_dims(y, ctx.shape, ctx.dims, ctx.keepdim)
        scale = restore_dims(grad, ctx.shape, ctx.dims, ctx.keepdim) / y
        return (x * scale).masked_fill(y == 0, 0), None, None


def norm(input: Tensor, p: float | str = "fro", dim: int | Sequence[int] | None = None,
         keepdim: bool = False) -> Tensor:
    """The vector p-norm over ``dim`` (every dim when None): p = 2 ('fro'), 1 or inf."""
    input = to_float(check_tensor(input, "norm"))
    dims = reduced_dims(dim, input.ndim)
    if p in ("fro", 2, 2.0):
        return Norm.apply(input, dims, keepdim)
    if p in (1, 1.0):
        return input.abs().sum(dims, keepdim)
    if p == math.inf:
        return input.abs().amax(dims, keepdim)
    raise NotImplementedError(f"minigrad's norm supports p = 2 ('fro'), 1 and inf, not p = {p!r}")


def any(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether some element is non-zero (along ``dim``), as bool."""
    nonzero = check_tensor(input, "any") != 0
    return nonzero.sum(reduced_dims(dim, input.ndim), keepdim) > 0


def all(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element is non-zero (along ``dim``), as bool."""
    zero = check_tensor(input, "all") == 0
    return zero.sum(reduced_dims(dim, input.ndim), keepdim) == 0


__all__ = ["sum", "mean", "var", "std", "logsumexp", "norm", "any", "all"]
TENSOR_METHODS = __all__
