"""Activation functions of ``minigrad.nn.functional``, with torch's names and defaults.

relu, sigmoid, tanh, softmax and log_softmax are the ops of ``minigrad.ops``. The others are
Functions here: the forward on backend arrays, the derivative beside it, the backward written
with Tensor ops so that it differentiates again. Where a derivative has a kink (leaky_relu at 0,
hardtanh at its bounds, the softplus threshold, elu at 0) it takes the value torch gives.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

from ... import ops
from ...autograd.function import Function
from ...ops._util import check_tensor
from ...ops.inplace import apply_inplace
from ...tensor import Tensor

_SQRT_HALF = math.sqrt(0.5)
_PDF_SCALE = 1 / math.sqrt(2 * math.pi)  # φ(x) = e^(-x²/2)/√(2π)
_TANH_SCALE = math.sqrt(2 / math.pi)  # gelu's tanh approximation: tanh(√(2/π)·(x + 0.044715x³))
_TANH_CUBIC = 0.044715


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte"}


def torch_name(dtype: Any) -> str:
    """The name torch's kernels give a dtype in their errors: Long, Int, Bool, Float, Double."""
    return _TORCH_NAMES.get(dtype.name, dtype.name.capitalize().replace("Float32", "Float")
                            .replace("Float64", "Double"))


def _floating(input: Any, kernel: str) -> Tensor:
    """``input`` if it is a float Tensor; torch's errors for a non-Tensor or an integer dtype."""
    if check_tensor(input, kernel.split("_")[0]).data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(input.dtype)}\'')
    return input


def _run(function: Callable[[Tensor], Tensor], input: Tensor, inplace: bool) -> Tensor:
    """``function(input)``, written back into ``input`` when ``inplace``."""
    return apply_inplace(input, function) if inplace else function(input)


class LeakyRelu(Function):
    """y = x if x > 0 else a·x    dy/dx = 1 if x > 0 else a  (a at 0, as torch)"""

    @staticmethod
    def forward(ctx: Function, x: Any, slope: float) -> Any:
        b = ctx.backend
        ctx.slope = slope
        ctx.save_for_backward(x)
        return b.where(b.compare("gt", x, 0), x, b.mul(x, slope))

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        return ops.where(x > 0, grad, grad * ctx.slope), None


class Elu(Function):
    """y = x if x > 0 else α(eˣ - 1)    dy/dx = 1 if x > 0 else αeˣ  (α at 0, as torch, whose
    second derivative is 0 there)"""

    @staticmethod
    def forward(ctx: Function, x: Any, alpha: float) -> Any:
        b = ctx.backend
        ctx.alpha = alpha
        ctx.save_for_backward(x)
        negative = b.mul(b.expm1(b.minimum(x, 0)), alpha)
        return b.where(b.compare("gt", x, 0), x, negative)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        slope = ops.where(x < 0, x.clamp(max=0).exp() * ctx.alpha, ops.where(x > 0, 1.0, ctx.alpha))
        return grad * slope, None


class Gelu(Function):
    """y = x·Φ(x), Φ the normal CDF ½(1 + erf(x/√2))    dy/dx = Φ(x) + x·φ(x)
    (with ``approximate='tanh'``, Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³))))"""

    @staticmethod
    def forward(ctx: Function, x: Any, approximate: str) -> Any:
        b = ctx.backend
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "tanh":
            inner = b.mul(b.add(x, b.mul(b.mul(b.mul(x, x), x), _TANH_CUBIC)), _TANH_SCALE)
            return b.mul(b.mul(x, 0.5), b.add(b.tanh(inner), 1))
        return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, _SQRT_HALF)), 1))

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ((x + x * x * x * _TANH_CUBIC) * _TANH_SCALE).tanh()
            inner_slope = (1 + x * x * (3 * _TANH_CUBIC)) * _TANH_SCALE
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_slope), None
        cdf = 0.5 * (1 + Erf.apply(x * _SQRT_HALF))
        pdf = (x * x * -0.5).exp() * _PDF_SCALE
        return grad * (cdf + x * pdf), None


