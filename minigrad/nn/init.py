"""``nn.init``: fill a tensor in place with torch's initialisation schemes.

Every function writes under ``no_grad`` (so it works on parameters that require grad) and returns
the tensor. Random values come from the tensor's backend generator (``minigrad.manual_seed``): the
*distributions* are torch's, the draws are minigrad's own.

Fans, for a weight of shape ``(out, in, *kernel)``: ``fan_in = in·∏kernel``,
``fan_out = out·∏kernel``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd import no_grad
from ..ops import where
from ..tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain torch recommends for a nonlinearity (relu: √2, tanh: 5/3, leaky_relu:
    √(2/(1+slope²)), selu: 3/4, linear/conv/sigmoid: 1)."""
    linear = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d"]
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _check_generator(generator: Any) -> None:
    if generator is not None:
        raise NotImplementedError("nn.init with generator=: minigrad draws from the backend's "
                                  "generator (seed it with minigrad.manual_seed)")


def _write(tensor: Tensor, values: Tensor) -> Tensor:
    """Copy ``values`` into ``tensor`` without recording it."""
    with no_grad():
        return tensor.copy_(values)


def _random(tensor: Tensor, kind: str) -> Tensor:
    """Uniform [0, 1) (``rand``) or standard normal (``randn``) samples shaped like ``tensor``."""
    backend = tensor._backend
    draw = backend.rand if kind == "rand" else backend.randn
    return Tensor(draw(tuple(tensor.shape), tensor.data.dtype), backend=backend)


def _check_interval(a: float, b: float) -> None:
    """torch's ``uniform_`` refuses an interval that runs backwards (a == b is allowed)."""
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a:g} > to={b:g}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Samples from U(a, b)."""
    _check_generator(generator)
    _check_interval(a, b)
    with no_grad():
        return _write(tensor, _random(tensor, "rand") * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Samples from N(mean, std²)."""
    _check_generator(generator)
    with no_grad():
        return _write(tensor, _random(tensor, "randn") * std + mean)


def _normal_cdf(z: float) -> float:
    """Φ(z) = (1 + erf(z/√2)) / 2, the standard normal's cumulative distribution."""
    return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Samples from N(mean, std²) restricted to [a, b], by rejection, as torch.

    When [a, b] holds more than 30% of the normal's mass, draw normals and redraw those outside.
    Otherwise (a tail, where normals would almost never land) draw x uniformly on [a, b] and keep
    it with probability e^(-(x-mean)²/2std²) / (that density's peak on [a, b]); redraw the rest."""
    _check_generator(generator)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    backend = tensor._backend
    with no_grad():
        if mass > 0.3:
            values = _random(tensor, "randn") * std + mean
            outside = (values < a) | (values > b)
            while backend.any(outside.data):
                values = where(outside, _random(tensor, "randn") * std + mean, values)
                outside = (values < a) | (values > b)
            return _write(tensor, values)
        _check_interval(a, b)
        log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
        values = pending = None
        while pending is None or backend.any(pending.data):
            candidates = _random(tensor, "rand") * (b - a) + a
            log_density = ((candidates - mean) / std) ** 2 * -0.5 - log_peak  # ≤ 0
            rejected = _random(tensor, "rand").log() > log_density
            values = candidates if values is None else where(pending, candidates, values)
            pending = rejected if pending is None else pending & rejected
        return _write(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every element becomes ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Every element becomes 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Every element becomes 0."""
    with no_grad():
        return tensor.zero_()


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(in·∏kernel, out·∏kernel) for a weight of shape (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(-a, a) with a = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std²) with std = gain·√(2/(fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """gain/√fan, or None for a tensor with no elements (torch warns and leaves it)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """U(-bound, bound) with bound = gain·√(3/fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """N(0, std²) with std = gain/√fan."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
