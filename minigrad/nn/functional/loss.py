"""Step 3 of the five: the loss, one number that says how wrong the predictions are.

Every loss takes torch's arguments and defaults, and its ``reduction``: 'none' keeps one loss per
element, 'sum' adds them up, 'mean' averages them. The class-index losses (cross-entropy and
nll) are in ``cross_entropy.py``. Binary cross-entropy is a Function because torch's gradient
ignores its clamped logarithms. The others are compositions of minigrad ops, so they are
differentiable twice for free.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...autograd.function import Function
from ...ops._util import broadcast_shapes, check_tensor
from ...ops.binary import where
from ...tensor import Tensor
from .activation import logsigmoid

_REDUCTIONS = ("none", "mean", "sum")
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}


def _type_name(tensor: Tensor) -> str:
    """torch's name for a tensor's dtype in its messages: Float, Double, Long, Bool."""
    return _TYPE_NAMES[tensor.dtype.name]


def _reduction(reduction: str, size_average: bool | None, reduce: bool | None,
               allowed: tuple[str, ...] = _REDUCTIONS) -> str:
    """The reduction to apply, from torch's deprecated ``size_average``/``reduce`` when given."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.")
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """One loss per element ('none'), their sum ('sum') or their mean ('mean')."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _reduce_array(backend: Any, loss: Any, picked: Any, reduction: str) -> Any:
    """The class-index reduction on arrays: 'mean' divides by the total weight Σ w_yₙ."""
    if reduction == "none":
        return loss
    total = backend.sum(loss, None, False)
    return backend.div(total, backend.sum(picked, None, False)) if reduction == "mean" else total


# ---- class-index targets: nll_loss and cross_entropy ----

def _constant(array: Any, backend: Any) -> Tensor:
    """A backend array as a Tensor outside the graph (a constant of the backward formulas)."""
    return Tensor(array, False, backend)


def _difference(op: str, input: Tensor, target: Tensor) -> Tensor:
    """input - target, broadcast with torch's warning when the shapes differ; float only."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
    difference = input - target
    if difference.data.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for \'{_type_name(difference)}\'')
    return difference


def _weighted(loss: Tensor, weight: Tensor | None, input: Tensor, reduction: str,
              weighted_mean: bool) -> Tensor:
    """The optional elementwise weight of mse/l1/huber: Σ w·l / Σ w for mse and l1's mean,
    mean(w·l) for huber's (torch's rules)."""
    if weight is None:
        return _reduce(loss, reduction)
    if check_tensor(weight, "loss", "weight").shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)², elementwise."""
    reduction = _reduction(reduction, size_average, reduce)
    difference = _difference("mse_loss", input, target)
    return _weighted(difference * difference, weight, input, reduction, True)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target|, elementwise (gradient 0 where they are equal)."""
    reduction = _reduction(reduction, size_average, reduce)
    return _weighted(_difference("l1_loss", input, target).abs(), weight, input, reduction, True)


def _smooth(difference: Tensor, beta: float) -> Tensor:
    """½d²/β where |d| < β, else |d| - ½β."""
    size = difference.abs()
    return where(size < beta, difference * difference * (0.5 / beta), size - 0.5 * beta)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """½d²/β where |d| < β, else |d| - ½β, for d = input - target (l1_loss when β = 0)."""
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    difference = _difference("smooth_l1_loss", input, target)
    loss = difference.abs() if beta == 0 else _smooth(difference, beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """½d² where |d| < δ, else δ·(|d| - ½δ), for d = input - target (δ·smooth_l1 with β = δ)."""
    reduction = _reduction(reduction, None, None)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    loss = _smooth(_difference("huber_loss", input, target), delta) * delta
    return _weighted(loss, weight, input, reduction, False)


# ---- binary classification: probabilities or logits against targets in [0, 1] ----

class BinaryCrossEntropy(Function):
    """l = -w·(t·max(ln x, -100) + (1-t)·max(ln(1-x), -100))
    dl/dx = w·(x - t)/max(x(1-x), 1e-12)    dl/dt = w·ln((1-x)/x)"""

    @staticmethod
    def forward(ctx: Function, x: Any, t: Any, weight: Any) -> Any:
        b = ctx.backend
        log_x = b.clip(b.log(x), -100.0, None)
        log_rest = b.clip(b.log(b.sub(1, x)), -100.0, None)
        loss = b.neg(b.add(b.mul(t, b.sub(log_x, log_rest)), log_rest))
        ctx.save_for_backward(x, t)
        ctx.weight = weight
        return loss if weight is None else b.mul(loss, weight)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        x, t = ctx.saved_tensors
        if ctx.weight is not None:
            grad = grad * _constant(ctx.weight, ctx.backend)
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            grad_t = grad * ((1 - x).log() - x.log())
        return grad_x, grad_t, None


def _check_in_unit_interval(tensor: Tensor, what: str) -> None:
    """torch's check that probabilities lie in [0, 1] = [0, the next float after 1) (on a
    device: at the next read back to the host, as torch's device-side assert)."""
    dtype = tensor.data.dtype.type
    above_one = np.nextafter(dtype(1), dtype(2))
    tensor._backend.check_range(tensor.data, 0, above_one, lambda: RuntimeError(
        f"all elements of {what} should be between 0 and 1"))


def _check_expands(weight: Tensor, shape: tuple[int, ...], what: str) -> None:
    """A weight must broadcast to the loss's shape without making it bigger."""
    check_tensor(weight, "binary_cross_entropy", what)
    if broadcast_shapes(weight.shape, shape) != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(broadcast_shapes(weight.shape, shape))}")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w·(t·ln x + (1-t)·ln(1-x)) for probabilities x, logarithms clamped at -100."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensor(input, "binary_cross_entropy")
    check_tensor(target, "binary_cross_entropy", "target")
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target)} but expected {_type_name(input)}")
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f'"binary_cross_entropy" not implemented for \'{_type_name(input)}\'')
    _check_in_unit_interval(input, "input")
    _check_in_unit_interval(target, "target")
    weights = None
    if weight is not None:
        _check_expands(weight, input.shape, "weight")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"Found dtype {_type_name(weight)} but expected {_type_name(input)}")
        weights = weight.data
    return _reduce(BinaryCrossEntropy.apply(input, target, weights), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """w·((1-t)·x - (1 + (p-1)·t)·ln σ(x)) for logits x: binary cross-entropy of σ(x), computed
    without overflow; p (``pos_weight``) weighs the positive term."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensor(input, "binary_cross_entropy_with_logits")
    check_tensor(target, "binary_cross_entropy_with_logits", "target")
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    log_sigmoid = logsigmoid(input)
    if pos_weight is not None:
        _check_expands(pos_weight, input.shape, "pos_weight")
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        _check_expands(weight, input.shape, "weight")
        loss = loss * weight
    return _reduce(loss, reduction)


# ---- distributions ----

def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """t·(ln t - input) for log-probabilities ``input`` (t = e^target when ``log_target``);
    'batchmean' divides the sum by the batch size, 'mean' by the number of elements."""
    legacy = size_average is not None or reduce is not None
    reduction = _reduction(reduction, size_average, reduce, _REDUCTIONS + ("batchmean",))
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target")
    if input.data.dtype.kind != "f" or target.data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if reduction == "mean" and not legacy:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = (target * target.log()).masked_fill(target == 0, 0) - target * input
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = loss.sum()
    return total / input.shape[0] if input.ndim else total


__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]
