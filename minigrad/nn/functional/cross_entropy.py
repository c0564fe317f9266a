"""Step 3 for classifiers: cross-entropy and the negative log-likelihood, with class indices.

The weighted 'mean' is Σ lₙ / Σ w_yₙ over the targets that are not ignored. Cross-entropy on
logits (N, C) with class indices, the hot path of every classifier, is two fused backend
primitives: the forward keeps only each row's max and log-sum (never the N×C log-probabilities),
and the backward ``(softmax - onehot)·scale`` is itself a Function whose own backward is written
with Tensor ops (so double backward works). K-dim targets and label smoothing go through the
general ``CrossEntropy``; probability targets are a composition of minigrad ops.
"""

from __future__ import annotations

from typing import Any

from ...autograd.function import Function
from ...ops._util import check_tensor
from ...ops.index import Gather, ScatterAdd
from ...ops.softmax import log_softmax
from ...tensor import Tensor
from .loss import _constant, _reduce, _reduce_array, _reduction, _type_name


def _check_class_shapes(input: Tensor, target: Tensor) -> None:
    """Refuse a target whose shape is not (N, d1, ..., dk) for an input (N, C, d1, ..., dk)."""
    n = input.shape[0]
    if target.ndim == 0 or target.shape[0] != n:
        found = target.shape[0] if target.ndim else 0
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({found}).")
    expected = (n,) + tuple(input.shape[2:])
    if tuple(target.shape) == expected:
        return
    if input.ndim == 2:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 4 and target.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    if input.ndim == 4:
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                           f"{list(target.shape)}")
    raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")


def _unbatched(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """A single sample (C,) with a 0-dim target, as a batch of one."""
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.ndim == 1 and target.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    return input.reshape(1, -1), target.reshape(1)


def _check_weight(weight: Tensor | None, classes: int, prefix: str = "") -> None:
    """A class weight is a 1-dim tensor with one value per class."""
    if weight is not None and (check_tensor(weight, "cross_entropy", "weight").ndim != 1
                               or weight.shape[0] != classes):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")


def _class_targets(op: str, input: Tensor, target: Tensor, weight: Tensor | None,
                   ignore_index: int) -> tuple[Any, Any, Any]:
    """Check class-index targets as torch does. Returns backend arrays: each target's position
    along the class dim (N, 1, d1, ..., dk), its weight w_yₙ (0 where ignored) and the mask of
    the targets kept (1 kept, 0 ignored), both (N, d1, ..., dk) in the input's dtype."""
    if target.data.dtype.kind != "i":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(target)}")
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for \'{_type_name(input)}\'')
    if not isinstance(ignore_index, int) or isinstance(ignore_index, bool):
        raise TypeError(f"{op}(): argument 'ignore_index' must be int, not "
                        f"{type(ignore_index).__name__}")
    _check_class_shapes(input, target)
    classes = input.shape[1]
    _check_weight(weight, classes)
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input)} but found {_type_name(weight)}")
    backend, y = input._backend, target.data
    kept = backend.compare("ne", y, ignore_index)
    safe = backend.where(kept, y, 0)

    def out_of_bounds() -> IndexError:
        bad = next(v for v in backend.to_numpy(y).ravel().tolist()
                   if v != ignore_index and not 0 <= v < classes)
        return IndexError(f"Target {bad} is out of bounds.")
    safe = backend.check_range(safe, 0, classes, out_of_bounds)
    mask = backend.astype(kept, input.data.dtype)
    picked = mask if weight is None else backend.mul(backend.take(weight.data, safe, 0), mask)
    index = backend.reshape(safe, (y.shape[0], 1) + y.shape[1:])
    return index, picked, mask


def _scaled(ctx: Function, grad: Tensor, values: Any) -> Tensor:
    """The upstream gradient of each sample's loss times ``values``, over Σ w_yₙ for 'mean'.
    When that total is 0 (0/0: the loss is nan), ignored samples still get 0, as in torch."""
    b = ctx.backend
    if ctx.reduction == "mean":
        values = b.div(values, b.sum(ctx.picked, None, False))
        values = b.where(b.compare("eq", ctx.mask, 0), 0, values)  # 0, not 0/0, when Σ w = 0
    return grad * _constant(values, b)


