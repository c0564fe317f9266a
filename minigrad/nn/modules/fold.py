"""``Unfold`` (im2col) and ``Fold`` (col2im) as layers: ``nn.functional.unfold`` and ``fold``
with their sizes stored, as torch's modules."""

from __future__ import annotations

from typing import Sequence

from ...tensor import Tensor
from .. import functional as F
from .module import Module

Size = int | Sequence[int]


class Unfold(Module):
    """(N, C, H, W) → (N, C·kh·kw, L): every sliding block as a column."""

    def __init__(self, kernel_size: Size, dilation: Size = 1, padding: Size = 0,
                 stride: Size = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """cols = unfold(x)"""
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """(N, C·kh·kw, L) → (N, C, *output_size): the columns summed back into an image."""

    def __init__(self, output_size: Size, kernel_size: Size, dilation: Size = 1, padding: Size = 0,
                 stride: Size = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """x = fold(cols)"""
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


__all__ = ["Fold", "Unfold"]
