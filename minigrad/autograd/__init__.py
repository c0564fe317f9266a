"""Automatic differentiation: ``backward`` and ``grad``, as ``torch.autograd`` spells them."""

from __future__ import annotations

from typing import Sequence

from .engine import run_backward
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ..tensor import Tensor

__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled"]


def _as_tuple(value: Tensor | Sequence[Tensor] | None) -> tuple:
    if value is None:
        return ()
    return (value,) if isinstance(value, Tensor) else tuple(value)


def _root_gradients(outputs: tuple[Tensor, ...], grads: tuple) -> list[tuple[Tensor, Tensor]]:
    """Pair each output with its gradient; a missing one is 1 for a scalar output."""
    if grads and len(grads) != len(outputs):
        raise RuntimeError(
            f"grad_tensors (or grad_outputs) has length {len(grads)}, but tensors (or outputs) has "
            f"length {len(outputs)}"
        )
    pairs = []
    for index, output in enumerate(outputs):
        grad = grads[index] if grads else None
        if grad is None:
            if output.numel() != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; got an output of "
                    f"shape {list(output.shape)}: pass gradient="
                )
            grad = Tensor(output._backend.ones(output.shape, output.data.dtype), backend=output._backend)
        elif not isinstance(grad, Tensor):
            raise TypeError(f"gradients must be Tensors or None, got {type(grad).__name__}")
        elif grad.shape != output.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{index}] has a shape of {grad.shape} and "
                f"output[{index}] has a shape of {output.shape}."
            )
        pairs.append((output, grad))
    return pairs


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Tensor | Sequence | None = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Add to ``.grad`` of the leaves (or only of ``inputs``) the gradient of ``tensors``."""
    outputs = _as_tuple(tensors)
    roots = _root_gradients(outputs, _as_tuple(grad_tensors))
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(roots, retain, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    grads = run_backward(roots, retain, create_graph, capture=inputs, accumulate=False)
    for tensor, grad in zip(inputs, grads):
        if grad is None:
            continue
        if not create_graph:
            grad = grad.detach()
        with set_grad_enabled(create_graph):
            tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Tensor | Sequence | None = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True")
    roots = _root_gradients(outputs, _as_tuple(grad_outputs))
    retain = create_graph if retain_graph is None else retain_graph
    grads = run_backward(roots, retain, create_graph, capture=inputs, accumulate=False)
    result = []
    for tensor, g in zip(inputs, grads):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = Tensor(tensor._backend.zeros(tensor.shape, tensor.data.dtype), backend=tensor._backend)
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