class NLLLoss(Function):
    """lₙ = -w_yₙ·x[n, yₙ]    dlₙ/dx[n] = -w_yₙ·onehot(yₙ)  (x holds log-probabilities)"""

    @staticmethod
    def forward(ctx: Function, x: Any, index: Any, picked: Any, mask: Any, reduction: str) -> Any:
        b = ctx.backend
        ctx.shape, ctx.index, ctx.picked, ctx.mask, ctx.reduction = x.shape, index, picked, mask, reduction
        loss = b.neg(b.mul(b.reshape(b.gather(x, 1, index), picked.shape), picked))
        return _reduce_array(b, loss, picked, reduction)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        zeros = _constant(ctx.backend.zeros(ctx.shape, ctx.picked.dtype), ctx.backend)
        target_part = _scaled(ctx, grad, ctx.picked).unsqueeze(1)
        return ScatterAdd.apply(zeros, -target_part, 1, ctx.index), None, None, None, None


class ClassCrossEntropy(Function):
    """lₙ = w_yₙ·(ln Σ_c e^x[n, c] - x[n, yₙ]) for logits x (N, C), the hot path of classifiers
    dlₙ/dx[n] = w_yₙ·(softmax(x)[n] - onehot(yₙ))  (w_yₙ: 0 where yₙ is ignored)"""

    @staticmethod
    def forward(ctx: Function, x: Any, index: Any, picked: Any, mask: Any, reduction: str) -> Any:
        b = ctx.backend
        target = b.where(b.compare("eq", mask, 0), -1, b.reshape(index, (x.shape[0],)))  # -1: ignored
        loss, ctx.row_max, ctx.log_sum = b.cross_entropy_forward(x, target, picked)
        ctx.save_for_backward(x)
        ctx.index, ctx.target, ctx.picked, ctx.mask, ctx.reduction = index, target, picked, mask, reduction
        return _reduce_array(b, loss, picked, reduction)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        (x,) = ctx.saved_tensors
        scale = _scaled(ctx, grad, ctx.picked)
        grad_x = ClassCrossEntropyBackward.apply(x, scale, ctx.index, ctx.target, ctx.row_max, ctx.log_sum)
        return grad_x, None, None, None, None


class ClassCrossEntropyBackward(Function):
    """z[n] = (p[n] - onehot(yₙ))·sₙ with p = softmax(x), cross-entropy's gradient as one fused op
    dz/dx: g ↦ sₙ·p[n]·(g[n] - Σ_c g[n, c]·p[n, c])    dz/dsₙ: g ↦ Σ_c g[n, c]·p[n, c] - g[n, yₙ]"""

    @staticmethod
    def forward(ctx: Function, x: Any, scale: Any, index: Any, target: Any, row_max: Any,
                log_sum: Any) -> Any:
        ctx.save_for_backward(x, scale)
        ctx.index = index
        return ctx.backend.cross_entropy_backward(x, target, row_max, log_sum, scale)

    @staticmethod
    def backward(ctx: Function, gz: Tensor) -> tuple[Tensor | None, ...]:
        x, scale = ctx.saved_tensors
        p = x.softmax(1)
        weighted = (gz * p).sum(1, keepdim=True)
        grad_x = scale.unsqueeze(1) * p * (gz - weighted) if ctx.needs_input_grad[0] else None
        grad_scale = ((weighted - Gather.apply(gz, 1, ctx.index)).reshape(-1)
                      if ctx.needs_input_grad[1] else None)
        return grad_x, grad_scale, None, None, None, None


