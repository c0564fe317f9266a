"""The teaching kernel ``kernels.cpu.matmul.matmul_blocked`` against ``torch.matmul``.

Shapes cross the tile size (1, a tile, a tile plus one, several tiles with a ragged edge), so that
every edge case of the tiling runs.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from kernels.cpu.matmul import TILE, matmul_blocked

from .helpers import assert_close
from .strategies import arrays, float_dtypes

SIDES = st.one_of(st.integers(0, 5), st.sampled_from([TILE - 1, TILE, TILE + 1, 2 * TILE + 3]))


@given(n=SIDES, k=SIDES, m=SIDES, dtype=float_dtypes, data=st.data())
def test_matmul_blocked(n: int, k: int, m: int, dtype: type, data: st.DataObject) -> None:
    a = data.draw(arrays(dtype, (n, k)))
    b = data.draw(arrays(dtype, (k, m)))
    expected = torch.matmul(torch.from_numpy(a), torch.from_numpy(b))
    # each result adds k products in another order than torch's: the reduction tolerance
    assert_close(minigrad.tensor(matmul_blocked(a, b)), expected, "reduction", k)


def test_matmul_blocked_non_contiguous() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((70, 90)).astype(np.float32).T
    b = rng.standard_normal((70, 200)).astype(np.float32)[:, ::2]
    expected = torch.matmul(torch.from_numpy(a.copy()), torch.from_numpy(b.copy()))
    assert_close(minigrad.tensor(matmul_blocked(a, b)), expected, "reduction", 70)


def test_matmul_blocked_is_deterministic() -> None:
    """prange splits the 320 rows into blocks: 10 runs give the same bits."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((320, 320)).astype(np.float32) for _ in range(2))
    first = matmul_blocked(a, b)
    for _ in range(9):
        assert np.array_equal(matmul_blocked(a, b), first)


@pytest.mark.parametrize("a, b, error", [
    (np.ones(3, np.float32), np.ones((3, 2), np.float32), ValueError),
    (np.ones((2, 3), np.float32), np.ones((4, 2), np.float32), ValueError),
    (np.ones((2, 3), np.float32), np.ones((3, 2), np.float64), TypeError),
    (np.ones((2, 3), np.int64), np.ones((3, 2), np.int64), TypeError),
])
def test_matmul_blocked_refuses(a: np.ndarray, b: np.ndarray, error: type) -> None:
    with pytest.raises(error, match="matmul_blocked"):
        matmul_blocked(a, b)
