"""The NumPy backend's neural-network kernels: special functions, convolution (im2col/col2im) and
pooling. ``NumpyBackend`` inherits them (and the normalisation and optimizer kernels of
``numpy_norm.py`` and ``numpy_optim.py``); a faster backend overrides them one by one without
touching the Functions that call them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

from .base import Array, Shape

# torch computes inf and nan silently; NumPy warns (see numpy_backend.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_ERF_TAYLOR = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13)]
# erfc(z)·e^(z²) = P(z)/Q(z) for z ≥ 0.5, lowest degree first (Hart et al. #5667, 18.7 digits).
_ERFC_P = [1826.3348842295112592168999, 2898.0293292167655611275846, 2320.439590251635247384768711,
           1143.262070703886173606073338, 368.5196154710010637133875746, 77.08161730368428609781633646,
           9.675807882987265400604202961, 0.5641877825507397413087057563]
_ERFC_Q = [1826.3348842295112595576438, 4958.82756472114071495438422, 6089.5424232724435504633068,
           4429.612803883682726711528526, 2094.384367789539593790281779, 661.7361207107653469211984771,
           137.1255960500622202878443578, 17.14980943627607849376131193, 1.0]



def _horner(coefficients: Sequence[float], x: np.ndarray) -> np.ndarray:
    """Σ cₖ xᵏ (coefficients from the lowest degree up), by Horner's rule."""
    result = np.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        result = result * x + c
    return result


