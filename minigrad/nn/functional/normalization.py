"""Normalisation layers of ``minigrad.nn.functional``: batch_norm, layer_norm, group_norm and
rms_norm, with torch's names, defaults and errors.

Batch, layer and group norm share one Function: standardise ``x`` over some axes with the mean μ
and the biased variance σ² of those axes (the backend's ``moments``), then scale and shift:
``y = (x - μ)/√(σ² + ε)·w + b``. They differ only in the axes and in how ``w`` and ``b`` broadcast.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

from ...autograd import grad_mode, no_grad
from ...autograd.function import Function
from ...ops._util import check_tensor, wrap_dim
from ...tensor import Tensor
from .activation import torch_name

_MACHINE_EPSILON = {"float32": 2.0 ** -23, "float64": 2.0 ** -52}  # torch.finfo(dtype).eps


class Normalize(Function):
    """x̂ = (x - μ)·r with r = 1/√(σ² + ε), y = x̂·w + b, the statistics over ``axes``.

    With batch statistics (μ, σ² of x itself), ĝ = dL/dy·w and the means taken over ``axes``:
        dL/dx = r·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂))
    With given statistics (running averages): dL/dx = r·ĝ.
    Both: dL/dw = Σ dL/dy·x̂ and dL/db = Σ dL/dy over the axes that w and b broadcast along.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any, mean: Any, var: Any,
                axes: tuple[int, ...], eps: float, batch_stats: bool) -> Any:
        b = ctx.backend
        rstd = b.rsqrt(b.add(var, x.dtype.type(eps)))
        scale = rstd if weight is None else b.mul(rstd, weight)
        shift = b.mul(mean, scale)  # y = x·scale + (b - μ·scale), as torch computes it
        shift = b.neg(shift) if bias is None else b.sub(bias, shift)
        ctx.axes, ctx.eps, ctx.batch_stats = axes, eps, batch_stats
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(x, weight, mean, rstd)
        return b.scale_shift(x, scale, shift, axes)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        x, weight, mean, rstd = ctx.saved_tensors
        axes = ctx.axes
        if ctx.batch_stats and not grad_mode.is_grad_enabled():
            # no create_graph: the whole backward in one fused primitive, on the arrays
            b = ctx.backend
            grads = b.normalize_backward(
                grad.data, x.data, mean.data, rstd.data, None if weight is None else weight.data,
                axes, ctx.bias_shape if weight is None else weight.shape, ctx.needs_input_grad[:3])
            return (*(None if g is None else Tensor(g, backend=b) for g in grads),
                    None, None, None, None, None)
        if ctx.batch_stats:
            # create_graph: rebuild μ and r from x, so that second derivatives flow through them
            mean = x.mean(axes, keepdim=True)
            rstd = (x.var(axes, keepdim=True, correction=0) + ctx.eps).rsqrt()
        xhat = (x - mean) * rstd
        needs = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            h = grad * (rstd if weight is None else weight * rstd)  # r·ĝ: r is constant over axes
            if ctx.batch_stats:
                h = h - h.mean(axes, keepdim=True) - xhat * (h * xhat).mean(axes, keepdim=True)
            grad_x = h
        if needs[1]:
            grad_weight = (grad * xhat).sum_to_size(weight.shape)
        if needs[2]:
            grad_bias = grad.sum_to_size(ctx.bias_shape)
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


def _check_dtypes(input: Tensor, op: str, *others: Tensor | None) -> None:
    """A float input, and parameters of the input's dtype (torch refuses mixed dtypes on CPU)."""
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for \'{torch_name(input.dtype)}\'')
    for other in others:
        if other is not None and other.data.dtype != input.data.dtype:
            raise RuntimeError(
                f"mixed dtype (CPU): expect parameter to have scalar type of {torch_name(input.dtype)}"
            )


