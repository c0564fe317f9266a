"""Pooling on (N, C, H, W) arrays: max, average and adaptive pools, forward and backward.

Forward kernels run **one thread per output element** (n, c, oy, ox): the thread walks its window
and writes its own result: no race. The window of output row oy starts at oy·stride - padding
(plain pools) or at ⌊oy·H/out⌋ and ends at ⌈(oy+1)·H/out⌉ (adaptive pools); positions outside the
input are padding: -inf for max (never chosen), 0 for average. Max pooling keeps torch's rule: the
first maximum in row-major window order wins, a nan always wins (the last nan seen), and the
index is flat over H·W.

Backward kernels run **one thread per gradient element** and add its share into every input
position of its window. Overlapping windows (stride < kernel) send several shares to one input
position, so the adds are ``cuda.atomic.add``: indivisible, in a run-dependent order (float sums
may differ by rounding from run to run).
"""

from __future__ import annotations

from numba import cuda

from .device import Array, blocks_for, constant, full, threads_for

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}

Pair = tuple[int, int]


def _launch(kernel, size: int, *args) -> None:
    threads = threads_for(size)
    kernel[blocks_for(size, threads), threads](*args)


@cuda.jit(device=True)
def _position(t, shape):
    """(n, c, y, x) of the row-major position t in an array of ``shape`` (4-d)."""
    x = t % shape[3]
    y = (t // shape[3]) % shape[2]
    c = (t // (shape[3] * shape[2])) % shape[1]
    return t // (shape[3] * shape[2] * shape[1]), c, y, x


@cuda.jit(device=True)
def _window(o, size, out, kernel, stride, padding, adaptive):
    """[start, end) of output position o's window along one axis (possibly outside the input)."""
    if adaptive:
        return (o * size) // out, -((-(o + 1) * size) // out)
    start = o * stride - padding
    return start, start + kernel


@cuda.jit
def _max_kernel(x, out, index, kh, kw, sh, sw, ph, pw, dh, dw, adaptive, lowest):
    """out = max of the window, index = its flat position y·W + x (first max, nan wins)."""
    t = cuda.grid(1)
    if t < out.size:
        n, c, oy, ox = _position(t, out.shape)
        height, width = x.shape[2], x.shape[3]
        y0, y1 = _window(oy, height, out.shape[2], kh, sh, ph, adaptive)
        x0, x1 = _window(ox, width, out.shape[3], kw, sw, pw, adaptive)
        step_y, step_x = (1, 1) if adaptive else (dh, dw)
        best, where = lowest, -1
        for y in range(y0, y1 if adaptive else y0 + (kh - 1) * dh + 1, step_y):
            for xx in range(x0, x1 if adaptive else x0 + (kw - 1) * dw + 1, step_x):
                if 0 <= y < height and 0 <= xx < width:
                    v = x[n, c, y, xx]
                    if where < 0 or v > best or v != v:
                        best, where = v, y * width + xx
        out[n, c, oy, ox] = best
        index[n, c, oy, ox] = where


@cuda.jit
def _max_backward_kernel(grad, index, out):
    """out[n, c, index] += grad[n, c, oy, ox] (atomically: windows overlap)."""
    t = cuda.grid(1)
    if t < grad.size:
        n, c, oy, ox = _position(t, grad.shape)
        i = index[n, c, oy, ox]
        cuda.atomic.add(out, (n, c, i // out.shape[3], i % out.shape[3]), grad[n, c, oy, ox])


@cuda.jit(device=True)
def _divisor(y0, y1, x0, x1, height, width, ph, pw, count_include_pad, override, adaptive):
    """torch's divisor of a window: its size within input + padding, or within the input only,
    or ``override`` when positive."""
    if override > 0:
        return override
    if count_include_pad and not adaptive:
        return (min(y1, height + ph) - y0) * (min(x1, width + pw) - x0)
    return (min(y1, height) - max(y0, 0)) * (min(x1, width) - max(x0, 0))


@cuda.jit
def _avg_kernel(x, out, kh, kw, sh, sw, ph, pw, count_include_pad, override, adaptive, zero):
    """out = Σ window / divisor."""
    t = cuda.grid(1)
    if t < out.size:
        n, c, oy, ox = _position(t, out.shape)
        height, width = x.shape[2], x.shape[3]
        y0, y1 = _window(oy, height, out.shape[2], kh, sh, ph, adaptive)
        x0, x1 = _window(ox, width, out.shape[3], kw, sw, pw, adaptive)
        total = zero
        for y in range(max(y0, 0), min(y1, height)):
            for xx in range(max(x0, 0), min(x1, width)):
                total += x[n, c, y, xx]
        out[n, c, oy, ox] = total / _divisor(y0, y1, x0, x1, height, width, ph, pw,
                                             count_include_pad, override, adaptive)


@cuda.jit
def _avg_backward_kernel(grad, out, kh, kw, sh, sw, ph, pw, count_include_pad, override,
                         adaptive):
    """out[window] += grad / divisor (atomically: windows overlap)."""
    t = cuda.grid(1)
    if t < grad.size:
        n, c, oy, ox = _position(t, grad.shape)
        height, width = out.shape[2], out.shape[3]
        y0, y1 = _window(oy, height, grad.shape[2], kh, sh, ph, adaptive)
        x0, x1 = _window(ox, width, grad.shape[3], kw, sw, pw, adaptive)
        share = grad[n, c, oy, ox] / _divisor(y0, y1, x0, x1, height, width, ph, pw,
                                              count_include_pad, override, adaptive)
        for y in range(max(y0, 0), min(y1, height)):
            for xx in range(max(x0, 0), min(x1, width)):
                cuda.atomic.add(out, (n, c, y, xx), share)


def _lowest(dtype) -> object:
    return constant(dtype, -float("inf")) if dtype.kind == "f" else constant(dtype, -2**63)


def max_pool2d(x: Array, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
               out_size: Pair) -> tuple[Array, Array]:
    """(max of each window, its int64 flat index over H·W)."""
    out = cuda.device_array(tuple(x.shape[:2]) + tuple(out_size), x.dtype)
    index = cuda.device_array(out.shape, "int64")
    if out.size:
        _launch(_max_kernel, out.size, x, out, index, *kernel, *stride, *padding, *dilation, False,
                _lowest(x.dtype))
    return out, index


def adaptive_max_pool2d(x: Array, out_size: Pair) -> tuple[Array, Array]:
    """max and flat index of each adaptive window ⌊i·H/out⌋ ≤ h < ⌈(i+1)·H/out⌉."""
    out = cuda.device_array(tuple(x.shape[:2]) + tuple(out_size), x.dtype)
    index = cuda.device_array(out.shape, "int64")
    if out.size:
        _launch(_max_kernel, out.size, x, out, index, 0, 0, 1, 1, 0, 0, 1, 1, True, _lowest(x.dtype))
    return out, index


def max_pool2d_backward(grad: Array, index: Array, input_size: Pair) -> Array:
    """zeros of (N, C, *input_size) with grad added at the flat indices."""
    out = full(tuple(grad.shape[:2]) + tuple(input_size), 0, grad.dtype)
    if grad.size:
        _launch(_max_backward_kernel, grad.size, grad, index, out)
    return out


def avg_pool2d(x: Array, kernel: Pair, stride: Pair, padding: Pair, out_size: Pair,
               count_include_pad: bool, divisor_override: int | None) -> Array:
    """Σ window / divisor."""
    out = cuda.device_array(tuple(x.shape[:2]) + tuple(out_size), x.dtype)
    if out.size:
        _launch(_avg_kernel, out.size, x, out, *kernel, *stride, *padding, count_include_pad,
                divisor_override or 0, False, constant(x.dtype, 0))
    return out


def adaptive_avg_pool2d(x: Array, out_size: Pair) -> Array:
    """mean of each adaptive window."""
    out = cuda.device_array(tuple(x.shape[:2]) + tuple(out_size), x.dtype)
    if out.size:
        _launch(_avg_kernel, out.size, x, out, 0, 0, 1, 1, 0, 0, False, 0, True,
                constant(x.dtype, 0))
    return out


def avg_pool2d_backward(grad: Array, input_size: Pair, kernel: Pair, stride: Pair,
                        padding: Pair, count_include_pad: bool,
                        divisor_override: int | None, adaptive: bool = False) -> Array:
    """each grad / divisor added to every input position of its window."""
    out = full(tuple(grad.shape[:2]) + tuple(input_size), 0, grad.dtype)
    if grad.size:
        _launch(_avg_backward_kernel, grad.size, grad, out, *kernel, *stride, *padding,
                count_include_pad, divisor_override or 0, adaptive)
    return out


def adaptive_avg_pool2d_backward(grad: Array, input_size: Pair) -> Array:
    """each grad / window size added to every input position of its adaptive window."""
    return avg_pool2d_backward(grad, input_size, (0, 0), (1, 1), (0, 0), False, None, True)
