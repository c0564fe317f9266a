"""Normalisation as Numba kernels: the statistics (mean and biased variance) of each group, the
normalisation itself (y = x·scale + shift in one pass), and the fused backward pass of a
normalisation with batch statistics.

Two memory layouts cover batch, layer and group norm once the mixin reshapes the input:

* **rows** ``(R, F)``: a group is one contiguous row (layer norm over the last dims; group norm,
  whose groups are contiguous too). The loop runs over rows in parallel.
* **channels** ``(N, C, L)``: a group is one channel, spread over N contiguous runs of L values
  (batch norm over every dim but 1). The loop runs over channels in parallel.

Rules of every kernel in this file:

* **No races**: each parallel iteration owns one group and writes only that group's outputs, so
  the result does not depend on how the threads split the loop (bitwise, run after run).
* **Stable and accurate sums**: two passes (the mean, then the squares around it, never
  E[x²] - E[x]²), accumulated in float64 with four partial sums (which breaks the chain of
  dependent additions, so the adder is kept busy); a float32 result is rounded once at the end.
  NumPy sums float32 pairwise in float32 and torch in its own order: results agree within the
  ``reduction`` tolerance, not bitwise.
* **No allocation**: outputs are allocated by the mixin; the loops only read and write them.
* ``error_model="numpy"``: an empty group gives 0/0 = nan, as in torch, instead of raising.

Inputs below ``PARALLEL_MIN`` elements (starting the threads costs more than they gain there),
size-0 inputs and layouts other than these two go to the NumPy reference with ``super()``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

Array = np.ndarray
PARALLEL_MIN = 1 << 14
"""Smallest input handed to a kernel: below it, starting the threads costs more than they gain."""
_JIT = {"parallel": True, "cache": True, "error_model": "numpy"}


@njit(inline="always")
def _sum(v, shift):
    """Σ (v - shift) over a contiguous 1-d array, in float64 with four partial sums."""
    s0 = s1 = s2 = s3 = 0.0
    stop = v.size - v.size % 4
    for i in range(0, stop, 4):
        s0 += v[i] - shift
        s1 += v[i + 1] - shift
        s2 += v[i + 2] - shift
        s3 += v[i + 3] - shift
    for i in range(stop, v.size):
        s0 += v[i] - shift
    return (s0 + s1) + (s2 + s3)


@njit(inline="always")
def _sum_squares(v, shift):
    """Σ (v - shift)² over a contiguous 1-d array, in float64 with four partial sums."""
    s0 = s1 = s2 = s3 = 0.0
    stop = v.size - v.size % 4
    for i in range(0, stop, 4):
        d0, d1, d2, d3 = v[i] - shift, v[i + 1] - shift, v[i + 2] - shift, v[i + 3] - shift
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
    for i in range(stop, v.size):
        d = v[i] - shift
        s0 += d * d
    return (s0 + s1) + (s2 + s3)


@njit(inline="always")
def _sum_products(g, v, shift):
    """Σ g and Σ g·(v - shift) over two contiguous 1-d arrays, in float64."""
    a0 = a1 = b0 = b1 = 0.0
    stop = v.size - v.size % 2
    for i in range(0, stop, 2):
        g0, g1 = np.float64(g[i]), np.float64(g[i + 1])
        a0 += g0
        a1 += g1
        b0 += g0 * (v[i] - shift)
        b1 += g1 * (v[i + 1] - shift)
    for i in range(stop, v.size):
        a0 += g[i]
        b0 += g[i] * (v[i] - shift)
    return a0 + a1, b0 + b1


@njit(**_JIT)
def moments_rows(x, mean, var):
    """mean[r] = Σ x[r]/F, var[r] = Σ (x[r] - mean[r])²/F for x of shape (R, F)."""
    n = x.shape[1]
    for r in prange(x.shape[0]):
        mu = _sum(x[r], 0.0) / n
        mean[r] = mu
        var[r] = _sum_squares(x[r], mu) / n


@njit(**_JIT)
def moments_channels(x, mean, var):
    """mean[c] and biased var[c] over x[:, c, :] for x of shape (N, C, L)."""
    n = x.shape[0] * x.shape[2]
    for c in prange(x.shape[1]):
        total = 0.0
        for i in range(x.shape[0]):
            total += _sum(x[i, c], 0.0)
        mu = total / n
        squares = 0.0
        for i in range(x.shape[0]):
            squares += _sum_squares(x[i, c], mu)
        mean[c] = mu
        var[c] = squares / n


@njit(**_JIT)
def scale_shift_rows(x, scale, shift, out):
    """out[r] = x[r]·scale[r] + shift[r] for x of shape (R, F) (two roundings, as torch)."""
    for r in prange(x.shape[0]):
        a, b = scale[r], shift[r]
        for j in range(x.shape[1]):
            out[r, j] = x[r, j] * a + b


@njit(**_JIT)
def scale_shift_channels(x, scale, shift, out):
    """out[:, c] = x[:, c]·scale[c] + shift[c] for x of shape (N, C, L) (two roundings)."""
    for c in prange(x.shape[1]):
        a, b = scale[c], shift[c]
        for i in range(x.shape[0]):
            for j in range(x.shape[2]):
                out[i, c, j] = x[i, c, j] * a + b


@njit(**_JIT)
def normalize_backward_rows(grad, x, mean, rstd, grad_x):
    """grad_x = r·(g - mean(g) - x̂·mean(g·x̂)) along each row of (R, F), x̂ = (x - μ)·r."""
    n = x.shape[1]
    for r in prange(x.shape[0]):
        mu, rs = np.float64(mean[r]), np.float64(rstd[r])
        sum_g, sum_gd = _sum_products(grad[r], x[r], mu)
        a, b = sum_g / n, rs * rs * sum_gd / n
        for j in range(n):
            grad_x[r, j] = rs * (grad[r, j] - a - (x[r, j] - mu) * b)


@njit(**_JIT)
def normalize_backward_channels(grad, x, mean, rstd, weight, has_weight, need_x, grad_x,
                                grad_weight, grad_bias):
    """Per channel c of (N, C, L), with k = w·r: grad_x = k·(g - mean(g) - x̂·mean(g·x̂)) (when
    need_x), grad_weight[c] = Σ g·x̂, grad_bias[c] = Σ g."""
    n = x.shape[0] * x.shape[2]
    for c in prange(x.shape[1]):
        mu, rs = np.float64(mean[c]), np.float64(rstd[c])
        sum_g = sum_gd = 0.0
        for i in range(x.shape[0]):
            g, d = _sum_products(grad[i, c], x[i, c], mu)
            sum_g += g
            sum_gd += d
        grad_bias[c] = sum_g
        grad_weight[c] = rs * sum_gd
        if not need_x:
            continue
        k = rs * weight[c] if has_weight else rs
        a, b = sum_g / n, rs * rs * sum_gd / n
        for i in range(x.shape[0]):
            for j in range(x.shape[2]):
                grad_x[i, c, j] = k * (grad[i, c, j] - a - (x[i, c, j] - mu) * b)


def _layout(x: Array, axes: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
    """('rows', (R, F)) when axes are the trailing dims, ('channels', (N, C, L)) when they are
    every dim but 1, else None (no kernel for that layout, or too small, or not float)."""
    shape, nd = x.shape, x.ndim
    if x.size < max(PARALLEL_MIN, 1) or x.dtype.kind != "f":
        return None
    axes = tuple(sorted(a % nd for a in axes)) if nd else ()
    if not axes:
        return None
    if axes == tuple(range(nd - len(axes), nd)):
        return "rows", (math.prod(shape[:nd - len(axes)]), math.prod(shape[nd - len(axes):]))
    if nd >= 2 and axes == (0, *range(2, nd)):
        return "channels", (shape[0], shape[1], math.prod(shape[2:]))
    return None


def _flat_stats(a: Array) -> Array:
    """A statistic kept with size-1 dims (mean, rstd), as one contiguous vector."""
    return np.ascontiguousarray(a).reshape(-1)


class NormKernels:
    """The normalisation primitives of the numba backend (see ``minigrad/backends/base.py``)."""

    def moments(self, x: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
        layout = _layout(x, axes)
        if layout is None:
            return super().moments(x, axes)
        kind, shape = layout
        groups = shape[0] if kind == "rows" else shape[1]
        mean, var = np.empty(groups, x.dtype), np.empty(groups, x.dtype)
        kernel = moments_rows if kind == "rows" else moments_channels
        kernel(np.ascontiguousarray(x).reshape(shape), mean, var)
        kept = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        return mean.reshape(kept), var.reshape(kept)

    def scale_shift(self, x: Array, scale: Array, shift: Array, axes: tuple[int, ...]) -> Array:
        layout = _layout(x, axes)
        kept = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        if layout is None or any(a.dtype != x.dtype or a.ndim > x.ndim
                                 or (1,) * (x.ndim - a.ndim) + a.shape != kept for a in (scale, shift)):
            return super().scale_shift(x, scale, shift, axes)  # e.g. group norm's per-channel scale
        kind, shape = layout
        out = np.empty(shape, x.dtype)
        kernel = scale_shift_rows if kind == "rows" else scale_shift_channels
        kernel(np.ascontiguousarray(x).reshape(shape), _flat_stats(scale), _flat_stats(shift), out)
        return out.reshape(x.shape)

    def normalize_backward(self, grad: Array, x: Array, mean: Array, rstd: Array,
                           weight: Array | None, axes: tuple[int, ...],
                           param_shape: tuple[int, ...] | None,
                           needs: tuple[bool, bool, bool]) -> tuple[Array | None, ...]:
        layout = _layout(x, axes)
        kind = None if layout is None else layout[0]
        if kind == "rows" and (weight is not None or needs[1] or needs[2]):
            kind = None  # a per-feature weight (group norm's): the NumPy reference
        if kind is None:
            return super().normalize_backward(grad, x, mean, rstd, weight, axes, param_shape, needs)
        shape = layout[1]
        g = np.ascontiguousarray(grad, dtype=x.dtype).reshape(shape)
        xs = np.ascontiguousarray(x).reshape(shape)
        grad_x = np.empty(shape, x.dtype)
        if kind == "rows":
            normalize_backward_rows(g, xs, _flat_stats(mean), _flat_stats(rstd), grad_x)
            return grad_x.reshape(x.shape), None, None
        grad_weight, grad_bias = np.empty(shape[1], x.dtype), np.empty(shape[1], x.dtype)
        w = np.empty(0, x.dtype) if weight is None else _flat_stats(weight)
        normalize_backward_channels(g, xs, _flat_stats(mean), _flat_stats(rstd), w,
                                    weight is not None, needs[0], grad_x, grad_weight, grad_bias)
        return (grad_x.reshape(x.shape) if needs[0] else None,
                grad_weight.reshape(param_shape) if needs[1] else None,
                grad_bias.reshape(param_shape) if needs[2] else None)
