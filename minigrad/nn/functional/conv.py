"""Convolutions of ``minigrad.nn.functional``: unfold and fold (im2col and col2im), conv1d, conv2d
and conv_transpose2d, with torch's names, defaults, output sizes and errors.

A convolution is a matrix product in disguise. ``unfold`` copies every kh×kw patch of the
(padded) input into one column; one matmul of the weight, seen as a matrix (out, in·kh·kw), with
those columns computes every output pixel; a reshape lays the result out as an image::

    x (N, C, H, W) --unfold--> (N, C·kh·kw, L) --W @--> (N, out, L) --reshape--> (N, out, oh, ow)

with ``L = oh·ow`` and ``oh = ⌊(H + 2p - d(k-1) - 1)/s⌋ + 1``. Unfold and fold are each other's
adjoint (the backward of one is the other), so the backward of a convolution (itself a
convolution: fold of Wᵀ @ grad) and its double backward come from Unfold, Fold and MatMul. A
transposed convolution is the same chain read backwards: Wᵀ @ x, then fold.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ...autograd.function import Function
from ...ops._util import check_tensor
from ...tensor import Tensor
from .activation import torch_name
from .layers import pad

Pair = tuple[int, int]
_C_NAME = {"float32": "float", "float64": "double", "int64": "long int", "bool": "bool"}


class Unfold(Function):
    """cols[n, c·kh·kw + i·kw + j, oy·ow + ox] = x_padded[n, c, s·oy + d·i, s·ox + d·j]
    dL/dx = fold(dL/dcols): each pixel collects the gradients of every column that copied it"""

    @staticmethod
    def forward(ctx: Function, x: Any, kernel_size: Pair, dilation: Pair, padding: Pair,
                stride: Pair) -> Any:
        ctx.args = (tuple(x.shape[-2:]), kernel_size, dilation, padding, stride)
        return ctx.backend.im2col(x, kernel_size, dilation, padding, stride)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        return Fold.apply(grad, *ctx.args), None, None, None, None


class Fold(Function):
    """x[n, c, y, x] = Σ of the column entries that land on pixel (y, x)
    dL/dcols = unfold(dL/dx): each column entry reads the gradient of the pixel it landed on"""

    @staticmethod
    def forward(ctx: Function, cols: Any, output_size: Pair, kernel_size: Pair, dilation: Pair,
                padding: Pair, stride: Pair) -> Any:
        ctx.args = (kernel_size, dilation, padding, stride)
        return ctx.backend.col2im(cols, output_size, kernel_size, dilation, padding, stride)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None, None, None, None]:
        return Unfold.apply(grad, *ctx.args), None, None, None, None, None


def _blocks(size: Sequence[int], kernel_size: Sequence[int], dilation: Sequence[int],
            padding: Sequence[int], stride: Sequence[int]) -> tuple[int, ...]:
    """Sliding blocks along each dim: ⌊(n + 2p - d(k-1) - 1)/s⌋ + 1."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, d, p, s in zip(size, kernel_size, dilation, padding, stride))


# unfold and fold


def _fold_pair(value: int | Sequence[int], name: str) -> Pair:
    """An int or a pair, as unfold and fold take their sizes."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(pair)}")
    return pair


def _fold_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple[Pair, ...]:
    """The four sizes of unfold/fold as pairs, with torch's checks."""
    k, d, p, s = (_fold_pair(v, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                                (padding, "padding"), (stride, "stride")))
    for pair, rule, what, words in ((k, 1, "kernel size", "kernel"), (s, 1, "stride", "stride"),
                                    (d, 1, "dilation", "dilation"), (p, 0, "padding", "pad")):
        if min(pair) < rule:
            bound = "greater than zero" if rule else "non-negative"
            raise RuntimeError(f"{what} should be {bound}, but got {words}_height: {pair[0]} "
                               f"{words}_width: {pair[1]}")
    return k, d, p, s


def _not_float(input: Tensor, kernel: str) -> None:
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(input.dtype)}\'')


def unfold(input: Tensor, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> Tensor:
    """im2col: (N, C, H, W) → (N, C·kh·kw, L), one column per sliding block (no batch: (C, H, W))."""
    check_tensor(input, "unfold")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    if 0 < input.ndim < 3:  # torch looks up the dim -3 and misses it
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got {input.ndim})")
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(input.shape)}")
    _not_float(input, "im2col_out_cpu")
    blocks = _blocks(input.shape[-2:], k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(input.shape[-2:])}, kernel_size={k}, "
            f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as "
            f"{blocks}, but its components must be at least one.")
    if input.ndim == 3:
        return Unfold.apply(input.unsqueeze(0), k, d, p, s).squeeze(0)
    return Unfold.apply(input, k, d, p, s)


