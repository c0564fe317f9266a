"""Matrix products: ``matmul`` and its special cases ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``,
``addmm``.

Every product is one Function, ``MatMul``, whose forward is the backend's matmul (NumPy's batching
rules, which are torch's) and whose backward is two more products::

    y = a @ b        dL/da = dL/dy @ bᵀ        dL/db = aᵀ @ dL/dy

each summed back over the batch dims that broadcasting added. The public functions only check
their arguments the way torch does, so that bad input fails with torch's exception and message.
Unlike ``add`` or ``mul``, products do not promote: both operands must have the same dtype.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import broadcast_shapes, check_tensor
from .binary import mul
from .broadcast import expanded_shape

# How torch's C++ checks spell the dtypes in their messages.
_CPP_NAME = {"float32": "float", "float64": "double", "int64": "long int", "bool": "bool"}
_SCALAR_NAME = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}


def _name(tensor: Tensor) -> str:
    return _SCALAR_NAME[tensor.dtype.name]


def _no_bool(tensor: Tensor, kernel: str) -> None:
    """torch has no bool kernel for products."""
    if tensor.data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _lift(tensor: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``tensor`` viewed with ``shape`` (itself when it already has it)."""
    return tensor if tensor.shape == shape else tensor.reshape(shape)


class MatMul(Function):
    """y = a @ b    dL/da = dL/dy @ bᵀ, dL/db = aᵀ @ dL/dy (summed over broadcast batch dims)

    A 1-D ``a`` is a matrix with one row, a 1-D ``b`` a matrix with one column; the product drops
    that dim, so backward puts it back into the gradient before the two products.
    """

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.backend.matmul(a, b)

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        if a.ndim == 1:
            grad = grad.unsqueeze(-2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = _lift(matmul(grad, b2.transpose(-1, -2)).sum_to_size(a2.shape), a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = _lift(matmul(a2.transpose(-1, -2), grad).sum_to_size(b2.shape), b.shape)
        return grad_a, grad_b


def _check_dot(a: Tensor, b: Tensor) -> None:
    """Checks of torch.dot: two 1-D tensors of one dtype and one length."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_name(a)} and {_name(b)}"
        )
    n, m = a.shape[0], b.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    _no_bool(a, "dot")


def _check_mv(mat: Tensor, vec: Tensor, mat_shape: tuple[int, ...]) -> None:
    """Checks of torch.mv; ``mat_shape`` is the matrix as torch sees it (batch dims folded)."""
    if len(mat_shape) != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {len(mat_shape)}, {vec.ndim}")
    (n, k), m = mat_shape, vec.shape[0]
    if k != m:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({m})")
    if mat.dtype != vec.dtype:
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_name(vec)}, {_name(mat)}, and {_name(vec)}"
        )
    _no_bool(mat, "addmv_impl_cpu")


def _check_mm(a: Tensor, b: Tensor, a_shape: tuple[int, ...]) -> None:
    """Checks of torch.mm; ``a_shape`` is ``a`` as torch sees it (one row, or batch dims folded)."""
    if len(a_shape) != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (n, k), (k2, m) = a_shape, b.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    if a.dtype != b.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_CPP_NAME[a.dtype.name]} != {_CPP_NAME[b.dtype.name]}"
        )
    _no_bool(a, "addmm_impl_cpu_")


def _check_bmm(a: Tensor, b: Tensor, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
    """Checks of torch.bmm; the shapes are the operands as torch sees them (batch dims merged)."""
    if len(a_shape) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if len(b_shape) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    expected, found = [a_shape[0], a_shape[2]], [b_shape[0], b_shape[1]]
    if expected != found:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: {expected} but got: {found}."
        )
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_name(a)} but found {_name(b)}")
    _no_bool(a, "bmm")


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product with torch's rules for 1-D operands and broadcast batch dims."""
    a = check_tensor(input, "matmul").shape
    b = check_tensor(other, "matmul", "other").shape
    if len(a) == 2 and len(b) == 2:
        _check_mm(input, other, a)
    elif not a or not b:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D"
        )
    elif len(a) == 1 and len(b) == 1:
        _check_dot(input, other)
    elif len(b) == 1:
        _check_mv(input, other, (_numel(a[:-1]), a[-1]))
    elif len(a) == 1:
        _check_mm(input, other, (1, a[0])) if len(b) == 2 else _check_batched(input, other)
    elif len(b) == 2:
        _check_mm(input, other, (_numel(a[:-1]), a[-1]))
    else:
        _check_batched(input, other)
    return MatMul.apply(input, other)


def _check_batched(input: Tensor, other: Tensor) -> None:
    """Checks of a batched matmul: batch dims that broadcast, then torch's bmm checks."""
    a, b = input.shape, other.shape
    batch = _numel(broadcast_shapes(a[:-2], b[:-2]))
    rows = a[-2] if len(a) > 1 else 1
    _check_bmm(input, other, (batch, rows, a[-1]), (batch,) + b[-2:])


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices, (n×k) @ (k×m) → (n×m)."""
    _check_mm(check_tensor(input, "mm"), check_tensor(mat2, "mm", "mat2"), input.shape)
    return MatMul.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """A batch of matrix products, (B×n×k) @ (B×k×m) → (B×n×m), without broadcasting."""
    _check_bmm(check_tensor(input, "bmm"), check_tensor(mat2, "bmm", "mat2"), input.shape, mat2.shape)
    return MatMul.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The product of a matrix and a vector, (n×k) @ (k) → (n)."""
    _check_mv(check_tensor(input, "mv"), check_tensor(vec, "mv", "vec"), input.shape)
    return MatMul.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """The inner product of two vectors, Σᵢ aᵢbᵢ, as a 0-dim tensor."""
    _check_dot(check_tensor(input, "dot"), check_tensor(tensor, "dot", "tensor"))
    return MatMul.apply(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product yᵢⱼ = aᵢ·bⱼ of two vectors (dtypes promote, as in ``mul``)."""
    for name, vec in (("self", check_tensor(input, "outer")), ("vec2", check_tensor(vec2, "outer", "vec2"))):
        if vec.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {vec.ndim}-D")
    return mul(input.unsqueeze(1), vec2)


class Addmm(Function):
    """y = β·c + α·(a @ b)    dL/dc = β·dL/dy (summed to c's shape), dL/da = α·dL/dy @ bᵀ,
    dL/db = α·aᵀ @ dL/dy"""

    @staticmethod
    def forward(ctx: Function, c: Any, a: Any, b: Any, beta: float, alpha: float) -> Any:
        ctx.save_for_backward(a, b)
        ctx.c_shape, ctx.beta, ctx.alpha = c.shape, beta, alpha
        backend = ctx.backend
        if alpha == 0:
            y = backend.zeros((a.shape[0], b.shape[1]), a.dtype)
        else:
            y = backend.matmul(a, b)
            y = y if alpha == 1 else backend.mul(y, alpha)
        if beta != 0:
            y = backend.add(y, c if beta == 1 else backend.mul(c, beta))
        return y

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple[Tensor | None, ...]:
        a, b = ctx.saved_tensors
        scaled = grad if ctx.alpha == 1 else grad * ctx.alpha
        return ((grad * ctx.beta).sum_to_size(ctx.c_shape) if ctx.needs_input_grad[0] else None,
                mm(scaled, b.t()) if ctx.needs_input_grad[1] else None,
                mm(a.t(), scaled) if ctx.needs_input_grad[2] else None,
                None, None)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """β·input + α·(mat1 @ mat2); ``input`` broadcasts to the product's shape (ignored if β = 0)."""
    check_tensor(input, "addmm")
    for name, mat in (("mat1", mat1), ("mat2", mat2)):
        if check_tensor(mat, "addmm", name).ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {mat.ndim}-D tensor")
    for name, tensor in (("self", input), ("mat1", mat1)):
        if tensor.dtype != mat2.dtype:
            raise RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {_name(tensor)} and {_name(mat2)}"
            )
    (n, k), (k2, m) = mat1.shape, mat2.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    expanded_shape(input.shape, (n, m))
    _no_bool(input, "addmm_impl_cpu_")
    beta, alpha = (s.item() if isinstance(s, Tensor) else s for s in (beta, alpha))
    if not input.is_floating_point():
        beta, alpha = int(beta), int(alpha)
    return Addmm.apply(input, mat1, mat2, beta, alpha)


__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "addmm"]
TENSOR_METHODS = __all__
