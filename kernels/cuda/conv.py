"""Convolution as matrix products: im2col (torch's unfold) and col2im (torch's fold).

Layout (torch's): x (N, C, H, W) ↔ columns (N, C·kh·kw, L), where L = oh·ow sliding blocks in
row-major order and row c·kh·kw + i·kw + j holds the pixel under kernel offset (i, j) of channel c;
padding is zeros. A convolution is then ``weight (O, C·kh·kw) @ columns``, the tiled matmul.

* ``_im2col_kernel``: **one thread per column entry**: the thread computes which pixel of x lies
  under its kernel offset and window (or that it falls in the padding: 0) and copies it. Each
  output is written once: no race. Consecutive threads handle consecutive windows (l), so the
  writes are coalesced and the reads strided by the stride.
* ``_col2im_kernel``: fold adds the entries of all the windows that cover a pixel. Written as a
  scatter (one thread per column entry adding into its pixel) it would need atomics, because
  overlapping windows send several entries to one pixel. Written as a **gather**, one thread per
  pixel of the output loops over the kh·kw kernel offsets, finds the window (if any) that puts
  this pixel under that offset, and adds that entry: each pixel is written by one thread, **no
  atomics**, and the sum has a fixed order (deterministic).
"""

from __future__ import annotations

from numba import cuda

from .device import Array, blocks_for, constant, threads_for

Pair = tuple[int, int]


def output_size(size: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Pair:
    """torch's (oh, ow) = ⌊(H + 2p - d(k - 1) - 1)/s⌋ + 1 per dimension."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))


@cuda.jit
def _im2col_kernel(x, cols, kh, kw, dh, dw, ph, pw, sh, sw, ow, zero):
    """cols[n, c·kh·kw + i·kw + j, oy·ow + ox] = x[n, c, oy·sh - ph + i·dh, ox·sw - pw + j·dw]."""
    t = cuda.grid(1)
    if t < cols.size:
        length, rows = cols.shape[2], cols.shape[1]
        l, r, n = t % length, (t // length) % rows, t // (length * rows)
        c, i, j = r // (kh * kw), (r // kw) % kh, r % kw
        h, w = (l // ow) * sh - ph + i * dh, (l % ow) * sw - pw + j * dw
        inside = 0 <= h < x.shape[2] and 0 <= w < x.shape[3]
        cols[n, r, l] = x[n, c, h, w] if inside else zero


@cuda.jit
def _col2im_kernel(cols, out, kh, kw, dh, dw, ph, pw, sh, sw, oh, ow, zero):
    """out[n, c, h, w] = Σ over (i, j) of cols[n, c·kh·kw + i·kw + j, oy·ow + ox] for the window
    (oy, ox) with oy·sh - ph + i·dh = h and ox·sw - pw + j·dw = w, when there is one."""
    t = cuda.grid(1)
    if t < out.size:
        height, width, channels = out.shape[2], out.shape[3], out.shape[1]
        w, h = t % width, (t // width) % height
        c, n = (t // (width * height)) % channels, t // (width * height * channels)
        acc = zero
        for i in range(kh):
            y = h + ph - i * dh
            if y < 0 or y % sh != 0 or y // sh >= oh:
                continue
            for j in range(kw):
                xx = w + pw - j * dw
                if xx < 0 or xx % sw != 0 or xx // sw >= ow:
                    continue
                acc += cols[n, (c * kh + i) * kw + j, (y // sh) * ow + xx // sw]
        out[n, c, h, w] = acc


def im2col(x: Array, kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Array:
    """unfold: the sliding blocks of x (N, C, H, W), any strides, as columns (N, C·kh·kw, L)."""
    n, c, height, width = x.shape
    oh, ow = output_size((height, width), kernel_size, dilation, padding, stride)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    cols = cuda.device_array((n, c * kh * kw, max(oh, 0) * max(ow, 0)), x.dtype)
    if cols.size:
        threads = threads_for(cols.size)
        _im2col_kernel[blocks_for(cols.size, threads), threads](
            x, cols, kh, kw, dh, dw, ph, pw, sh, sw, ow, constant(x.dtype, 0))
    return cols


def col2im(cols: Array, output_size_: Pair, kernel_size: Pair, dilation: Pair, padding: Pair,
           stride: Pair) -> Array:
    """fold: columns (N, C·kh·kw, L) summed back into an (N, C, *output_size_) array."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh, ow = output_size(output_size_, kernel_size, dilation, padding, stride)
    if cols.shape[2] != oh * ow or cols.shape[1] % (kh * kw):
        raise ValueError(f"columns of shape {tuple(cols.shape)} do not fold into {output_size_}")
    out = cuda.device_array((cols.shape[0], cols.shape[1] // (kh * kw)) + tuple(output_size_),
                            cols.dtype)
    if out.size:
        threads = threads_for(out.size)
        _col2im_kernel[blocks_for(out.size, threads), threads](
            cols, out, kh, kw, dh, dw, ph, pw, sh, sw, oh, ow, constant(cols.dtype, 0))
    return out