class CrossEntropy(Function):
    """lₙ = -Σ_c T[n, c]·log_softmax(x)[n, c], with T[n] = (1-ε)·w_yₙ·onehot(yₙ) + ε·mₙ·w/C
    dlₙ/dx[n] = softmax(x)[n]·Σ_c T[n, c] - T[n]
    (w: the class weights, 1 without; mₙ: 0 where yₙ is ignored; ε: the label smoothing)"""

    @staticmethod
    def forward(ctx: Function, x: Any, index: Any, picked: Any, mask: Any, weight: Any,
                smoothing: float, reduction: str) -> Any:
        b = ctx.backend
        logp = b.log_softmax(x, 1)
        ctx.save_for_backward(x)
        ctx.index, ctx.picked, ctx.mask, ctx.weight = index, picked, mask, weight
        ctx.smoothing, ctx.reduction = smoothing, reduction
        loss = b.neg(b.mul(b.reshape(b.gather(logp, 1, index), picked.shape), picked))
        loss = _reduce_array(b, loss, picked, reduction)
        if not smoothing:
            return loss
        classes = x.shape[1]
        if weight is not None:
            logp = b.mul(logp, b.reshape(weight, (classes,) + (1,) * (x.ndim - 2)))
        spread = _reduce_array(b, b.mul(b.neg(b.sum(logp, 1, False)), mask), picked, reduction)
        return b.add(b.mul(loss, 1 - smoothing), b.mul(spread, smoothing / classes))

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        (x,) = ctx.saved_tensors
        b, smoothing = ctx.backend, ctx.smoothing
        target_part = total = _scaled(ctx, grad, ctx.picked)
        if smoothing:
            classes = x.shape[1]
            target_part = target_part * (1 - smoothing)
            spread = _scaled(ctx, grad, ctx.mask) * (smoothing / classes)
            weight_sum = classes if ctx.weight is None else float(b.to_numpy(b.sum(ctx.weight, None, False)))
            total = target_part + spread * weight_sum
        grad_x = x.softmax(1) * total.unsqueeze(1)
        grad_x = ScatterAdd.apply(grad_x, -target_part.unsqueeze(1), 1, ctx.index)
        if smoothing:
            spread = spread.unsqueeze(1)
            if ctx.weight is not None:
                shape = (x.shape[1],) + (1,) * (x.ndim - 2)
                spread = spread * _constant(b.reshape(ctx.weight, shape), b)
            grad_x = grad_x - spread
        return grad_x, None, None, None, None, None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-w_yₙ·input[n, yₙ] per sample, for log-probabilities ``input`` (N, C, d1, ..., dk)."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensor(input, "nll_loss")
    check_tensor(target, "nll_loss", "target")
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    batched = input.ndim > 1
    if not batched:
        input, target = _unbatched(input, target)
    index, picked, mask = _class_targets("nll_loss", input, target, weight, ignore_index)
    loss = NLLLoss.apply(input, index, picked, mask, reduction)
    return loss if batched or reduction != "none" else loss.reshape(())


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """-Σ_c target_c·log_softmax(input)_c per sample; ``target`` holds class indices (N, d1, ...,
    dk) or class probabilities (the input's shape), smoothed towards 1/C by ``label_smoothing``."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensor(input, "cross_entropy_loss")
    check_tensor(target, "cross_entropy_loss", "target")
    smoothing = float(label_smoothing) if label_smoothing > 0 else 0.0
    if smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape:
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, smoothing)
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    batched = input.ndim > 1
    if not batched:
        input, target = _unbatched(input, target)
    index, picked, mask = _class_targets("cross_entropy", input, target, weight, ignore_index)
    if input.ndim == 2 and not smoothing and input.shape[1]:
        loss = ClassCrossEntropy.apply(input, index, picked, mask, reduction)
        return loss if batched or reduction != "none" else loss.reshape(())
    loss = CrossEntropy.apply(input, index, picked, mask, None if weight is None else weight.data,
                              smoothing, reduction)
    return loss if batched or reduction != "none" else loss.reshape(())


def _cross_entropy_probabilities(input: Tensor, target: Tensor, weight: Tensor | None,
                                 ignore_index: int, reduction: str, smoothing: float) -> Tensor:
    """-Σ_c w_c·p_c·log_softmax(input)_c with p = (1-ε)·target + ε/C; 'mean' over the samples."""
    if target.data.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_type_name(target)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    dim = 0 if input.ndim == 1 else 1
    classes = input.shape[dim]
    _check_weight(weight, classes, "cross_entropy: ")
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    terms = log_softmax(input, dim) * target
    if weight is not None:
        terms = terms * weight.reshape((classes,) + (1,) * (input.ndim - dim - 1))
    return _reduce(-terms.sum(dim), reduction)


# ---- regression losses: the error d = input - target, elementwise ----


__all__ = ["nll_loss", "cross_entropy"]
