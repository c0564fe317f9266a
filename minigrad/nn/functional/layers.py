"""Functional layers of ``minigrad.nn.functional``: linear, embedding, one_hot, pad, dropout,
normalize and cosine_similarity, with torch's names, defaults and errors."""

from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

from ... import dtypes, ops
from ...autograd import no_grad
from ...autograd.function import Function
from ...creation import arange, zeros_like
from ...ops._util import broadcast_shapes, check_tensor, promote, wrap_dim
from ...ops.inplace import apply_inplace
from ...tensor import Tensor
from .activation import torch_name


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ Wᵀ + b: the affine map of a Linear layer (W has shape (out, in))."""
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight")
    if bias is not None and input.ndim == 2 and weight.ndim == 2:
        return ops.addmm(check_tensor(bias, "linear", "bias"), input, weight.t())
    out = ops.matmul(input, weight.t())
    return out if bias is None else out + bias


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` at the indices ``input``; the row ``padding_idx`` gets no gradient.

    With ``max_norm``, the rows looked up are first rescaled in place (no gradient) to a
    ``norm_type``-norm of at most ``max_norm``, as torch does.
    """
    check_tensor(input, "embedding", "indices")
    check_tensor(weight, "embedding", "weight")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(scale_grad_by_freq=True, sparse=True): not in minigrad")
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= weight.shape[0]
    if input.data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.dtype.name} instead (while checking arguments for embedding)"
        )
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    flat = input.reshape(-1)
    if max_norm is not None:
        _renorm_rows(weight, flat, max_norm, norm_type)
    out = weight.index_select(0, flat).reshape(*input.shape, weight.shape[1])
    if padding_idx is not None and out.requires_grad:
        out = ops.where((input == padding_idx).unsqueeze(-1), out.detach(), out)
    return out


