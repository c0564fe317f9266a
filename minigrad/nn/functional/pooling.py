"""Pooling in ``minigrad.nn.functional``: max, average and adaptive pooling, with torch's
arguments, output sizes, tie rule and errors.

Every pool runs on (N, C, H, W) arrays through the backend's pooling primitives: a 1-d pool is a
2-d pool over a height of 1, and an unbatched input is a batch of one. Max pooling follows torch's
rule in each window: padding counts as -inf, the first maximum in row-major order wins (strict
``>``) and NaN always wins; its gradient goes to that one element, added up where windows overlap.
"""

from __future__ import annotations

from typing import Any, Sequence

from ...autograd.function import Function
from ...ops._util import check_tensor
from ...ops.index import Gather
from ...tensor import Tensor
from .activation import torch_name

Size = int | Sequence[int]
Pair = tuple[int, int]


class MaxPool2d(Function):
    """y = the max of each window, i = where it is (flat over H·W)    dL/dx = dL/dy added at i"""

    @staticmethod
    def forward(ctx: Function, x: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                out_size: Pair) -> tuple[Any, Any]:
        values, indices = ctx.backend.max_pool2d(x, kernel, stride, padding, dilation, out_size)
        ctx.indices, ctx.input_size = indices, x.shape[2:]
        return values, indices

    @staticmethod
    def backward(ctx: Function, grad: Tensor, _: Tensor) -> tuple[Tensor | None, ...]:
        return (MaxPoolBackward.apply(grad, ctx.indices, ctx.input_size),) + (None,) * 5


class AdaptiveMaxPool2d(Function):
    """y = the max of each adaptive window, i = where it is    dL/dx = dL/dy added at i"""

    @staticmethod
    def forward(ctx: Function, x: Any, out_size: Pair) -> tuple[Any, Any]:
        values, indices = ctx.backend.adaptive_max_pool2d(x, out_size)
        ctx.indices, ctx.input_size = indices, x.shape[2:]
        return values, indices

    @staticmethod
    def backward(ctx: Function, grad: Tensor, _: Tensor) -> tuple[Tensor | None, None]:
        return MaxPoolBackward.apply(grad, ctx.indices, ctx.input_size), None


class MaxPoolBackward(Function):
    """y = zeros of the input's shape with g added at the indices    dL/dg = dL/dy gathered at them"""

    @staticmethod
    def forward(ctx: Function, grad: Any, indices: Any, input_size: Pair) -> Any:
        ctx.indices = indices
        return ctx.backend.max_pool2d_backward(grad, indices, input_size)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        n, c, oh, ow = ctx.indices.shape
        flat = ctx.backend.reshape(ctx.indices, (n, c, oh * ow))
        h, w = grad.shape[2:]
        picked = Gather.apply(grad.reshape(n, c, h * w), 2, flat)
        return picked.reshape(n, c, oh, ow), None, None


class AvgPool2d(Function):
    """y = Σ window / divisor    dL/dx = each dL/dy / divisor spread over its window"""

    @staticmethod
    def forward(ctx: Function, x: Any, kernel: Pair, stride: Pair, padding: Pair, out_size: Pair,
                count_include_pad: bool, divisor_override: int | None) -> Any:
        ctx.options = (x.shape[2:], kernel, stride, padding, count_include_pad, divisor_override)
        return ctx.backend.avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad,
                                      divisor_override)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        return (AvgPoolBackward.apply(grad, *ctx.options),) + (None,) * 6


class AvgPoolBackward(Function):
    """y = each g / divisor spread over its window    dL/dg = the average pool of dL/dy (its adjoint)"""

    @staticmethod
    def forward(ctx: Function, grad: Any, input_size: Pair, kernel: Pair, stride: Pair,
                padding: Pair, count_include_pad: bool, divisor_override: int | None) -> Any:
        ctx.options = (kernel, stride, padding, grad.shape[2:], count_include_pad, divisor_override)
        return ctx.backend.avg_pool2d_backward(grad, input_size, kernel, stride, padding,
                                               count_include_pad, divisor_override)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        return (AvgPool2d.apply(grad, *ctx.options),) + (None,) * 6


class AdaptiveAvgPool2d(Function):
    """y = the mean of each adaptive window    dL/dx = each dL/dy / window size spread over it"""

    @staticmethod
    def forward(ctx: Function, x: Any, out_size: Pair) -> Any:
        ctx.input_size = x.shape[2:]
        return ctx.backend.adaptive_avg_pool2d(x, out_size)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, None]:
        return AdaptiveAvgPoolBackward.apply(grad, ctx.input_size), None


class AdaptiveAvgPoolBackward(Function):
    """y = each g / window size spread over its window    dL/dg = the adaptive mean of dL/dy"""

    @staticmethod
    def forward(ctx: Function, grad: Any, input_size: Pair) -> Any:
        ctx.out_size = grad.shape[2:]
        return ctx.backend.adaptive_avg_pool2d_backward(grad, input_size)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, None]:
        return AdaptiveAvgPool2d.apply(grad, ctx.out_size), None


