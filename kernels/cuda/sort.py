"""Sorting on the device: a bitonic sorting network, for ``randperm``.

A sorting *network* fixes in advance which pairs of positions it compares, whatever the values:
every comparison of one stage can then run at once, one thread per position. The bitonic network
of Batcher (1968) sorts 2^m values in m·(m+1)/2 stages. Stage (k, j), for k = 2, 4, ..., 2^m and
j = k/2, k/4, ..., 1: position i is paired with i ^ j (its index with bit j flipped); the pair is
put in ascending order when bit k of i is 0, descending otherwise. After all the stages with a
given k, every run of k positions is sorted (alternately up and down), and the last k sorts all.

Each stage is one launch (the launches are the barriers between stages). Within a stage the
thread of the lower index of each pair does the compare-and-swap, so no two threads touch the
same position: no race. The length is padded to a power of two with +inf keys, which sort last.
Work: n·log²n comparisons, more than a merge sort's n·log n, but with no data-dependent control
flow: that is why GPUs like it.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .device import Array, blocks_for, full, threads_for

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here would add ``__warningregistry__``
# to those globals in the middle of such a read. It exists from the start instead.
__warningregistry__: dict = {}


@cuda.jit
def _copy_with_positions_kernel(keys, padded, positions):
    """padded[i] = keys[i] and positions[i] = i for the real keys (the rest stays +inf)."""
    i = cuda.grid(1)
    if i < positions.size:
        positions[i] = i
        if i < keys.size:
            padded[i] = keys[i]


@cuda.jit
def _stage_kernel(keys, positions, k, j):
    """One stage (k, j) of the network: order the pair (i, i ^ j) up when i & k == 0, else down."""
    i = cuda.grid(1)
    partner = i ^ j
    if i < keys.size and partner > i:
        up = (i & k) == 0
        if (keys[i] > keys[partner]) == up:
            keys[i], keys[partner] = keys[partner], keys[i]
            positions[i], positions[partner] = positions[partner], positions[i]


def argsort(keys: Array) -> Array:
    """The positions that put the 1-d float array ``keys`` in ascending order (int64)."""
    n = keys.size
    size = 1 << max(n - 1, 0).bit_length()  # the power of two ≥ n (1 for n ≤ 1)
    padded = full((size,), np.inf, keys.dtype)
    positions = cuda.device_array(size, np.int64)
    threads = threads_for(size)
    blocks = blocks_for(size, threads)
    _copy_with_positions_kernel[blocks, threads](keys, padded, positions)
    k = 2
    while k <= size:
        j = k // 2
        while j:
            _stage_kernel[blocks, threads](padded, positions, k, j)
            j //= 2
        k *= 2
    return positions[:n]