def _renorm_rows(weight: Tensor, rows: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` whose norm exceeds ``max_norm`` down to it, in place."""
    with no_grad():
        looked_up = weight.index_select(0, rows)
        norms = VectorNorm.apply(looked_up, float(norm_type), 1)
        scale = ops.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[rows] = looked_up * scale


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class index."""
    check_tensor(tensor, "one_hot", "self")
    if tensor.dtype != dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if tensor.min().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        largest = tensor.max().item()
        if num_classes == -1:
            num_classes = largest + 1
        elif largest >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    b = tensor._backend
    classes = b.arange(0, num_classes, 1, tensor.data.dtype)
    hits = b.compare("eq", b.reshape(tensor.data, tuple(tensor.shape) + (1,)), classes)
    return Tensor(b.astype(hits, tensor.data.dtype), backend=b)


class ConstantPad(Function):
    """y = x surrounded by ``value`` (a negative pad crops)    dL/dx = dL/dy with the pads
    negated: the padding cropped off again"""

    @staticmethod
    def forward(ctx: Function, x: Any, pads: tuple[tuple[int, int], ...], value: float) -> Any:
        b = ctx.backend
        ctx.pads = pads
        out = b.full(tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads)), value, x.dtype)
        source = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pads))
        target = tuple(slice(max(lo, 0), m - max(hi, 0)) for m, (lo, hi) in zip(out.shape, pads))
        b.setitem(out, target, b.getitem(x, source))
        return out

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        return ConstantPad.apply(grad, tuple((-lo, -hi) for lo, hi in ctx.pads), 0), None, None


_PAD_SUPPORT = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """``input`` padded by ``pad = (last_lo, last_hi, second_last_lo, ...)``, last dim first:
    with ``value`` (constant), the mirror image without the edge (reflect), or the edge (replicate).
    """
    check_tensor(input, "pad")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got "
            f"padding length {len(pad)} and input of dimension {input.ndim}"
        )
    padded = len(pad) // 2
    pairs = [(0, 0)] * (input.ndim - padded) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(padded))]
    if mode == "constant":
        for dim, (n, (lo, hi)) in enumerate(zip(input.shape, pairs)):
            if n + lo + hi < 0:
                raise RuntimeError(
                    f"The input size {n}, plus negative padding {lo} and {hi} resulted in a "
                    f"negative output size, which is invalid. Check dimension {dim} of your input."
                )
            if max(-lo, 0) + max(-hi, 0) > n:  # torch crops one side at a time with narrow
                raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPad.apply(input, tuple(pairs), 0 if value is None else value)
    if mode == "circular":
        raise NotImplementedError("pad(mode='circular') is not implemented in minigrad")
    if mode not in ("reflect", "replicate"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if input.ndim not in (padded + 1, padded + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n{_PAD_SUPPORT}"
        )
    if any(n == 0 for n in input.shape[input.ndim - padded - 1:]):  # all but a batch dim
        raise RuntimeError(
            f"Expected {padded + 1}D or {padded + 2}D (batch mode) tensor with possibly 0 batch size "
            f"and other non-zero dimensions for input, but got: {list(input.shape)}"
        )
    out = input
    for dim in range(input.ndim - padded, input.ndim):
        n, (lo, hi) = input.shape[dim], pairs[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {dim} of input {list(input.shape)}"
            )
        out = out.index_select(dim, _source_positions(n, lo, hi, mode, input))
    return out


def _source_positions(n: int, lo: int, hi: int, mode: str, like: Tensor) -> Tensor:
    """Which input position each output position copies along one padded dim."""
    positions = arange(-lo, n + hi, device=like.device)
    if mode == "replicate":
        return positions.clamp(0, n - 1)
    return (n - 1) - ((n - 1) - positions.abs()).abs()  # reflect at 0 and at n - 1


class Dropout(Function):
    """y = x·m/(1-p), m ~ Bernoulli(1-p) drawn once per element    dL/dx = dL/dy·m/(1-p)"""

    @staticmethod
    def forward(ctx: Function, x: Any, p: float) -> Any:
        b = ctx.backend
        kept = b.compare("ge", b.rand(x.shape, x.dtype), p)
        scale = b.div(b.astype(kept, x.dtype), 1 - p)
        ctx.save_for_backward(scale)
        return b.mul(x, scale)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None]:
        (scale,) = ctx.saved_tensors
        return grad * scale, None


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (identity when not
    training); the mask comes from minigrad's random generator (``minigrad.manual_seed``)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    check_tensor(input, "dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return apply_inplace(input, lambda x: x * 0) if inplace else input * 0
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"dropout needs a floating point input, got {input.dtype.name}")
    if inplace:
        return apply_inplace(input, lambda x: Dropout.apply(x, float(p)))
    return Dropout.apply(input, float(p))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each channel ``input[n, c]`` as a whole with probability ``p`` and scale the rest by
    1/(1-p) (identity when not training); the mask, of shape (N, C, 1, 1), comes from minigrad's
    random generator. A 3-D input is read as (N, C, L), with torch's warning."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    check_tensor(input, "dropout2d")
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead.", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
                      "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
                      "is the channel dim.", stacklevel=2)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return apply_inplace(input, lambda x: x * 0) if inplace else input * 0
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if input.data.dtype.kind != "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {torch_name(input.dtype)}"
        )
    b = input._backend
    noise_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    kept = b.compare("ge", b.rand(noise_shape, input.data.dtype), p)
    mask = Tensor(b.div(b.astype(kept, input.data.dtype), 1 - p), backend=b)
    return apply_inplace(input, lambda x: x * mask) if inplace else input * mask


class VectorNorm(Function):
    """y = (Σ|x|ᵖ)^(1/p) along ``dim`` (kept)    dy/dx = sign(x)·|x|^(p-1)/y^(p-1), 0 where y = 0;
    p = 1: sign(x); p = ∞: split evenly among the largest |x|; p = 0 (count of non-zeros): 0"""

    @staticmethod
    def forward(ctx: Function, x: Any, p: float, dim: int) -> Any:
        b = ctx.backend
        ctx.p, ctx.dim = p, dim
        a = b.abs(x)
        if p == math.inf:
            y = b.amax(a, dim, True)
        elif p == 0:
            y = b.sum(b.astype(b.compare("ne", x, 0), x.dtype), dim, True)
        elif p == 1:
            y = b.sum(a, dim, True)
        elif p == 2:
            y = b.sqrt(b.sum(b.mul(x, x), dim, True))
        else:
            y = b.pow(b.sum(b.pow(a, p), dim, True), 1 / p)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor, None, None]:
        x, y = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return zeros_like(x), None, None
        if p == 1:
            return x.sign() * grad, None, None
        if p == 2:
            return grad * (x / y).masked_fill(y == 0, 0), None, None
        a = x.abs()
        if p == math.inf:
            tops = (a == y).logical_or(a != a)
            return x.sign() * ((grad / tops.sum(ctx.dim, keepdim=True)) * tops), None, None
        if p < 1:
            return x.sign() * a.pow(p - 1).masked_fill(x == 0, 0) * grad * y.pow(1 - p), None, None
        scale = (grad / y.pow(p - 1)).masked_fill(y == 0, 0)
        if p < 2:
            return x.sign() * a.pow(p - 1) * scale, None, None
        return x * a.pow(p - 2) * scale, None, None


def _float_input(input: Tensor) -> Tensor:
    """Refuse integer inputs as torch's vector norm does."""
    if input.data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{torch_name(input.dtype)}"
        )
    return input


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(‖x‖ₚ, eps), the norm taken along ``dim``."""
    _float_input(check_tensor(input, "normalize"))
    norm = VectorNorm.apply(input, float(p), wrap_dim(dim, input.ndim))
    return input / ops.clamp(norm, min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1/‖x1‖)·(x2/‖x2‖) along ``dim``, each norm raised to at least ``eps`` (as torch 2,
    which clamps the norms without recording the clamp in the graph)."""
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    common = dtypes.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {torch_name(common)}"
        )
    x1, x2 = promote("cosine_similarity", x1, x2)
    shape = broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    d = wrap_dim(dim, len(shape))
    n1, n2 = VectorNorm.apply(x1, 2.0, d).clone(), VectorNorm.apply(x2, 2.0, d).clone()
    with no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


__all__ = ["linear", "embedding", "one_hot", "pad", "dropout", "dropout2d", "normalize", "cosine_similarity"]