# arguments: ints or tuples of ints, with torch's errors


def _ints(value: Any, op: str, name: str, position: int) -> tuple[int, ...]:
    """``value`` as a tuple of ints, or torch's TypeError naming the argument."""
    several = isinstance(value, (tuple, list))
    items = tuple(value) if several else (value,)
    for pos, item in enumerate(items):
        if not isinstance(item, int) or isinstance(item, bool):
            kind = type(item).__name__
            found = f"but found element of type {kind} at pos {pos}" if several else f"not {kind}"
            raise TypeError(f"{op}(): argument '{name}' (position {position}) must be tuple of "
                            f"ints, {found}")
    return items


_RULES = {"kernel_size": "must either be a single int, or a tuple of two ints",
          "stride": "must either be omitted, a single int, or a tuple of two ints",
          "padding": "must either be a single int, or a tuple of two ints",
          "dilation": "must be either a single int, or a tuple of two ints"}


def _pair(value: Any, op: str, name: str, position: int) -> Pair:
    """An int or a tuple of one or two ints as (height, width)."""
    items = _ints(value, op, name, position)
    if len(items) not in (1, 2):
        raise RuntimeError(f"{op}: {name} {_RULES[name]}")
    return (items[0], items[-1])


def _single(value: Any, op: str, name: str, position: int) -> int:
    """An int or a tuple of one int (1-d pools)."""
    items = _ints(value, op, name, position)
    if len(items) != 1:
        if op == "avg_pool1d":
            raise RuntimeError(f"avg_pool1d() argument '{name}' should contain one int "
                               f"(got {len(items)})")
        raise RuntimeError(f"{op}() {name} must be an int, list of ints or tuple of ints of size 1 "
                           f"but got size {len(items)}")
    return items[0]


def _output_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """⌊(n + 2p - d(k-1) - 1) / s⌋ + 1 (rounded up with ceil_mode, unless the last window would
    then start in the right padding)."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return out - 1 if ceil_mode and (out - 1) * s >= n + p else out


def _pool2d_size(x: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                 ceil_mode: bool) -> Pair:
    """The output (height, width) of a 4-d pool, after torch's checks in torch's order."""
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    out = []
    for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > int(((k - 1) * d + 1) / 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
        out.append(_output_size(n, k, s, p, d, ceil_mode))
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} "
                           f"dilationW: {dw}")
    if 0 in x.shape[1:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(x.shape)}")
    if ph > kh // 2 or pw > kw // 2:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if out[0] < 1 or out[1] < 1:
        c, h, w = x.shape[1:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return out[0], out[1]


def _batched(input: Tensor, spatial: int) -> tuple[Tensor, bool]:
    """``input`` as (N, C, H, W): a 1-d pool (``spatial`` 1) gets a height of 1, an unbatched
    input a batch of one; the flag says whether the batch dimension was added."""
    unbatched = input.ndim == spatial + 1
    x = input.unsqueeze(-2) if spatial == 1 else input
    return (x.unsqueeze(0) if unbatched else x), unbatched


def _restore(out: Tensor, spatial: int, unbatched: bool) -> Tensor:
    """The pooled (N, C, H, W) result back in the input's layout."""
    out = out.squeeze(0) if unbatched else out
    return out.squeeze(-2) if spatial == 1 else out


def _max_pool(x: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
              out_size: Pair, spatial: int, unbatched: bool,
              return_indices: bool) -> Tensor | tuple[Tensor, Tensor]:
    """Run MaxPool2d on the (N, C, H, W) view and give back values (and indices) as the input."""
    values, indices = MaxPool2d.apply(x, kernel, stride, padding, dilation, out_size)
    values = _restore(values, spatial, unbatched)
    return (values, _restore(indices, spatial, unbatched)) if return_indices else values


