"""Gradient clipping and flat parameter vectors, as ``torch.nn.utils`` computes them."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ...autograd import no_grad
from ...creation import tensor as _tensor
from ...ops import abs as absolute  # the builtin abs stays usable
from ...ops import amax, cat, clamp, stack
from ...tensor import Tensor


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(x: Tensor, p: float) -> Tensor:
    """‖x‖_p = (Σ|x|ᵖ)^(1/p); p = ∞ gives max|x|, p = 0 the number of non-zeros."""
    if p == math.inf:
        if x.numel() == 0:
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                               "because the operation does not have an identity")
        return amax(absolute(x))
    if p == 0:
        return (x != 0).sum().to(x.dtype)
    if p == 2:
        return (x * x).sum().sqrt()
    return (absolute(x) ** p).sum() ** (1.0 / p)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale every gradient by min(max_norm / (total + 1e-6), 1), where total is the p-norm of
    all the gradients seen as one vector; return total."""
    if foreach:
        raise NotImplementedError("clip_grad_norm_(foreach=True): minigrad has no foreach kernels")
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return _tensor(0.0)
    with no_grad():
        total = _vector_norm(stack([_vector_norm(g, norm_type) for g in grads]), norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        coefficient = clamp(float(max_norm) / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coefficient.to(g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    if foreach:
        raise NotImplementedError("clip_grad_value_(foreach=True): minigrad has no foreach kernels")
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Every parameter flattened and joined into one vector (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Give the parameters, in order, the values of consecutive slices of ``vec`` (shared)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected minigrad.Tensor, but got: {type(vec).__name__}")
    start = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[start:start + n].view_as(p).data
        start += n


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