class NumpyNeuralNetKernels:
    """The hot paths of a network's training step, in plain NumPy."""

    # special functions for the activations
    def expm1(self, x: Array) -> Array:
        return np.expm1(x)

    def log1p(self, x: Array) -> Array:
        return np.log1p(x)

    def erf(self, x: Array) -> Array:
        # NumPy has no erf: |x| < 0.5 sums its Taylor series, 2/√π·Σ (-1)ⁿ x²ⁿ⁺¹/(n!(2n+1));
        # above, erf = 1 - erfc with erfc(z) = e^(-z²)·P(z)/Q(z), the rational approximation
        # #5667 of Hart et al., "Computer Approximations" (1968); erf(z) is 1.0 in double beyond 6.
        z = np.abs(x.astype(np.float64))
        series = _horner(_ERF_TAYLOR, z * z) * z * _TWO_OVER_SQRT_PI
        w = np.minimum(z, 6.0)
        complement = 1.0 - np.exp(-w * w) * _horner(_ERFC_P, w) / _horner(_ERFC_Q, w)
        return np.copysign(np.where(z < 0.5, series, complement), x).astype(x.dtype, copy=False)

    # convolution. Both kernels work channel-major, on (C, N, H, W): the columns are stored
    # kernel-position-major, (C·kh·kw, N, L) in memory, returned as the (N, C·kh·kw, L) view, so
    # that a convolution's one large matmul over (C·kh·kw, N·L) needs no second copy. Each one
    # loops over the kh·kw kernel offsets, vectorised over everything else.
    @staticmethod
    def _blocks(size: tuple[int, int], kernel_size: tuple[int, int], dilation: tuple[int, int],
                padding: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
        """How many sliding blocks fit along height and width: ⌊(n + 2p - d(k-1) - 1)/s⌋ + 1."""
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, k, d, p, s in zip(size, kernel_size, dilation, padding, stride))

    @staticmethod
    def _at_offset(image: Array, i: int, j: int, blocks: tuple[int, int],
                   stride: tuple[int, int]) -> Array:
        """The pixel at offset (i, j) (already dilated) of every sliding block of (..., H, W)."""
        (oh, ow), (sh, sw) = blocks, stride
        return image[..., i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]

    def im2col(self, x: Array, kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> Array:
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw) = kernel_size, dilation, padding
        blocks = self._blocks((h, w), kernel_size, dilation, padding, stride)
        image = x.transpose(1, 0, 2, 3)  # (C, N, H, W), zero-padded if needed
        if ph or pw:
            image = np.zeros((c, n, h + 2 * ph, w + 2 * pw), x.dtype)
            image[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
        cols = np.empty((c, kh, kw, n) + blocks, x.dtype)  # a fresh copy, never a view of x
        for i in range(kh):
            for j in range(kw):
                cols[:, i, j] = self._at_offset(image, i * dh, j * dw, blocks, stride)
        return cols.reshape(c * kh * kw, n, blocks[0] * blocks[1]).transpose(1, 0, 2)

    def col2im(self, cols: Array, output_size: tuple[int, int], kernel_size: tuple[int, int],
               dilation: tuple[int, int], padding: tuple[int, int], stride: tuple[int, int]) -> Array:
        n = cols.shape[0]
        (kh, kw), (dh, dw), (ph, pw), (h, w) = kernel_size, dilation, padding, output_size
        blocks = self._blocks(output_size, kernel_size, dilation, padding, stride)
        c = cols.shape[1] // (kh * kw)
        # a view when cols is stored kernel-position-major (as im2col and the conv's matmul leave it)
        by_offset = cols.transpose(1, 0, 2).reshape((c, kh, kw, n) + blocks)
        image = np.zeros((c, n, h + 2 * ph, w + 2 * pw), cols.dtype)
        for i in range(kh):
            for j in range(kw):
                window = self._at_offset(image, i * dh, j * dw, blocks, stride)
                np.add(window, by_offset[:, i, j], out=window)
        return image[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3)

    # pooling: loops over the kernel's offsets only, each one a strided view of every window
    @staticmethod
    def _lowest(dtype: Any) -> Any:
        """The value padding takes in max pooling: -inf, or the smallest integer."""
        return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min

    @staticmethod
    def _padded_size(input_size: Shape, out_size: Shape, kernel: Shape, stride: Shape,
                     padding: Shape, dilation: Shape) -> Shape:
        """(H, W) with the padding on the top and left, and enough on the bottom and right for
        every window (ceil_mode's last window may reach past the padding)."""
        return tuple(max((o - 1) * s + d * (k - 1) + 1, n + p) for n, o, k, s, p, d
                     in zip(input_size, out_size, kernel, stride, padding, dilation))

    def _padded(self, x: Array, out_size: Shape, kernel: Shape, stride: Shape, padding: Shape,
                dilation: Shape, fill: Any) -> Array:
        """x surrounded by ``fill`` (x itself when every window lies inside it)."""
        size = self._padded_size(x.shape[2:], out_size, kernel, stride, padding, dilation)
        if padding == (0, 0) and size == x.shape[2:]:
            return x
        out = np.full(x.shape[:2] + size, fill, x.dtype)
        (ph, pw), (h, w) = padding, x.shape[2:]
        out[:, :, ph:ph + h, pw:pw + w] = x
        return out

    def max_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, dilation: Shape,
                   out_size: Shape) -> tuple[Array, Array]:
        # torch's rule per window: start at (-inf, the first element inside the input), then take
        # each element v in row-major order when v > best or v is NaN. The winner is tracked as its
        # offset k = i·kw + j in the window, updated by arithmetic (masked copies are slower).
        (kh, kw), (dh, dw), w = kernel, dilation, x.shape[3]
        tiled = all(o * k <= n for o, k, n in zip(out_size, kernel, x.shape[2:]))
        if tiled and kernel == tuple(stride) and padding == (0, 0) and dilation == (1, 1):
            return self._max_pool_tiles(x, kernel, out_size)
        starts = [np.arange(o) * s - p for o, s, p in zip(out_size, stride, padding)]
        outside = [np.maximum(-s + d - 1, 0) // d for s, d in zip(starts, dilation)]
        padded = self._padded(x, out_size, kernel, stride, padding, dilation, self._lowest(x.dtype))
        best = np.full(x.shape[:2] + tuple(out_size), self._lowest(x.dtype), x.dtype)
        offset = np.empty(best.shape, np.int32)
        offset[...] = outside[0][:, None] * kw + outside[1]
        for i in range(kh):
            for j in range(kw):
                value = self._at_offset(padded, i * dh, j * dw, out_size, stride)
                better = np.greater(value, best)
                if x.dtype.kind == "f":
                    better |= np.isnan(value)
                change = np.subtract(i * kw + j, offset, dtype=np.int32)
                change *= better
                offset += change
                np.maximum(best, value, out=best)
        top_left = starts[0][:, None] * w + starts[1]
        return best, top_left + offset // kw * (dh * w) + offset % kw * dw

    def _max_pool_tiles(self, x: Array, kernel: Shape, out_size: Shape) -> tuple[Array, Array]:
        """max_pool2d when the windows tile the input (kernel = stride, no padding or dilation).
        The max of each window comes first; the winner's offset k = i·kw + j is then the number of
        leading offsets that do not hold it (the first maximum wins); NaN windows, rare, take
        their last NaN afterwards. Temporaries keep x's memory layout (order "K")."""
        (kh, kw), (oh, ow), (n, c, _, w) = kernel, out_size, x.shape
        tiles = x[:, :, :oh * kh, :ow * kw].reshape(n, c, oh, kh, ow, kw)  # a view, any layout
        values = [tiles[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]  # row-major
        best = values[0].copy(order="K")
        for value in values[1:]:
            np.maximum(best, value, out=best)  # NaN propagates
        missed = np.not_equal(values[0], best)
        offset = missed.astype(np.uint8)
        for value in values[1:-1]:
            missed &= np.not_equal(value, best)
            offset += missed
        if x.dtype.kind == "f" and np.isnan(best).any():
            for k, value in enumerate(values):
                np.copyto(offset, k, where=np.isnan(value))
        at = np.array([i * w + j for i in range(kh) for j in range(kw)])  # offset → flat position
        indices = np.take(at, offset, out=np.empty_like(best, np.int64))
        indices += np.arange(oh)[:, None] * (kh * w) + np.arange(ow) * kw  # window's top left
        return best, indices

    def max_pool2d_backward(self, grad: Array, indices: Array, input_size: Shape) -> Array:
        # one flat index per gradient over all the (N·C) planes, in the memory order of the
        # indices' planes (channel-major when a convolution's output was pooled)
        channel_major = (not indices.flags.c_contiguous
                         and indices.transpose(1, 0, 2, 3).flags.c_contiguous)
        if channel_major:
            grad, indices = grad.transpose(1, 0, 2, 3), indices.transpose(1, 0, 2, 3)
        planes, windows = indices.shape[0] * indices.shape[1], indices.shape[2] * indices.shape[3]
        plane = input_size[0] * input_size[1]
        flat = indices.reshape(planes, windows) + (np.arange(planes) * plane)[:, None]
        out = np.zeros(planes * plane, grad.dtype)
        np.add.at(out, flat.ravel(), grad.ravel())  # overlapping windows add up
        out = out.reshape(indices.shape[:2] + tuple(input_size))
        return out.transpose(1, 0, 2, 3) if channel_major else out

    @staticmethod
    def _avg_divisor(input_size: Shape, kernel: Shape, stride: Shape, padding: Shape,
                     out_size: Shape, count_include_pad: bool, divisor_override: int | None,
                     dtype: Any) -> Array:
        """torch's divisor of each window, as (oh, ow): the window inside input + padding, or
        only its part inside the input, or divisor_override."""
        if divisor_override is not None:
            return np.asarray(divisor_override, dtype)
        sizes = []
        for n, k, s, p, o in zip(input_size, kernel, stride, padding, out_size):
            start = np.arange(o) * s - p
            end = np.minimum(start + k, n + p)
            inside = np.minimum(end, n) - np.maximum(start, 0)
            sizes.append(end - start if count_include_pad else inside)
        return (sizes[0][:, None] * sizes[1]).astype(dtype)

    def avg_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, out_size: Shape,
                   count_include_pad: bool, divisor_override: int | None) -> Array:
        padded = self._padded(x, out_size, kernel, stride, padding, (1, 1), 0)
        total = np.zeros(x.shape[:2] + tuple(out_size), x.dtype)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                total += self._at_offset(padded, i, j, out_size, stride)
        return total / self._avg_divisor(x.shape[2:], kernel, stride, padding, out_size,
                                         count_include_pad, divisor_override, x.dtype)

    def avg_pool2d_backward(self, grad: Array, input_size: Shape, kernel: Shape, stride: Shape,
                            padding: Shape, count_include_pad: bool,
                            divisor_override: int | None) -> Array:
        out_size = grad.shape[2:]
        share = grad / self._avg_divisor(input_size, kernel, stride, padding, out_size,
                                         count_include_pad, divisor_override, grad.dtype)
        size = self._padded_size(input_size, out_size, kernel, stride, padding, (1, 1))
        padded = np.zeros(grad.shape[:2] + size, grad.dtype)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                self._at_offset(padded, i, j, out_size, stride)[...] += share
        (ph, pw), (h, w) = padding, input_size
        return np.ascontiguousarray(padded[:, :, ph:ph + h, pw:pw + w])

    @staticmethod
    def _adaptive_windows(n: int, out: int) -> tuple[Array, Array]:
        """Starts ⌊i·n/out⌋ and lengths ⌈(i+1)·n/out⌉ - start of the adaptive windows of one axis."""
        i = np.arange(out)
        start = i * n // out
        return start, -(-(i + 1) * n // out) - start

    def _adaptive_offsets(self, input_size: Shape,
                          out_size: Shape) -> Iterator[tuple[Array, Array, Array]]:
        """For each kernel offset (i, j): the rows and columns it reads and where it is inside."""
        (sh, lh), (sw, lw) = (self._adaptive_windows(n, o) for n, o in zip(input_size, out_size))
        (h, w) = input_size
        for i in range(int(lh.max(initial=0))):
            for j in range(int(lw.max(initial=0))):
                rows, cols = np.minimum(sh + i, h - 1), np.minimum(sw + j, w - 1)
                yield rows[:, None], cols, (i < lh)[:, None] & (j < lw)

    @staticmethod
    def _regular(input_size: Shape, out_size: Shape) -> bool:
        """Whether the adaptive windows tile the input: a plain pool with kernel = stride."""
        return all(o > 0 and n % o == 0 for n, o in zip(input_size, out_size))

    def adaptive_avg_pool2d(self, x: Array, out_size: Shape) -> Array:
        if self._regular(x.shape[2:], out_size):
            kernel = tuple(n // o for n, o in zip(x.shape[2:], out_size))
            return self.avg_pool2d(x, kernel, kernel, (0, 0), out_size, True, None)
        total = np.zeros(x.shape[:2] + tuple(out_size), x.dtype)
        for rows, cols, inside in self._adaptive_offsets(x.shape[2:], out_size):
            total += np.where(inside, x[:, :, rows, cols], x.dtype.type(0))
        lengths = [self._adaptive_windows(n, o)[1] for n, o in zip(x.shape[2:], out_size)]
        return total / (lengths[0][:, None] * lengths[1]).astype(x.dtype)

    def adaptive_avg_pool2d_backward(self, grad: Array, input_size: Shape) -> Array:
        out_size = grad.shape[2:]
        if self._regular(input_size, out_size):
            kernel = tuple(n // o for n, o in zip(input_size, out_size))
            return self.avg_pool2d_backward(grad, input_size, kernel, kernel, (0, 0), True, None)
        lengths = [self._adaptive_windows(n, o)[1] for n, o in zip(input_size, out_size)]
        share = grad / (lengths[0][:, None] * lengths[1]).astype(grad.dtype)
        out = np.zeros(grad.shape[:2] + tuple(input_size), grad.dtype)
        for rows, cols, inside in self._adaptive_offsets(input_size, out_size):
            np.add.at(out, (slice(None), slice(None), rows, cols),
                      np.where(inside, share, grad.dtype.type(0)))
        return out

    def adaptive_max_pool2d(self, x: Array, out_size: Shape) -> tuple[Array, Array]:
        w = x.shape[3]
        if self._regular(x.shape[2:], out_size):
            kernel = tuple(n // o for n, o in zip(x.shape[2:], out_size))
            return self.max_pool2d(x, kernel, kernel, (0, 0), (1, 1), out_size)
        starts = [self._adaptive_windows(n, o)[0] for n, o in zip(x.shape[2:], out_size)]
        best = np.full(x.shape[:2] + tuple(out_size), self._lowest(x.dtype), x.dtype)
        index = np.empty(best.shape, np.int64)
        index[...] = starts[0][:, None] * w + starts[1]
        for rows, cols, inside in self._adaptive_offsets(x.shape[2:], out_size):
            value = x[:, :, rows, cols]
            better = np.greater(value, best)
            if x.dtype.kind == "f":
                better |= np.isnan(value)
            better &= inside
            np.copyto(best, value, where=better)
            np.copyto(index, rows * w + cols, where=better)
        return best, index