def max_pool2d(input: Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The max of each kernel_size window of (N, C, H, W) or (C, H, W), and with return_indices
    where it is (flat over H·W); stride defaults to kernel_size."""
    check_tensor(input, "max_pool2d")
    kernel = _pair(kernel_size, "max_pool2d", "kernel_size", 2)
    stride = kernel if stride is None or stride == [] else _pair(stride, "max_pool2d", "stride", 3)
    padding = _pair(padding, "max_pool2d", "padding", 4)
    dilation = _pair(dilation, "max_pool2d", "dilation", 5)
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if input.dtype.name == "bool":
        raise NotImplementedError("\"max_pool2d\" not implemented for 'Bool'")
    x, unbatched = _batched(input, 2)
    out = _pool2d_size(x, kernel, stride, padding, dilation, ceil_mode)
    return _max_pool(x, kernel, stride, padding, dilation, out, 2, unbatched, return_indices)


def max_pool1d(input: Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The max of each kernel_size window along the last dim of (N, C, L) or (C, L)."""
    check_tensor(input, "max_pool1d")
    if input.ndim not in (2, 3) or 0 in input.shape[1:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(input.shape)}")
    k = _single(kernel_size, "max_pool1d", "kernel_size", 2)
    s = k if stride is None or stride == [] else _single(stride, "max_pool1d", "stride", 3)
    p = _single(padding, "max_pool1d", "padding", 4)
    d = _single(dilation, "max_pool1d", "dilation", 5)
    for name, value in (("kernel_size", k), ("stride", s)):
        if value <= 0:
            raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {value}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    length = _output_size(input.shape[-1], k, s, p, d, ceil_mode)
    if length < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    if input.data.dtype.kind != "f" and not return_indices:
        raise NotImplementedError(f"\"max_pool1d_impl\" not implemented for '{torch_name(input.dtype)}'")
    x, unbatched = _batched(input, 1)
    return _max_pool(x, (1, k), (1, s), (0, p), (1, d), (1, length), 1, unbatched, return_indices)


def _avg_pool(op: str, x: Tensor, kernel: Pair, stride: Pair, padding: Pair, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None) -> Tensor:
    """Run AvgPool2d on the (N, C, H, W) view after torch's checks."""
    if x.data.dtype.kind != "f":
        raise NotImplementedError(f"{op} of an integer tensor (torch rounds it): not in minigrad")
    out = _pool2d_size(x, kernel, stride, padding, (1, 1), ceil_mode)
    return AvgPool2d.apply(x, kernel, stride, padding, out, count_include_pad, divisor_override)


def avg_pool2d(input: Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each kernel_size window of (N, C, H, W) or (C, H, W): its sum over the window's
    size (padding counted with count_include_pad) or over divisor_override."""
    check_tensor(input, "avg_pool2d")
    kernel = _pair(kernel_size, "avg_pool2d", "kernel_size", 2)
    stride = kernel if stride is None or stride == [] else _pair(stride, "avg_pool2d", "stride", 3)
    padding = _pair(padding, "avg_pool2d", "padding", 4)
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got -3)")
    if input.ndim > 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(input.shape)}")
    x, unbatched = _batched(input, 2)
    out = _avg_pool("avg_pool2d", x, kernel, stride, padding, ceil_mode, count_include_pad,
                    divisor_override)
    return _restore(out, 2, unbatched)


def avg_pool1d(input: Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each kernel_size window along the last dim of (N, C, L) or (C, L)."""
    check_tensor(input, "avg_pool1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           "for argument #1 'self' (while checking arguments for avg_pool1d)")
    k = _single(kernel_size, "avg_pool1d", "kernel_size", 2)
    s = k if stride is None or stride == [] else _single(stride, "avg_pool1d", "stride", 3)
    p = _single(padding, "avg_pool1d", "padding", 4)
    x, unbatched = _batched(input, 1)
    out = _avg_pool("avg_pool2d", x, (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None)
    return _restore(out, 1, unbatched)


def _adaptive(op: str, input: Tensor, output_size: Any) -> tuple[Tensor, bool, Pair]:
    """The (N, C, H, W) view of input, whether it was unbatched, and the output size (a None
    entry keeps the input's size), after torch's checks."""
    check_tensor(input, op)
    if input.ndim not in (3, 4):
        sep = " " if "avg" in op else ": "
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got{sep}{list(input.shape)}")
    if output_size is None:
        raise TypeError("object of type 'NoneType' has no len()")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    sizes = tuple(n if o is None else o for o, n in zip(sizes, input.shape[-2:])) \
        if len(sizes) == 2 else sizes
    _ints(sizes, op, "output_size", 2)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2" if "avg" in op else
                           "adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    checked = range(input.ndim - 2 if "avg" in op else 1, input.ndim)
    empty = [d for d in checked if input.shape[d] == 0]
    if empty:
        raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(input.shape)} with dimension "
                           f"{empty[0]} being empty")
    if min(sizes) < 0:
        if "avg" in op:
            raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than "
                               f"or equal to 0 but received {{{sizes[0]}, {sizes[1]}}}")
        shape = list(input.shape[:-2]) + list(sizes)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {shape}")
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f"\"{op}\" not implemented for '{torch_name(input.dtype)}'")
    x, unbatched = _batched(input, 2)
    return x, unbatched, (sizes[0], sizes[1])


def adaptive_avg_pool2d(input: Tensor, output_size: Size | Sequence[int | None]) -> Tensor:
    """The mean of each window rows ⌊i·H/out⌋ ≤ h < ⌈(i+1)·H/out⌉ (likewise columns), for an
    output of output_size (a None entry keeps the input's size)."""
    x, unbatched, out = _adaptive("adaptive_avg_pool2d", input, output_size)
    return _restore(AdaptiveAvgPool2d.apply(x, out), 2, unbatched)


def adaptive_max_pool2d(input: Tensor, output_size: Size | Sequence[int | None],
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The max of each adaptive window (see adaptive_avg_pool2d), and with return_indices where
    it is (flat over H·W)."""
    x, unbatched, out = _adaptive("adaptive_max_pool2d", input, output_size)
    values, indices = AdaptiveMaxPool2d.apply(x, out)
    values = _restore(values, 2, unbatched)
    return (values, _restore(indices, 2, unbatched)) if return_indices else values


__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d"]
