"""Affine layers: ``Identity``, ``Linear`` (y = x Wᵀ + b) and ``Bilinear`` (y = x₁ᵀ A x₂ + b)."""

from __future__ import annotations

import math
from typing import Any

from ...creation import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def default_init_(weight: Tensor, bias: Tensor | None) -> None:
    """torch's default for Linear and Conv layers: W from kaiming_uniform_ with a = √5, which is
    U(-1/√fan_in, 1/√fan_in), and b from U(-1/√fan_in, 1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (its arguments are ignored, as in torch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """y = x"""
        return input


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features).

    Initialised as torch does: W ~ U(-1/√in, 1/√in) (``kaiming_uniform_`` with a = √5), and
    b ~ U(-1/√in, 1/√in).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw W and b again from torch's default distributions."""
        default_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """y = x Wᵀ + b"""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x₁ᵀ A_k x₂ + b_k, with A of shape (out, in1, in2); A, b ~ U(-1/√in1, 1/√in1)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, device=device,
                                      dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw A and b again from U(-1/√in1, 1/√in1)."""
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """y_k = Σ_ij x₁_i A_kij x₂_j + b_k, over any leading batch dims."""
        out, in1, in2 = self.weight.shape
        if input1.shape[:-1] != input2.shape[:-1]:
            raise RuntimeError(
                "bilinear(): input batch dimensions do not match: got "
                f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
            )
        for i, (x, size) in enumerate(((input1, in1), (input2, in2)), start=1):
            if x.ndim == 0 or x.shape[-1] != size:
                raise RuntimeError(f"bilinear(): input{i} size does not match weight size: got "
                                   f"{x.shape[-1] if x.ndim else 0} but expected {size}")
        batch = input1.shape[:-1]
        x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
        # (N, in1) @ (in1, out·in2) → (N, out, in2), then contract in2 against x2
        mixed = (x1 @ self.weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
        y = (mixed * x2.unsqueeze(1)).sum(-1)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*batch, out)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


__all__ = ["Bilinear", "Identity", "Linear"]
