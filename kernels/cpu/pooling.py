"""Pooling as Numba kernels: max and average pooling, forward and backward, on planes.

Layout: the mixin at the end turns (N, C, H, W) into C-contiguous **planes** ``(P, H, W)``, P = N·C,
taken in memory order: batch-major, or channel-major when the input is the channel-major output
of a convolution (no copy then); outputs come back in the same order, as (N, C, ...) views.

torch's rules (CPU kernels), kept exactly:

* max pooling scans each window in row-major order from (-inf, the first position inside the
  input) and takes a value v when ``v > best or v is NaN``: the **first** maximum wins a tie, and
  the **last** NaN wins; its index is flat over H·W. Its backward adds each gradient at that index.
* average pooling sums each window in row-major order, then divides by the window's divisor
  (computed by the NumPy reference: padding counted or not, or divisor_override); its backward
  adds grad / divisor to every position of the window.

Rules of every kernel in this file:

* **No races**: each parallel iteration owns one plane and writes only that plane's outputs;
  backward kernels add in the order of the output positions, the same in every run (bitwise
  reproducible).
* **No allocation**: outputs are allocated by the mixin; the loops only read and write them.
* Arithmetic in the array's dtype (float32 stays float32, as torch's CPU kernels).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

Array = np.ndarray
Shape = tuple[int, ...]


@njit(parallel=True, cache=True)
def max_pool_kernel(planes, kh, kw, sh, sw, ph, pw, dh, dw, values, indices):
    """values[p, oy, ox] = the max of the window of (oy, ox), indices = its flat position."""
    count, h, w = planes.shape
    oh, ow = values.shape[1], values.shape[2]
    lowest = -np.inf
    for p in prange(count):
        plane = planes[p]
        for oy in range(oh):
            y0 = oy * sh - ph
            y_end = min(y0 + (kh - 1) * dh + 1, h)
            while y0 < 0:
                y0 += dh
            for ox in range(ow):
                x0 = ox * sw - pw
                x_end = min(x0 + (kw - 1) * dw + 1, w)
                while x0 < 0:
                    x0 += dw
                best, best_at = lowest, y0 * w + x0
                y = y0
                while y < y_end:  # (while loops: a range with a variable step divides)
                    x = x0
                    while x < x_end:
                        v = plane[y, x]
                        if v > best or np.isnan(v):
                            best, best_at = v, y * w + x
                        x += dw
                    y += dh
                values[p, oy, ox] = best
                indices[p, oy, ox] = best_at


@njit(parallel=True, cache=True)
def max_pool_backward_kernel(grad, indices, out):
    """out[p] = zeros with grad[p, k] added at indices[p, k], k in order."""
    count, windows = grad.shape
    for p in prange(count):
        plane = out[p]
        plane[:] = 0
        for k in range(windows):
            plane[indices[p, k]] += grad[p, k]


@njit(parallel=True, cache=True)
def avg_pool_kernel(planes, kh, kw, sh, sw, ph, pw, divisor, out):
    """out[p, oy, ox] = Σ of the window's values inside the image / divisor[oy, ox]."""
    count, h, w = planes.shape
    oh, ow = out.shape[1], out.shape[2]
    for p in prange(count):
        plane = planes[p]
        for oy in range(oh):
            y0, y1 = max(oy * sh - ph, 0), min(oy * sh - ph + kh, h)
            for ox in range(ow):
                x0, x1 = max(ox * sw - pw, 0), min(ox * sw - pw + kw, w)
                total = plane.dtype.type(0)
                for y in range(y0, y1):
                    for x in range(x0, x1):
                        total += plane[y, x]
                out[p, oy, ox] = total / divisor[oy, ox]


@njit(parallel=True, cache=True)
def avg_pool_backward_kernel(grad, kh, kw, sh, sw, ph, pw, divisor, out):
    """out[p] = zeros with grad[p, oy, ox] / divisor[oy, ox] added over each window."""
    count, h, w = out.shape
    oh, ow = grad.shape[1], grad.shape[2]
    for p in prange(count):
        plane = out[p]
        plane[:] = 0
        for oy in range(oh):
            y0, y1 = max(oy * sh - ph, 0), min(oy * sh - ph + kh, h)
            for ox in range(ow):
                x0, x1 = max(ox * sw - pw, 0), min(ox * sw - pw + kw, w)
                share = grad[p, oy, ox] / divisor[oy, ox]
                for y in range(y0, y1):
                    for x in range(x0, x1):
                        plane[y, x] += share