def _check_size(tensor: Tensor | None, name: str, size: int) -> None:
    """torch's check of a per-channel tensor of batch_norm."""
    if tensor is not None and tensor.numel() != size:
        raise RuntimeError(f"{name} should contain {size} elements not {tensor.numel()}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - μ)/√(σ² + ε)·w + b per channel (dim 1): μ, σ² of the batch (over every dim but 1)
    when ``training``, else the running averages. Training also updates the running averages in
    place: r ← (1 - momentum)·r + momentum·s, with the unbiased variance for ``running_var``."""
    check_tensor(input, "batch_norm")
    if training:
        size = input.shape[0] * math.prod(input.shape[2:])
        if size == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {input.shape}"
            )
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if momentum is None or isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(
            f"batch_norm(): argument 'momentum' (position 7) must be float, not {type(momentum).__name__}"
        )
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    _check_dtypes(input, "batch_norm", weight, bias, running_mean, running_var)
    channels = input.shape[1] if input.ndim >= 2 else 0
    for tensor, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                         (weight, "weight"), (bias, "bias")):
        _check_size(tensor, name, channels)
    wrap_dim(1, input.ndim)  # a 0-D or 1-D input has no channel dim: torch's IndexError
    per_channel = (channels,) + (1,) * (input.ndim - 2)
    weight = None if weight is None else weight.reshape(per_channel)
    bias = None if bias is None else bias.reshape(per_channel)
    b = input._backend
    axes = tuple(d for d in range(input.ndim) if d != 1)
    if not training:  # snapshots: the training steps that follow change the running averages
        mean = b.copy(b.reshape(running_mean.data, per_channel))
        var = b.copy(b.reshape(running_var.data, per_channel))
        return Normalize.apply(input, weight, bias, mean, var, axes, eps, False)
    mean, var = b.moments(input.data, axes)
    if running_mean is not None and input.numel() > 0:
        n = input.numel() // channels
        with no_grad():
            batch_mean = Tensor(b.reshape(mean, (channels,)), backend=b)
            batch_var = Tensor(b.reshape(var, (channels,)), backend=b) * (n / (n - 1))
            running_mean.copy_(running_mean * (1 - momentum) + batch_mean * momentum)
            running_var.copy_(running_var * (1 - momentum) + batch_var * momentum)
    return Normalize.apply(input, weight, bias, mean, var, axes, eps, True)


def _normalized_shape(op: str, normalized_shape: Any) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of ints, refused as torch refuses it."""
    if isinstance(normalized_shape, numbers.Integral) or not isinstance(normalized_shape, Sequence):
        raise TypeError(f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    for position, size in enumerate(normalized_shape):
        if not isinstance(size, numbers.Integral) or isinstance(size, bool):
            raise TypeError(f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                            f"but found element of type {type(size).__name__} at pos {position}")
    return tuple(int(n) for n in normalized_shape)


def _check_trailing(input: Tensor, shape: tuple[int, ...], star: str) -> None:
    """The input ends with ``shape``, or torch's RuntimeError."""
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
            "element, but got normalized_shape = []"
        )
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[{star}{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")


def _check_like(tensor: Tensor | None, name: str, shape: tuple[int, ...]) -> None:
    """An affine parameter of layer_norm or rms_norm has exactly ``normalized_shape``."""
    if tensor is not None and tuple(tensor.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                           f"{name} of shape {list(tensor.shape)} and normalized_shape = {list(shape)}")


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """y = (x - μ)/√(σ² + ε)·w + b, μ and σ² (biased) over the last ``len(normalized_shape)`` dims."""
    check_tensor(input, "layer_norm")
    shape = _normalized_shape("layer_norm", normalized_shape)
    _check_like(weight, "weight", shape)
    _check_like(bias, "bias", shape)
    _check_trailing(input, shape, "*, ")
    _check_dtypes(input, "LayerNormKernelImpl", weight, bias)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean, var = input._backend.moments(input.data, axes)
    out = Normalize.apply(input, None, None, mean, var, axes, eps, True)
    # w and b after x̂, as torch rounds layer_norm (an element equal to μ gives exactly b)
    out = out if weight is None else out * weight
    return out if bias is None else out + bias


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """y = (x - μ)/√(σ² + ε)·w + b: the C channels of each sample split into ``num_groups``
    groups, μ and σ² (biased) over each group's channels and positions; w, b per channel."""
    check_tensor(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, channels = input.shape[0], input.shape[1]
    if channels % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of "
            f"shape {list(input.shape)} and num_groups={num_groups}"
        )
    size = [n * channels // num_groups, num_groups, *input.shape[2:]]  # torch's check, as torch
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    for tensor, name in ((weight, "weight"), (bias, "bias")):
        if tensor is not None and (tensor.ndim != 1 or tensor.numel() != channels):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, "
                f"but got {name} of shape {list(tensor.shape)} and input of shape {list(input.shape)}"
            )
    _check_dtypes(input, "GroupNormKernelImpl", weight, bias)
    grouped = (n, num_groups, channels // num_groups, math.prod(input.shape[2:]))
    per_channel = grouped[1:3] + (1,)
    x = input.reshape(grouped)
    weight = None if weight is None else weight.reshape(per_channel)
    bias = None if bias is None else bias.reshape(per_channel)
    mean, var = input._backend.moments(x.data, (2, 3))
    return Normalize.apply(x, weight, bias, mean, var, (2, 3), eps, True).reshape(input.shape)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """y = x/√(mean(x²) + ε)·w over the last ``len(normalized_shape)`` dims; ε defaults to the
    machine epsilon of the input's dtype, as in torch."""
    check_tensor(input, "rms_norm")
    shape = _normalized_shape("rms_norm", normalized_shape)
    _check_like(weight, "weight", shape)
    _check_trailing(input, shape, "*")
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f"\"rms_norm\" not implemented for '{torch_name(input.dtype)}'")
    if eps is None:
        eps = _MACHINE_EPSILON[input.dtype.name]
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight.type_as(out)


__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm"]