def fold(input: Tensor, output_size: int | Sequence[int], kernel_size: int | Sequence[int],
         dilation: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
         stride: int | Sequence[int] = 1) -> Tensor:
    """col2im: (N, C·kh·kw, L) → (N, C, *output_size), overlapping entries summed (no batch:
    (C·kh·kw, L) → (C, *output_size))."""
    check_tensor(input, "fold")
    size = _fold_pair(output_size, "output_size")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: {list(input.shape)}")
    _not_float(input, "col2im_out_cpu")
    rows, length = input.shape[-2:]
    if rows % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={rows} and kernel_size={k}.")
    bh, bw = _blocks(size, k, d, p, s)
    if bh * bw != length or bh < 1 or bw < 1:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
            "expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {bh} * {bw} = {bh * bw}, but got input.size(2)={length}.")
    if input.ndim == 2:
        return Fold.apply(input.unsqueeze(0), size, k, d, p, s).squeeze(0)
    return Fold.apply(input, size, k, d, p, s)


# convolutions


def _conv_tuple(value: Any, name: str, dims: int) -> tuple[int, ...]:
    """stride, padding, dilation or output_padding as one int per spatial dim."""
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values "
                           f"to match the convolution dimensions, but got {name}={values}")
    return tuple(values)


def _check_conv(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, groups: int,
                transposed: bool) -> int:
    """torch's checks of shapes, groups and dtypes; returns the number of spatial dims."""
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    dims = int(op[-2]) if op[-2].isdigit() else 2
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(input.shape)}")
    batched = input.shape if input.ndim == dims + 2 else (1, *input.shape)
    if weight.ndim != dims + 2 and dims == 2:  # torch meets the mismatch in the stride's size
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{weight.ndim - 2} values to match the convolution dimensions, but got "
                           f"stride={[1] * dims}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional "
                           f"weight {list(weight.shape)}, but got {len(batched)}-dimensional input "
                           f"of size {list(batched)} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] == 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if weight.shape[0] % groups:  # torch prints the size inside a second pair of brackets
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size {[list(weight.shape)]} instead")
    wanted = weight.shape[0] if transposed else weight.shape[1] * groups
    if batched[1] != wanted:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {given}, weight of size {list(weight.shape)}, expected "
                           f"input{list(batched)} to have {wanted} channels, but got {batched[1]} "
                           "channels instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(input.dtype)} but found "
                           f"{torch_name(weight.dtype)}")
    if bias is not None:
        check_tensor(bias, op, "bias")
        out = weight.shape[1] * groups if transposed else weight.shape[0]
        if bias.ndim != 1 or bias.shape[0] != out:
            raise RuntimeError(
                f"Given {'transposed=1, ' if transposed else ''}weight of size "
                f"{list(weight.shape)}, expected bias to be 1-dimensional with {out} elements, but "
                f"got bias of size {list(bias.shape)} instead")
        if bias.dtype != input.dtype:
            raise RuntimeError(f"Input type ({_C_NAME[input.dtype.name]}) and bias type "
                               f"({_C_NAME[bias.dtype.name]}) should be the same")
    return dims


def _check_sizes(stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...],
                 transposed: bool = False) -> None:
    """torch's checks of the sizes (the zero dilation is shown as torch's kernels show it)."""
    if min(padding) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) < 0:
        raise RuntimeError("dilation should be greater than zero")
    if min(dilation) == 0:
        shown = (f"dilation_height: {dilation[0]}, dilation_width: {dilation[1]}" if transposed
                 else str([1, *dilation] if len(dilation) == 1 else list(dilation)))
        raise RuntimeError(f"dilation should be greater than zero, but got {shown}")


