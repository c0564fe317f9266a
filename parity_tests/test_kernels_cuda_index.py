"""The CUDA indexing kernels of ``kernels/cuda/index.py`` against torch's index_select, gather and
scatter_add, on strided inputs with repeated indices. Fixed data, no hypothesis: the kernels run
in Numba's CUDA simulator (see ``test_kernels_cuda.py``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parity_tests.cuda_simulator import (DTYPES, USABLE, check, cuda_kernels_can_run,  # noqa: F401
                                         dev, sample)

if USABLE:
    from kernels.cuda import index, sort


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_selects_slices_of_a_transposed_array_along_each_axis(dtype) -> None:
    values = sample((3, 4, 2), dtype, seed=50)
    x, t = dev(values).transpose((1, 0, 2)), torch.tensor(values).permute(1, 0, 2)
    positions = np.array([2, 0, 2])
    for axis in (0, 1, -1):
        chosen = positions % t.shape[axis]
        check(index.take(x, dev(chosen), axis), torch.index_select(t, axis, torch.tensor(chosen)),
              family="exact")


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_with_an_index_smaller_than_the_input(dtype) -> None:
    """torch allows index.size(d) <= x.size(d) off the axis: out has the index's shape."""
    values = sample((3, 4), dtype, seed=51)
    chosen = np.array([[3, 0], [1, 1]])
    x, t = dev(values), torch.tensor(values)
    check(index.gather(x, 1, dev(chosen)), torch.gather(t, 1, torch.tensor(chosen)), "exact")
    check(index.gather(x.T, 0, dev(chosen)), torch.gather(t.T, 0, torch.tensor(chosen)), "exact")


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_add_adds_repeated_indices(dtype) -> None:
    """Three sources land on one destination: the atomics add them all (in some order: float
    sums of three terms, hence the reduction tolerance)."""
    base = sample((2, 5), dtype, seed=52)
    chosen = np.array([[1, 1, 4, 1], [0, 2, 2, 3]])
    src = sample((4, 3), dtype, seed=53)  # read through its transpose: strided, larger than index
    x = dev(base)
    index.scatter_add(x, 1, dev(chosen), dev(src).T)
    expected = torch.tensor(base).scatter_add(1, torch.tensor(chosen), torch.tensor(src).T)
    check(x, expected, family="reduction", n=3)
    columns = dev(base).T  # the same on a transposed destination, along axis 0
    index.scatter_add(columns, 0, dev(chosen.T), dev(src))
    check(columns, torch.tensor(base).T.scatter_add(0, torch.tensor(chosen.T), torch.tensor(src)),
          family="reduction", n=3)


@pytest.mark.parametrize("n", [0, 1, 5, 8, 37])
def test_bitonic_argsort_equals_torch_argsort(n: int) -> None:
    """Distinct keys (ties would leave the order free): the same positions as torch's argsort."""
    keys = np.random.default_rng(n).permutation(np.linspace(-1.0, 1.0, n))
    check(sort.argsort(dev(keys)), torch.argsort(torch.from_numpy(keys)), "exact")
