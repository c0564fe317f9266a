"""Hypothesis strategies for the parity suite: shapes, values in an op's domain, layouts.

Shapes include 0-dim tensors and dimensions of size 0 and 1; values can be pinned to an op's
special points (zeros for relu/abs/sqrt, ties for max, clamp bounds) so that the subgradient
conventions are tested, not only the smooth parts.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

float_dtypes = st.sampled_from([np.float32, np.float64])
layouts = st.sampled_from(["contiguous", "transposed", "strided"])
seeds = st.integers(0, 2**32 - 1)


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = 4) -> st.SearchStrategy:
    """Shapes with up to ``max_dims`` dims, sizes 0 and 1 included."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(count: int = 2, min_dims: int = 0, max_dims: int = 4,
                         min_side: int = 0, max_side: int = 4) -> st.SearchStrategy:
    """``count`` shapes that broadcast together (one may have fewer dims, or ones)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda result: result.input_shapes)


def values(dtype: type, low: float = -3.0, high: float = 3.0,
           special: Sequence[float] = ()) -> st.SearchStrategy:
    """Floats in [low, high] representable in ``dtype``, sometimes one of ``special``."""
    width = 32 if dtype == np.float32 else 64
    low, high = (float(np.dtype(dtype).type(bound)) for bound in (low, high))
    plain = st.floats(low, high, width=width, allow_nan=False, allow_infinity=False)
    if not special:
        return plain
    return st.one_of(plain, st.sampled_from(list(special)))


def arrays(dtype: type, shape: tuple[int, ...] | st.SearchStrategy, low: float = -3.0,
           high: float = 3.0, special: Sequence[float] = ()) -> st.SearchStrategy:
    """Arrays of ``dtype`` and ``shape`` with values from ``values``."""
    return hnp.arrays(dtype, shape, elements=values(dtype, low, high, special))


def tied_arrays(dtype: type, shape: tuple[int, ...] | st.SearchStrategy) -> st.SearchStrategy:
    """Arrays drawn from a few values, so that maxima and minima are often tied."""
    return hnp.arrays(dtype, shape, elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0]))
