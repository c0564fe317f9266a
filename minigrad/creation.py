"""Creating tensors, under torch's names and defaults (float32 unless told otherwise)."""

from __future__ import annotations

import math
from typing import Any, Sequence

from . import backends, dtypes
from .tensor import Tensor


def _backend(device: Any) -> Any:
    return backends.get_backend(None if device is None else str(device))


def _make(data: Any, backend: Any, requires_grad: bool) -> Tensor:
    out = Tensor(data, backend=backend)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _size(size: tuple) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if not size:
        raise TypeError("missing 1 required positional argument: 'size' (pass () for a 0-dim tensor)")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"size must be a tuple of ints, but got an element of type {type(n).__name__}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return tuple(size)


def _inspect(data: Any, dim: int = 0) -> tuple[tuple[int, ...], dtypes.dtype]:
    """Shape and dtype of nested lists, as torch infers them; ragged lists are refused.

    Python numbers bring their kind's default dtype (bool, int64, float32), arrays and tensors
    their own; the list's dtype is the promotion of its elements' (``torch.promote_types``).
    """
    if isinstance(data, Tensor):
        if data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return (), data.dtype
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        return tuple(data.shape), dtypes.from_numpy(data.dtype)
    if isinstance(data, (bool, int, float)):
        if isinstance(data, int) and not -2**63 <= data < 2**63:
            raise ValueError(f"Overflow when unpacking long long: {data} does not fit in int64")
        return (), dtypes.scalar_dtype(data)
    if isinstance(data, str):
        raise TypeError(f"invalid data type 'str' at dim {dim}: expected a number or a sequence")
    if not isinstance(data, (list, tuple)):
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if not data:
        return (0,), dtypes.DEFAULT_FLOAT
    found = [_inspect(item, dim + 1) for item in data]
    first = found[0][0]
    for shape, _ in found[1:]:
        if shape != first:
            _refuse_ragged(first, shape, dim + 1)
    result = found[0][1]
    for _, item_dtype in found[1:]:
        result = dtypes.promote_types(result, item_dtype)
    return (len(data),) + first, result


def _refuse_ragged(expected: tuple[int, ...], got: tuple[int, ...], dim: int) -> None:
    """torch's errors for nested lists whose lengths (ValueError) or depths (TypeError) differ."""
    i = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
    if i < len(expected) and i < len(got):
        raise ValueError(f"expected sequence of length {expected[i]} at dim {dim + i} (got {got[i]})")
    want, found = ("a sequence", "a number") if i < len(expected) else ("a number", "a sequence")
    raise TypeError(f"expected {want} at dim {dim + i} (got {found}): nested lists must not be ragged")


def _plain(data: Any) -> Any:
    """Nested lists with 0-dim tensors replaced by their numbers."""
    if isinstance(data, Tensor):
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_plain(item) for item in data]
    return data


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors).

    Python floats give float32, ints int64 and bools bool; an array keeps its dtype.
    """
    backend = _backend(device)
    if isinstance(data, Tensor):
        array = data._backend.to_numpy(data.data)
        inferred = data.dtype
    elif hasattr(data, "dtype") and hasattr(data, "shape"):
        if hasattr(data, "__array__") and not hasattr(data, "__array_interface__"):
            data = data.__array__()  # another library's array (a torch tensor, say): its NumPy view
        array, inferred = data, dtypes.from_numpy(data.dtype)
    else:
        _, inferred = _inspect(data)
        array = _plain(data)
    target = inferred if dtype is None else dtypes.to_dtype(dtype)
    return _make(backend.array(array, target.np), backend, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` itself when it already is a tensor of that dtype, else ``tensor(data)``."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype is dtypes.to_dtype(dtype)):
        return data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: Any) -> Tensor:
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    dtypes.from_numpy(array.dtype)
    return Tensor(array, backend=backends.get_backend("numpy"))


def _dtype(dtype: Any) -> dtypes.dtype:
    return dtypes.DEFAULT_FLOAT if dtype is None else dtypes.to_dtype(dtype)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    backend = _backend(device)
    return _make(backend.zeros(_size(size), _dtype(dtype).np), backend, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    backend = _backend(device)
    return _make(backend.ones(_size(size), _dtype(dtype).np), backend, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are not to be relied on (minigrad gives zeros)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64, float32)."""
    backend = _backend(device)
    target = dtypes.scalar_dtype(fill_value) if dtype is None else dtypes.to_dtype(dtype)
    return _make(backend.full(_size((size,)), fill_value, target.np), backend, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    for bound in (start, end):
        if not math.isfinite(bound):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"upper bound and lower bound inconsistent with step sign: start={start}, end={end}, step={step}"
        )
    backend = _backend(device)
    if dtype is None:
        target = dtypes.result_type(start, end, step)
    else:
        target = dtypes.to_dtype(dtype)
    if target is dtypes.float32:
        # torch rounds start + i·step once per value; stepping in float32 would drift by i ulps
        data = backend.astype(backend.arange(start, end, step, dtypes.float64.np), target.np)
    else:
        data = backend.arange(start, end, step, target.np)
    return _make(data, backend, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix."""
    backend = _backend(device)
    m = n if m is None else m
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return _make(backend.eye(n, m, _dtype(dtype).np), backend, requires_grad)


def _float_dtype(dtype: Any, op: str) -> dtypes.dtype:
    target = _dtype(dtype)
    if not target.is_floating_point:
        raise NotImplementedError(f"\"{op}\" not implemented for '{target.name}': it needs a float dtype")
    return target


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    backend = _backend(device)
    return _make(backend.rand(_size(size), _float_dtype(dtype, "rand").np), backend, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    backend = _backend(device)
    return _make(backend.randn(_size(size), _float_dtype(dtype, "randn").np), backend, requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers in [low, high) (int64 by default)."""
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    backend = _backend(device)
    target = dtypes.int64 if dtype is None else dtypes.to_dtype(dtype)
    return Tensor(backend.randint(low, high, _size((size,)), target.np), backend=backend)


def randperm(n: int, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    backend = _backend(device)
    target = dtypes.int64 if dtype is None else dtypes.to_dtype(dtype)
    return Tensor(backend.randperm(n, target.np), backend=backend)


def manual_seed(seed: int) -> None:
    """Seed the random numbers of every backend."""
    backends.manual_seed(int(seed))


def _like(maker: Any, input: Tensor, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    return maker(input.shape, dtype=input.dtype if dtype is None else dtype,
                 device=input.device if device is None else device, requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``input``."""
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``."""
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor shaped like ``input`` (minigrad gives zeros)."""
    return _like(zeros, input, dtype, device, requires_grad)


def rand_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples shaped like ``input``."""
    return _like(rand, input, dtype, device, requires_grad)


def randn_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples shaped like ``input``."""
    return _like(randn, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, shaped like ``input`` (with its dtype by default)."""
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype,
                device=input.device if device is None else device, requires_grad=requires_grad)