class Erf(Function):
    """y = erf x    dy/dx = 2/√π·e^(-x²)  (gelu's backward uses it, so it differentiates twice)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.erf(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-x * x).exp() * (2 / math.sqrt(math.pi))


class Silu(Function):
    """y = x·σ(x)    dy/dx = σ(x)·(1 + x·(1 - σ(x)))"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.mul(x, ctx.backend.sigmoid(x))

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return grad * (s * (1 + x * (1 - s)))


class Softplus(Function):
    """y = ln(1 + e^(βx))/β, or x where βx > threshold    dy/dx = σ(βx), or 1 there
    (second derivative β·σ'(βx) below the threshold, 0 from it on, as torch)"""

    @staticmethod
    def forward(ctx: Function, x: Any, beta: float, threshold: float) -> Any:
        b = ctx.backend
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        scaled = b.mul(x, beta)
        smooth = b.div(b.log1p(b.exp(scaled)), beta)
        return b.where(b.compare("gt", scaled, threshold), x, smooth)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        scaled = x * ctx.beta
        # torch's second derivative is 0 at the threshold itself: the sigmoid sees a constant there
        slope = ops.where(scaled < ctx.threshold, scaled, scaled.detach()).sigmoid()
        return ops.where(scaled > ctx.threshold, grad, grad * slope), None, None


class Hardtanh(Function):
    """y = min(max(x, lo), hi)    dy/dx = 1 strictly between the bounds, 0 elsewhere (0 at the
    bounds, unlike clamp)"""

    @staticmethod
    def forward(ctx: Function, x: Any, low: float, high: float) -> Any:
        ctx.low, ctx.high = low, high
        ctx.save_for_backward(x)
        return ctx.backend.astype(ctx.backend.clip(x, low, high), x.dtype)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        inside = (x > ctx.low).logical_and(x < ctx.high)
        return ops.where(inside, grad, 0.0), None, None


class LogSigmoid(Function):
    """y = ln σ(x) = min(x, 0) - ln(1 + e^(-|x|))  (no overflow)    dy/dx = σ(-x) = 1 - σ(x)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x)
        return b.sub(b.minimum(x, 0), b.log1p(b.exp(b.neg(b.abs(x)))))

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-x).sigmoid()


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _run(ops.relu, check_tensor(input, "relu"), inplace)


def relu_(input: Tensor) -> Tensor:
    """max(x, 0), written into ``input``."""
    return apply_inplace(check_tensor(input, "relu_"), ops.relu)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope·x."""
    input = _floating(input, "leaky_relu_cpu")
    return _run(lambda x: LeakyRelu.apply(x, float(negative_slope)), input, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else α(eˣ - 1)."""
    input = _floating(input, "elu_cpu")
    return _run(lambda x: Elu.apply(x, float(alpha)), input, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (Φ the standard normal CDF), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(_floating(input, "GeluKernelImpl"), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    return _run(Silu.apply, _floating(input, "silu_cpu"), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """ln(1 + e^(βx))/β, and x itself where βx > threshold."""
    return Softplus.apply(_floating(input, "softplus_cpu"), float(beta), float(threshold))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 0 at the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    check_tensor(input, "hardtanh")
    return _run(lambda x: Hardtanh.apply(x, min_val, max_val), input, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh, written into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """ln σ(x), computed without overflow."""
    return LogSigmoid.apply(_floating(input, "log_sigmoid_cpu"))


def sigmoid(input: Tensor) -> Tensor:
    """1/(1 + e⁻ˣ)."""
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """tanh x."""
    return ops.tanh(input)


def _softmax_dim(ndim: int, name: str) -> int:
    """torch's legacy choice of dim when none is given (with its deprecation warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along ``dim`` (see ``minigrad.softmax``)."""
    if dim is None:
        dim = _softmax_dim(check_tensor(input, "softmax").ndim, "softmax")
    return ops.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """x - ln Σ e^x along ``dim`` (see ``minigrad.log_softmax``)."""
    if dim is None:
        dim = _softmax_dim(check_tensor(input, "log_softmax").ndim, "log_softmax")
    return ops.log_softmax(input, dim, dtype)


__all__ = ["relu", "relu_", "leaky_relu", "elu", "gelu", "silu", "softplus", "hardtanh",
           "hardtanh_", "relu6", "logsigmoid", "sigmoid", "tanh", "softmax", "log_softmax"]
