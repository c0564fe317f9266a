"""Matrix product: a tiled shared-memory kernel, batched over a 3-d grid, NumPy's batching rules.

C = A·B with A (M, K) and B (K, N). The naive kernel (one thread per C[i, j], looping over k)
reads each element of A N times and each of B M times from global memory. The tiled kernel cuts
C into TILE×TILE tiles, one **block of TILE×TILE threads** per tile; the block walks along K one
tile at a time:

1. each thread loads ONE element of the A tile and ONE of the B tile into **shared memory**
   (``cuda.shared.array((TILE, TILE))``, two arrays of TILE² elements of the dtype, per block);
2. ``cuda.syncthreads()``: no thread reads the tiles before all of them are loaded;
3. each thread adds up its TILE products ``As[ty, k]·Bs[k, tx]`` from shared memory (fast);
4. ``cuda.syncthreads()`` again: no thread overwrites a tile another is still reading.

Each global element is now read K/TILE times fewer. **Edge tiles**: when M, N or K is not a
multiple of TILE, the threads outside the matrix load 0 (which adds nothing) and do not write.
Thread (ty, tx) of a block computes C[row = by·TILE + ty, col = bx·TILE + tx]; threadIdx.x runs
along the columns, so a warp loads consecutive elements of a row of B and writes consecutive
elements of C: **coalesced** (the A tile too when A is row-major). Each C element is written by
one thread: no race, no atomics. The batch is the grid's third dimension (blockIdx.z); the
operands are read through their flat storage and strides, so a transposed or broadcast operand
needs no copy. Products are accumulated in the dtype (float32 stays float32), in an order that
differs from torch's BLAS: the suite's ``reduction`` tolerance with n = K.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
from numba import cuda

from .device import Array, broadcast_shapes, constant, flat_storage, full, offset_of

TILE = 16  # 16×16 = 256 threads per block


@cache
def _tiled_kernel(dtype: np.dtype, tile: int):
    item = numba.from_dtype(dtype)

    @cuda.jit
    def kernel(a, a_strides, b, b_strides, c, batch_shape, a_batch, b_batch, m, n, k, zero):
        """c[z, row, col] = Σ_k a[z, row, k]·b[z, k, col]; shared: two tile×tile arrays."""
        a_tile = cuda.shared.array((tile, tile), item)
        b_tile = cuda.shared.array((tile, tile), item)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        row, col, z = cuda.blockIdx.y * tile + ty, cuda.blockIdx.x * tile + tx, cuda.blockIdx.z
        a_base = offset_of(z, batch_shape, a_batch)
        b_base = offset_of(z, batch_shape, b_batch)
        acc = zero
        for start in range(0, k, tile):
            ka, kb = start + tx, start + ty
            a_tile[ty, tx] = a[a_base + row * a_strides[0] + ka * a_strides[1]] \
                if row < m and ka < k else zero
            b_tile[ty, tx] = b[b_base + kb * b_strides[0] + col * b_strides[1]] \
                if kb < k and col < n else zero
            cuda.syncthreads()
            for j in range(tile):
                acc += a_tile[ty, j] * b_tile[j, tx]
            cuda.syncthreads()
        if row < m and col < n:
            c[z, row, col] = acc
    return kernel


def matmul(a: Array, b: Array, tile: int = TILE) -> Array:
    """a @ b with NumPy's (torch's) rules: 1-d operands gain a dimension that the result drops,
    leading dimensions broadcast as batch dimensions. Both operands share one float dtype."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul needs operands of at least one dimension")
    if a.dtype != b.dtype:
        raise TypeError(f"matmul of {a.dtype} and {b.dtype}: cast first")
    a_shape = (1,) + tuple(a.shape) if a.ndim == 1 else tuple(a.shape)
    b_shape = tuple(b.shape) + (1,) if b.ndim == 1 else tuple(b.shape)
    (flat_a, sa), (flat_b, sb) = flat_storage(a), flat_storage(b)
    sa = (0,) + sa if a.ndim == 1 else sa
    sb = sb + (0,) if b.ndim == 1 else sb
    m, k = a_shape[-2:]
    k2, n = b_shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not align")
    batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
    out_shape = batch + (m, n)
    result = tuple(out_shape[:-2]) + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
    count = int(np.prod(batch, dtype=np.int64))
    c = cuda.device_array((count, m, n), a.dtype)
    if c.size == 0:
        return c.reshape(result)
    if k == 0:
        return full(result, 0, a.dtype)

    def batch_strides(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int, ...]:
        """Strides of the batch dimensions once broadcast to ``batch`` (0 where repeated)."""
        lead = tuple(s if d > 1 else 0 for d, s in zip(shape[:-2], strides[:-2]))
        return (0,) * (len(batch) - len(lead)) + lead

    launch_batch = batch if batch else (1,)
    a_batch = batch_strides(a_shape, sa) if batch else (0,)
    b_batch = batch_strides(b_shape, sb) if batch else (0,)
    grid = ((n + tile - 1) // tile, (m + tile - 1) // tile, count)
    _tiled_kernel(a.dtype, tile)[grid, (tile, tile)](
        flat_a, sa[-2:], flat_b, sb[-2:], c, launch_batch, a_batch, b_batch, m, n, k,
        constant(a.dtype, 0))
    return c.reshape(result)
