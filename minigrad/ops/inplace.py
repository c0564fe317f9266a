"""In-place operations: ``x.add_(y)`` writes the result into ``x``'s own memory.

An in-place op is computed as its out-of-place twin and then written back, so it needs no
derivative of its own. Three rules keep autograd correct, as in torch:

* a leaf that requires grad (or a view of one) may not change in place while recording — its
  ``.grad`` would no longer be the gradient of the value used;
* each change bumps the version counter shared by the tensor and its views, so a backward that
  saved the old values refuses to run (``SavedTensor.unpack``);
* while recording, the tensor takes over the twin's ``grad_fn``: from then on it *is* the result,
  and the graph behind it starts from a snapshot of its old value.
"""

from __future__ import annotations

from typing import Callable

from ..autograd import grad_mode
from ..tensor import Tensor
from ._util import broadcast_shapes


def check_inplace(tensor: Tensor) -> None:
    """Refuse an in-place change of a leaf that requires grad (or of a view of one)."""
    if not grad_mode._enabled:
        return
    if tensor.grad_fn is None and tensor._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = tensor._base
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def apply_inplace(tensor: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """Write ``compute(tensor)`` into ``tensor``'s memory; bump its version; keep autograd right."""
    check_inplace(tensor)
    record = grad_mode._enabled
    source = tensor
    if record and tensor._requires_grad:
        source = _snapshot(tensor)
    result = compute(source)
    if result.shape != tensor.shape:
        raise RuntimeError(
            f"output with shape {list(tensor.shape)} doesn't match the broadcast shape "
            f"{list(broadcast_shapes(tensor.shape, result.shape))}"
        )
    if result.dtype.category > tensor.dtype.category:
        raise RuntimeError(
            f"result type {result.dtype.name} can't be cast to the desired output type {tensor.dtype.name}"
        )
    if record and result._requires_grad:
        if tensor._base is not None:
            raise NotImplementedError(
                "minigrad does not record in-place operations on a view of a tensor while "
                "recording a graph (torch's CopySlices); write x = x.op(...) instead"
            )
        tensor.grad_fn, tensor._output_nr = result.grad_fn, result._output_nr
        tensor._requires_grad = True
    tensor._backend.assign(tensor.data, result.data)
    tensor._version_counter.value += 1
    return tensor


def _snapshot(tensor: Tensor) -> Tensor:
    """A copy of ``tensor`` that stands for its value before the change, in the same graph."""
    old = Tensor(tensor._backend.copy(tensor.data), requires_grad=True, backend=tensor._backend)
    old.grad_fn, old._output_nr = tensor.grad_fn, tensor._output_nr
    return old



__all__: list[str] = []
TENSOR_METHODS: list[str] = []