def _same_padding(x: Tensor, kernel: Sequence[int], dilation: Sequence[int]) -> tuple[Tensor, Pair]:
    """padding='same': d(k-1) zeros per dim, split as torch does (the extra one, for an even
    d(k-1), goes to the bottom/right, padded beforehand)."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    low = tuple(t // 2 for t in total)
    extra = [t - 2 * lo for t, lo in zip(total, low)]
    if any(extra):
        x = pad(x, [0, extra[1], 0, extra[0]])
    return x, low


def _group_matmul(w: Tensor, x: Tensor, groups: int) -> Tensor:
    """out[n, g·m + o] = w[g, o] @ x[n, g·k : (g+1)·k] for w (G, m, k) and x (N, G·k, L): one
    matrix product per group over the whole batch, x laid out as (G, k, N·L) (one large product
    is far faster than N small ones)."""
    n, rows, length = x.shape
    per_group = rows // groups
    x = x.reshape(n, groups, per_group, length).permute(1, 2, 0, 3)
    out = w @ x.reshape(groups, per_group, n * length)  # (G, m, N·L)
    return out.reshape(groups * w.shape[1], n, length).transpose(0, 1)  # (N, G·m, L)


def _conv(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any, groups: int) -> Tensor:
    """Convolution over the last ``dims`` dims (1 or 2) as unfold + grouped matmul + bias."""
    dims = _check_conv(op, input, weight, bias, groups, transposed=False)
    stride, dilation = _conv_tuple(stride, "stride", dims), _conv_tuple(dilation, "dilation", dims)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and max(stride) > 1:
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        same, padding = padding == "same", (0,) * dims
    else:
        same, padding = False, _conv_tuple(padding, "padding", dims)
    _check_sizes(stride, padding, dilation)
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    w = weight
    if dims == 1:  # a 1-D convolution is a 2-D one on images of height 1
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        stride, padding, dilation = (1, *stride), (0, *padding), (1, *dilation)
    out_channels, kernel = w.shape[0], tuple(w.shape[2:])
    if same:
        x, padding = _same_padding(x, kernel, dilation)
    spatial = x.shape[2:]
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding))
    dilated = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(n < k for n, k in zip(padded, dilated)):
        shown = slice(1, None) if dims == 1 else slice(None)
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded[shown]))}). "
            f"Kernel size: ({' x '.join(map(str, dilated[shown]))}). Kernel size can't be greater "
            "than actual input size")
    oh, ow = _blocks(spatial, kernel, dilation, padding, stride)
    cols = Unfold.apply(x, kernel, dilation, padding, stride)  # (N, C·kh·kw, L)
    n, rows = cols.shape[:2]
    out = _group_matmul(w.reshape(groups, out_channels // groups, rows // groups), cols, groups)
    if bias is not None:
        out = out + bias.unsqueeze(1)
    out = out.reshape(n, out_channels, ow) if dims == 1 else out.reshape(n, out_channels, oh, ow)
    return out.squeeze(0) if unbatched else out


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """y[n, o] = b[o] + Σ_c Σ_ij W[o, c, i, j]·x_padded[n, c, s·y + d·i, s·x + d·j] (cross-
    correlation), input (N, C, H, W) or (C, H, W), weight (out, C/groups, kh, kw); padding is an
    int, a pair, 'valid' (0) or 'same' (output size = input size, stride 1 only)."""
    return _conv("conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """conv2d along one dim: input (N, C, L) or (C, L), weight (out, C/groups, k)."""
    return _conv("conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """The adjoint of conv2d (its input gradient): cols = Wᵀ @ x, then fold them into an image of
    size (H-1)s - 2p + d(k-1) + output_padding + 1; weight (C, out/groups, kh, kw)."""
    if isinstance(padding, str):
        raise TypeError("conv_transpose2d(): argument 'padding' must be tuple of ints, not str")
    _check_conv("conv_transpose2d", input, weight, bias, groups, transposed=True)
    stride, padding = _conv_tuple(stride, "stride", 2), _conv_tuple(padding, "padding", 2)
    dilation = _conv_tuple(dilation, "dilation", 2)
    output_padding = _conv_tuple(output_padding, "output_padding", 2)
    _check_sizes(stride, padding, dilation, transposed=True)
    if min(output_padding) < 0:
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
            f"stride_height: {stride[0]} stride_width: {stride[1]} "
            f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, channels, h, w = x.shape
    kernel = tuple(weight.shape[2:])
    full = tuple((m - 1) * s + d * (k - 1) + 1
                 for m, k, d, s in zip((h, w), kernel, dilation, stride))
    size = tuple(f - 2 * p + op for f, p, op in zip(full, padding, output_padding))
    if min(size) < 1:
        raise RuntimeError(f"Given input size per channel: ({h} x {w}). Calculated output size per "
                           f"channel: ({size[0]} x {size[1]}). Output size is too small")
    out_channels = weight.shape[1] * groups
    per_group = channels // groups
    rows = math.prod(weight.shape[1:])  # out/G·kh·kw
    w_t = weight.reshape(groups, per_group, rows).transpose(1, 2)  # (G, out/G·kh·kw, C/G)
    cols = _group_matmul(w_t, x.reshape(n, channels, h * w), groups)  # (N, out·kh·kw, H·W)
    if all(op < s for op, s in zip(output_padding, stride)):
        out = Fold.apply(cols, size, kernel, dilation, padding, stride)
    else:  # more blocks would fit in `size`: fold the whole canvas, then crop (or pad) it
        out = Fold.apply(cols, full, kernel, dilation, (0, 0), stride)
        out = pad(out, [-padding[1], size[1] + padding[1] - full[1],
                        -padding[0], size[0] + padding[0] - full[0]])
    if bias is not None:
        out = out + bias.reshape(out_channels, 1, 1)
    return out.squeeze(0) if unbatched else out


__all__ = ["conv1d", "conv2d", "conv_transpose2d", "fold", "unfold"]
