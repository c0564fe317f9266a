"""im2col and col2im of ``kernels/cuda/conv.py`` against torch's ``F.unfold`` and ``F.fold``, with
padding, stride, dilation, overlapping windows and a strided input. Fixed data, no hypothesis:
the kernels run in Numba's CUDA simulator (see ``test_kernels_cuda.py``)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from parity_tests.cuda_simulator import (DTYPES, USABLE, check, cuda_kernels_can_run,  # noqa: F401
                                         dev, sample)

if USABLE:
    from kernels.cuda import conv

# (kernel, dilation, padding, stride) on a 5×4 image: overlapping windows, padding, stride 2
# that skips pixels, dilation, a kernel taller than wide.
CASES = [((3, 3), (1, 1), (1, 1), (1, 1)), ((2, 3), (1, 2), (0, 1), (2, 1)),
         ((1, 1), (1, 1), (0, 0), (2, 2))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_im2col_is_unfold_and_col2im_is_fold(dtype, case) -> None:
    kernel, dilation, padding, stride = case
    values = sample((2, 4, 5, 2), dtype, seed=60)  # (N, W, H, C), read as (N, C, H, W) below
    x, t = dev(values).transpose((0, 3, 2, 1)), torch.tensor(values).permute(0, 3, 2, 1)
    cols = conv.im2col(x, kernel, dilation, padding, stride)
    expected = F.unfold(t, kernel, dilation, padding, stride)
    check(cols, expected, family="exact")
    upstream = sample(tuple(expected.shape), dtype, seed=61)
    folded = conv.col2im(dev(upstream), (5, 4), kernel, dilation, padding, stride)
    overlaps = kernel[0] * kernel[1]  # a pixel sums at most kh·kw entries
    check(folded, F.fold(torch.tensor(upstream), (5, 4), kernel, dilation, padding, stride),
          family="reduction", n=overlaps)
