"""Elementwise functions of one tensor: each forward beside its derivative.

Every backward multiplies the incoming gradient by the local derivative, written with Tensor
operations so that it can itself be differentiated (``create_graph=True``).
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import check_tensor, to_float, zeros_as


class Neg(Function):
    """y = -x    dy/dx = -1"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return ctx.backend.neg(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        return -grad


class Abs(Function):
    """y = |x|    dy/dx = sign(x)  (0 at 0, as torch)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.abs(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * x.sign()


class Sign(Function):
    """y = sign(x)    dy/dx = 0"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return ctx.backend.sign(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        return zeros_as(grad)


class Exp(Function):
    """y = eˣ    dy/dx = y"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
    """y = ln x    dy/dx = 1/x"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.log(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    """y = √x    dy/dx = 1/(2y)  (inf at 0, nan when the incoming gradient is 0 there)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


class Rsqrt(Function):
    """y = 1/√x    dy/dx = -y³/2"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.rsqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return -0.5 * grad * y.pow(3)


class Reciprocal(Function):
    """y = 1/x    dy/dx = -y²"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.reciprocal(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return -grad * (y * y)


class Sin(Function):
    """y = sin x    dy/dx = cos x"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.sin(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * x.cos()


class Cos(Function):
    """y = cos x    dy/dx = -sin x"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.cos(x)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * -x.sin()


class Tanh(Function):
    """y = tanh x    dy/dx = 1 - y²  (computed from y by the fused TanhBackward)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return TanhBackward.apply(grad, y)


class TanhBackward(Function):
    """z = g·(1 - y²), tanh's gradient as one fused op    dz/dg = 1 - y², dz/dy = -2·g·y"""

    @staticmethod
    def forward(ctx: Function, grad: Any, y: Any) -> Any:
        ctx.save_for_backward(grad, y)
        return ctx.backend.tanh_backward(grad, y)

    @staticmethod
    def backward(ctx: Function, gz: Tensor) -> tuple[Tensor | None, Tensor | None]:
        grad, y = ctx.saved_tensors
        return (gz * (1 - y * y) if ctx.needs_input_grad[0] else None,
                -2 * gz * grad * y if ctx.needs_input_grad[1] else None)


class Sigmoid(Function):
    """y = 1/(1 + e⁻ˣ)    dy/dx = y(1 - y)  (computed from y by the fused SigmoidBackward)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return SigmoidBackward.apply(grad, y)


class SigmoidBackward(Function):
    """z = g·y(1 - y), sigmoid's gradient as one fused op    dz/dg = y(1 - y), dz/dy = g(1 - 2y)"""

    @staticmethod
    def forward(ctx: Function, grad: Any, y: Any) -> Any:
        ctx.save_for_backward(grad, y)
        return ctx.backend.sigmoid_backward(grad, y)

    @staticmethod
    def backward(ctx: Function, gz: Tensor) -> tuple[Tensor | None, Tensor | None]:
        grad, y = ctx.saved_tensors
        return (gz * (y * (1 - y)) if ctx.needs_input_grad[0] else None,
                gz * grad * (1 - 2 * y) if ctx.needs_input_grad[1] else None)


class Relu(Function):
    """y = max(x, 0)    dy/dx = 1 where y > 0, else 0  (0 at 0, as torch)"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = ctx.backend.relu(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(grad, y)


class ReluBackward(Function):
    """z = 0 where y ≤ 0 else g, relu's gradient as one fused op    dz/dg = [not y ≤ 0], dz/dy = 0"""

    @staticmethod
    def forward(ctx: Function, grad: Any, y: Any) -> Any:
        ctx.save_for_backward(y)
        return ctx.backend.relu_backward(grad, y)

    @staticmethod
    def backward(ctx: Function, gz: Tensor) -> tuple[Tensor | None, Tensor | None]:
        (y,) = ctx.saved_tensors
        return (ReluBackward.apply(gz, y) if ctx.needs_input_grad[0] else None,
                gz * 0 if ctx.needs_input_grad[1] else None)


def neg(input: Tensor) -> Tensor:
    """-x, elementwise (refused on bool, as in torch)."""
    if check_tensor(input, "neg").data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    """|x|, elementwise."""
    return Abs.apply(check_tensor(input, "abs"))


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of x."""
    return Sign.apply(check_tensor(input, "sign"))


def exp(input: Tensor) -> Tensor:
    """eˣ, elementwise."""
    return Exp.apply(to_float(check_tensor(input, "exp")))


def log(input: Tensor) -> Tensor:
    """ln x, elementwise (-inf at 0, nan below)."""
    return Log.apply(to_float(check_tensor(input, "log")))


def sqrt(input: Tensor) -> Tensor:
    """√x, elementwise."""
    return Sqrt.apply(to_float(check_tensor(input, "sqrt")))


def rsqrt(input: Tensor) -> Tensor:
    """1/√x, elementwise."""
    return Rsqrt.apply(to_float(check_tensor(input, "rsqrt")))


def reciprocal(input: Tensor) -> Tensor:
    """1/x, elementwise."""
    return Reciprocal.apply(to_float(check_tensor(input, "reciprocal")))


def square(input: Tensor) -> Tensor:
    """x², elementwise (torch computes it as ``pow(x, 2)``)."""
    return check_tensor(input, "square").pow(2)


def sin(input: Tensor) -> Tensor:
    """sin x, elementwise."""
    return Sin.apply(to_float(check_tensor(input, "sin")))


def cos(input: Tensor) -> Tensor:
    """cos x, elementwise."""
    return Cos.apply(to_float(check_tensor(input, "cos")))


def tanh(input: Tensor) -> Tensor:
    """tanh x, elementwise."""
    return Tanh.apply(to_float(check_tensor(input, "tanh")))


def sigmoid(input: Tensor) -> Tensor:
    """1/(1 + e⁻ˣ), elementwise."""
    return Sigmoid.apply(to_float(check_tensor(input, "sigmoid")))


def relu(input: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return Relu.apply(check_tensor(input, "relu"))


__all__ = ["neg", "abs", "sign", "exp", "log", "sqrt", "rsqrt", "reciprocal", "square", "sin",
           "cos", "tanh", "sigmoid", "relu"]
TENSOR_METHODS = __all__
