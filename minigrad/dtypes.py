"""Data types and torch's type-promotion rules.

minigrad knows four dtypes, as the course needs: ``float32`` (the default), ``float64``, ``int64``
and ``bool``. Each wraps the NumPy dtype that backends store.

Promotion follows torch, which differs from NumPy in two ways that matter for parity:

* a Python number never widens a tensor of its own kind (``float32 tensor * 2.5`` stays float32);
  it only lifts the category (``int64 tensor * 2.5`` gives the *default* float, float32);
* a 0-dim tensor is weaker than a tensor with dimensions of the same category
  (``float32 [3] + float64 []`` gives float32).
"""

from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type: a name, a NumPy dtype and a category (bool < int < float)."""

    __slots__ = ("name", "np", "category", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.is_floating_point = category == FLOAT
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name


BOOL, INT, FLOAT = 0, 1, 2

float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
int64 = dtype("int64", np.int64, INT)
bool_ = dtype("bool", np.bool_, BOOL)

ALL = (float32, float64, int64, bool_)
_FROM_NUMPY = {d.np: d for d in ALL}
DEFAULT_FLOAT = float32
_DEFAULT_OF_CATEGORY = {BOOL: bool_, INT: int64, FLOAT: DEFAULT_FLOAT}


def from_numpy(np_dtype: np.dtype) -> dtype:
    """The minigrad dtype for a NumPy dtype; TypeError for the ones minigrad does not support."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        names = ", ".join(d.name for d in ALL)
        raise TypeError(
            f"minigrad does not support the NumPy dtype {np.dtype(np_dtype).name}; "
            f"supported dtypes are {names}"
        ) from None


def to_dtype(value: object) -> dtype:
    """Accept a minigrad dtype, a NumPy dtype or a name such as ``'float32'``."""
    if isinstance(value, dtype):
        return value
    try:
        return from_numpy(np.dtype(value))
    except TypeError:
        raise TypeError(f"{value!r} is not a minigrad dtype") from None


def _promote_same_tier(dtypes: list[dtype]) -> dtype | None:
    """Promote dtypes of one tier: the highest category, then the widest dtype within it."""
    if not dtypes:
        return None
    top = max(d.category for d in dtypes)
    widest = max((d for d in dtypes if d.category == top), key=lambda d: d.itemsize)
    return widest


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both convert to without losing their kind."""
    return _promote_same_tier([a, b])


def scalar_dtype(value: object) -> dtype:
    """The dtype torch infers for a Python number: bool, int64 or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return DEFAULT_FLOAT


def result_type(*operands: object) -> dtype:
    """torch.result_type for tensors (objects with ``.dtype`` and ``.ndim``) and Python numbers.

    Three tiers, strongest first: tensors with dimensions, 0-dim tensors, Python numbers. A weaker
    tier changes the result only when its category is higher, and then brings its own dtype
    (tensors) or the category's default (numbers).
    """
    dims, zero_dims, numbers = [], [], []
    for op in operands:
        if hasattr(op, "dtype") and hasattr(op, "ndim"):
            (dims if op.ndim > 0 else zero_dims).append(op.dtype)
        else:
            numbers.append(scalar_dtype(op))
    result = _promote_same_tier(dims)
    for tier, is_number in ((zero_dims, False), (numbers, True)):
        candidate = _promote_same_tier(tier)
        if candidate is None:
            continue
        if result is None:
            result = _DEFAULT_OF_CATEGORY[candidate.category] if is_number else candidate
        elif candidate.category > result.category:
            result = _DEFAULT_OF_CATEGORY[candidate.category] if is_number else candidate
    return result
