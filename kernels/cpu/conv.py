"""Convolution as Numba kernels: im2col (unfold) and col2im (fold), the two copies around a
convolution's matrix products.

Layouts (the mixin at the end arranges them):

* an **image** is a C-contiguous 4-d array, batch-major ``(N, C, H, W)`` or channel-major
  ``(C, N, H, W)`` (a convolution's output is channel-major: it comes out of one large matmul
  ``(out, N·L)``); the flag ``batch_major`` says which;
* the **columns** are ``(C·kh·kw, N, oh, ow)``, C-contiguous, row ``(c·kh + i)·kw + j`` holding the
  pixel under kernel offset (i, j) of every block: kernel-position-major, the layout in which a
  convolution is ONE matmul ``W (out, C·kh·kw) @ cols (C·kh·kw, N·L)``.

Rules of every kernel in this file:

* **No races**: each parallel iteration owns what it writes. im2col: one row (c, i, j) of the
  columns. col2im: one (n, c) plane of the image, which it fills by adding its contributions in
  the order (i, j, oy, ox), the same in every run, so results are bitwise reproducible (and in
  the order of torch's col2im).
* **No allocation**: outputs are allocated by the mixin; the loops only read and write them.
* **Contiguous access**: the innermost loop runs along a row of the image and of the columns.
  Plain element loops with full indices (no slices or views inside the loops): Numba compiles
  them to tight code, 2-3× faster here than the same loops written with slices.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

Array = np.ndarray


@njit(parallel=True, cache=True)
def im2col_kernel(image, batch_major, kh, kw, dh, dw, ph, pw, sh, sw, cols):
    """cols[(c·kh + i)·kw + j, n, oy, ox] = image[n, c, oy·sh - ph + i·dh, ox·sw - pw + j·dw],
    0 outside the image."""
    rows, batch, oh, ow = cols.shape
    h, w = image.shape[2], image.shape[3]
    for r in prange(rows):
        c, i, j = r // (kh * kw), r // kw % kh, r % kw
        for n in range(batch):
            for oy in range(oh):
                y = oy * sh - ph + i * dh
                for ox in range(ow):
                    x = ox * sw - pw + j * dw
                    if y < 0 or y >= h or x < 0 or x >= w:
                        cols[r, n, oy, ox] = 0
                    elif batch_major:
                        cols[r, n, oy, ox] = image[n, c, y, x]
                    else:
                        cols[r, n, oy, ox] = image[c, n, y, x]


@njit(parallel=True, cache=True)
def col2im_kernel(cols, kh, kw, dh, dw, ph, pw, sh, sw, image):
    """image[n, c, y, x] = Σ cols[(c·kh + i)·kw + j, n, oy, ox] over the blocks and offsets with
    oy·sh - ph + i·dh = y and ox·sw - pw + j·dw = x (image is batch-major, overwritten)."""
    batch, channels, h, w = image.shape
    oh, ow = cols.shape[2], cols.shape[3]
    for p in prange(batch * channels):
        n, c = p // channels, p % channels
        for y in range(h):
            for x in range(w):
                image[n, c, y, x] = 0
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                for oy in range(oh):
                    y = oy * sh - ph + i * dh
                    if y < 0 or y >= h:
                        continue
                    for ox in range(ow):
                        x = ox * sw - pw + j * dw
                        if 0 <= x < w:
                            image[n, c, y, x] += cols[r, n, oy, ox]


class ConvKernels:
    """Backend mixin: im2col and col2im with the kernels above (float arrays; the rest goes to
    the NumPy reference)."""

    def im2col(self, x: Array, kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> Array:
        if x.dtype.kind != "f" or x.size == 0:
            return super().im2col(x, kernel_size, dilation, padding, stride)
        n, c = x.shape[:2]
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
        oh, ow = self._blocks(x.shape[2:], kernel_size, dilation, padding, stride)
        channel_major = x.transpose(1, 0, 2, 3)
        batch_major = not channel_major.flags.c_contiguous
        image = np.ascontiguousarray(x) if batch_major else channel_major
        cols = np.empty((c * kh * kw, n, oh, ow), x.dtype)
        im2col_kernel(image, batch_major, kh, kw, dh, dw, ph, pw, sh, sw, cols)
        return cols.reshape(c * kh * kw, n, oh * ow).transpose(1, 0, 2)

    def col2im(self, cols: Array, output_size: tuple[int, int], kernel_size: tuple[int, int],
               dilation: tuple[int, int], padding: tuple[int, int], stride: tuple[int, int]) -> Array:
        if cols.dtype.kind != "f" or cols.size == 0:
            return super().col2im(cols, output_size, kernel_size, dilation, padding, stride)
        n, rows = cols.shape[:2]
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
        oh, ow = self._blocks(output_size, kernel_size, dilation, padding, stride)
        # a view when cols is stored kernel-position-major (as im2col and the conv's matmul leave it)
        by_row = np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(rows, n, oh, ow)
        image = np.empty((n, rows // (kh * kw)) + tuple(output_size), cols.dtype)
        col2im_kernel(by_row, kh, kw, dh, dw, ph, pw, sh, sw, image)
        return image
