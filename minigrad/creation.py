"""Creating tensors, under torch's names and defaults (float32 unless told otherwise)."""

from __future__ import annotations

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
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"size must be a tuple of ints, but got an element of type {type(n).__name__}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return tuple(size)


_KIND_DTYPES = {0: dtypes.bool_, 1: dtypes.int64, 2: dtypes.DEFAULT_FLOAT}


def _inspect(data: Any) -> tuple[tuple[int, ...], int]:
    """Shape and category (bool < int < float) of nested lists; ragged lists are refused."""
    if isinstance(data, Tensor):
        if data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return (), data.dtype.category
    if isinstance(data, bool):
        return (), dtypes.BOOL
    if isinstance(data, int):
        return (), dtypes.INT
    if isinstance(data, float):
        return (), dtypes.FLOAT
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        return tuple(data.shape), dtypes.from_numpy(data.dtype).category
    if not isinstance(data, (list, tuple)):
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if not data:
        return (0,), dtypes.FLOAT
    shapes_kinds = [_inspect(item) for item in data]
    first = shapes_kinds[0][0]
    for shape, _ in shapes_kinds:
        if shape != first:
            dim = next((i for i, (a, b) in enumerate(zip(shape, first)) if a != b), min(len(shape), len(first)))
            got = shape[dim] if dim < len(shape) else "a number"
            want = first[dim] if dim < len(first) else "a number"
            raise ValueError(f"expected sequence of length {want} at dim {dim + 1} (got {got})")
    return (len(data),) + first, max(kind for _, kind in shapes_kinds)


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
        array, inferred = data, dtypes.from_numpy(data.dtype)
    else:
        _, kind = _inspect(data)
        array, inferred = _plain(data), _KIND_DTYPES[kind]
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
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    backend = _backend(device)
    if dtype is None:
        target = dtypes.result_type(start, end, step)
    else:
        target = dtypes.to_dtype(dtype)
    return _make(backend.arange(start, end, step, target.np), backend, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix."""
    backend = _backend(device)
    m = n if m is None else m
    _size((n, m))
    return _make(backend.eye(n, m, _dtype(dtype).np), backend, requires_grad)


def _float_dtype(dtype: Any, op: str) -> dtypes.dtype:
    target = _dtype(dtype)
    if not target.is_floating_point:
        raise RuntimeError(f"\"{op}\" not implemented for '{target.name}'")
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