def _planes(x: Array) -> tuple[Array, bool]:
    """(N, C, H, W) as C-contiguous planes (P, H, W) in memory order, and whether channel-major."""
    channel_major = x.transpose(1, 0, 2, 3)
    if channel_major.flags.c_contiguous and not x.flags.c_contiguous:
        return channel_major.reshape((-1,) + x.shape[2:]), True
    return np.ascontiguousarray(x).reshape((-1,) + x.shape[2:]), False


def _unplanes(planes: Array, n: int, c: int, channel_major: bool) -> Array:
    """Planes (P, ...) back to an (N, C, ...) array (a view)."""
    if channel_major:
        return planes.reshape((c, n) + planes.shape[1:]).transpose(1, 0, 2, 3)
    return planes.reshape((n, c) + planes.shape[1:])


class PoolingKernels:
    """Backend mixin: max and average pooling with the kernels above (float arrays; the rest goes
    to the NumPy reference)."""

    def max_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, dilation: Shape,
                   out_size: Shape) -> tuple[Array, Array]:
        if x.dtype.kind != "f" or x.size == 0:
            return super().max_pool2d(x, kernel, stride, padding, dilation, out_size)
        (n, c), (oh, ow) = x.shape[:2], out_size
        planes, channel_major = _planes(x)
        values = np.empty((planes.shape[0], oh, ow), x.dtype)
        indices = np.empty((planes.shape[0], oh, ow), np.int64)
        max_pool_kernel(planes, *kernel, *stride, *padding, *dilation, values, indices)
        return (_unplanes(values, n, c, channel_major), _unplanes(indices, n, c, channel_major))

    def max_pool2d_backward(self, grad: Array, indices: Array, input_size: Shape) -> Array:
        if grad.dtype.kind != "f" or grad.size == 0:
            return super().max_pool2d_backward(grad, indices, input_size)
        n, c = grad.shape[:2]
        where, channel_major = _planes(indices)
        order = (1, 0, 2, 3) if channel_major else (0, 1, 2, 3)
        grad = np.ascontiguousarray(grad.transpose(order))
        out = np.empty((where.shape[0], input_size[0] * input_size[1]), grad.dtype)
        max_pool_backward_kernel(grad.reshape(where.shape[0], -1),
                                 where.reshape(where.shape[0], -1), out)
        return _unplanes(out.reshape((-1,) + tuple(input_size)), n, c, channel_major)

    def avg_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, out_size: Shape,
                   count_include_pad: bool, divisor_override: int | None) -> Array:
        if x.dtype.kind != "f" or x.size == 0:
            return super().avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad,
                                      divisor_override)
        divisor = np.broadcast_to(self._avg_divisor(
            x.shape[2:], kernel, stride, padding, out_size, count_include_pad, divisor_override,
            x.dtype), tuple(out_size))
        planes, channel_major = _planes(x)
        out = np.empty((planes.shape[0],) + tuple(out_size), x.dtype)
        avg_pool_kernel(planes, *kernel, *stride, *padding, np.ascontiguousarray(divisor), out)
        return _unplanes(out, x.shape[0], x.shape[1], channel_major)

    def avg_pool2d_backward(self, grad: Array, input_size: Shape, kernel: Shape, stride: Shape,
                            padding: Shape, count_include_pad: bool,
                            divisor_override: int | None) -> Array:
        if grad.dtype.kind != "f" or grad.size == 0:
            return super().avg_pool2d_backward(grad, input_size, kernel, stride, padding,
                                               count_include_pad, divisor_override)
        divisor = np.broadcast_to(self._avg_divisor(
            input_size, kernel, stride, padding, grad.shape[2:], count_include_pad,
            divisor_override, grad.dtype), grad.shape[2:])
        planes, channel_major = _planes(grad)
        out = np.empty((planes.shape[0],) + tuple(input_size), grad.dtype)
        avg_pool_backward_kernel(planes, *kernel, *stride, *padding,
                                 np.ascontiguousarray(divisor), out)
        return _unplanes(out, grad.shape[0], grad.shape[1], channel_major)
