"""Pooling against torch: max, average and adaptive pools in 1-d and 2-d, every argument drawn,
ties and NaNs for max pooling, gradients through overlapping windows, double backward, unbatched
inputs, modules and their reprs, and torch's errors for bad arguments."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad
from .helpers import assert_close, check_op, expect_torch_error, leaf_pair
from .strategies import arrays, float_dtypes, layouts, seeds, tied_arrays

NAN = float("nan")


def output_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output size (see ``_output_size`` in nn/functional/pooling.py)."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return out - 1 if ceil_mode and (out - 1) * s >= n + p else out


def windows_touch_input(n: int, k: int, s: int, p: int, d: int, out: int) -> bool:
    """Whether every window holds an input element (a dilated window can fall in the padding
    only, where torch returns an index outside the input)."""
    return all(any(0 <= o * s - p + j * d < n for j in range(k)) for o in range(out))


def as_given(draw: st.DrawFn, pair: tuple[int, int]) -> Any:
    """A pair as the user may write it: an int when both sides agree, else a tuple or a list."""
    if pair[0] == pair[1] and draw(st.booleans()):
        return pair[0]
    return draw(st.sampled_from([tuple, list]))(pair)


@st.composite
def pool_case(draw: st.DrawFn, spatial: int, dilation: bool) -> dict[str, Any]:
    """An input shape (unbatched when batch is 0) and pooling arguments torch accepts."""
    batch, channels = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    sides = tuple(draw(st.integers(1, 8)) for _ in range(spatial))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    stride = draw(st.none() | st.tuples(*[st.integers(1, 3)] * spatial))
    dil = tuple(draw(st.integers(1, 2)) if dilation else 1 for _ in range(spatial))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    ceil_mode = draw(st.booleans())
    steps = stride or kernel
    outs = [output_size(*args, ceil_mode) for args in zip(sides, kernel, steps, padding, dil)]
    assume(min(outs) >= 1)
    assume(all(windows_touch_input(*args) for args in zip(sides, kernel, steps, padding, dil, outs)))
    shape = ((batch,) if batch else ()) + (channels,) + sides
    if spatial == 1:
        args = dict(kernel_size=kernel[0], stride=stride and stride[0], padding=padding[0],
                    dilation=dil[0])
    else:
        args = dict(kernel_size=as_given(draw, kernel), stride=stride and as_given(draw, stride),
                    padding=as_given(draw, padding), dilation=as_given(draw, dil))
    if not dilation:
        del args["dilation"]
    return dict(shape=shape, args=args, ceil_mode=ceil_mode, window=math.prod(kernel))


def max_input(draw: st.DrawFn, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    """Plain values, few values (ties), or values with NaNs and infinities."""
    kind = draw(st.sampled_from(["plain", "ties", "special"]))
    if kind == "ties":
        return draw(tied_arrays(dtype, shape))
    special = [NAN, -math.inf, math.inf, 0.0] if kind == "special" else []
    return draw(arrays(dtype, shape, special=special))


def lib_module(lib: Any) -> Any:
    """``torch.nn.functional`` or ``minigrad.nn.functional``."""
    return lib.nn.functional


def check_grad_of_grad(op: Callable[[Any, Any], Any], x: np.ndarray, seed: int) -> None:
    """The backward is differentiable: d/dv of Σ w·(dy/dx)ᵀv equals torch's (float64)."""
    rng = np.random.default_rng(seed)
    results = []
    for lib in (minigrad, torch):
        xs = lib.tensor(x, requires_grad=True)
        y = op(xs, lib)
        v = lib.tensor(rng.standard_normal(tuple(y.shape)), requires_grad=True)
        (g,) = lib.autograd.grad(y, xs, v, create_graph=True)
        w = lib.tensor(np.random.default_rng(seed + 1).standard_normal(tuple(g.shape)))
        results.append(lib.autograd.grad((g * w).sum(), v)[0])
        rng = np.random.default_rng(seed)
    assert_close(results[0], results[1], "reduction", 9, what="gradient of the gradient")


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds,
       return_indices=st.booleans())
def test_max_pool2d(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int,
                    return_indices: bool) -> None:
    case = data.draw(pool_case(2, dilation=True))
    x = max_input(data.draw, dtype, case["shape"])
    def call(lib: Any) -> Callable:
        return lambda t: lib_module(lib).max_pool2d(
            t, **case["args"], ceil_mode=case["ceil_mode"], return_indices=return_indices)
    check_op(call(minigrad), call(torch), [x], seed, grad_family="reduction",
             grad_n=case["window"], layouts=[layout])


@given(data=st.data(), dtype=float_dtypes, seed=seeds, return_indices=st.booleans())
def test_max_pool1d(backend: str, data: st.DataObject, dtype: type, seed: int,
                    return_indices: bool) -> None:
    case = data.draw(pool_case(1, dilation=True))
    x = max_input(data.draw, dtype, case["shape"])
    def call(lib: Any) -> Callable:
        return lambda t: lib_module(lib).max_pool1d(
            t, **case["args"], ceil_mode=case["ceil_mode"], return_indices=return_indices)
    check_op(call(minigrad), call(torch), [x], seed, grad_family="reduction",
             grad_n=case["window"])


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds,
       count_include_pad=st.booleans(), divisor_override=st.none() | st.integers(-3, 5))
def test_avg_pool2d(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int,
                    count_include_pad: bool, divisor_override: int | None) -> None:
    assume(divisor_override != 0)
    case = data.draw(pool_case(2, dilation=False))
    x = data.draw(arrays(dtype, case["shape"]))
    def call(lib: Any) -> Callable:
        return lambda t: lib_module(lib).avg_pool2d(
            t, **case["args"], ceil_mode=case["ceil_mode"], count_include_pad=count_include_pad,
            divisor_override=divisor_override)
    check_op(call(minigrad), call(torch), [x], seed, family="reduction", n=case["window"],
             layouts=[layout])


@given(data=st.data(), dtype=float_dtypes, seed=seeds, count_include_pad=st.booleans())
def test_avg_pool1d(backend: str, data: st.DataObject, dtype: type, seed: int,
                    count_include_pad: bool) -> None:
    case = data.draw(pool_case(1, dilation=False))
    x = data.draw(arrays(dtype, case["shape"]))
    def call(lib: Any) -> Callable:
        return lambda t: lib_module(lib).avg_pool1d(
            t, **case["args"], ceil_mode=case["ceil_mode"], count_include_pad=count_include_pad)
    check_op(call(minigrad), call(torch), [x], seed, family="reduction", n=case["window"])


@st.composite
def adaptive_case(draw: st.DrawFn) -> tuple[tuple[int, ...], Any]:
    """An input shape (3-d or 4-d) and an output size: an int, or a pair with None entries."""
    batch, channels = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    sides = (draw(st.integers(1, 8)), draw(st.integers(1, 8)))
    size = st.integers(1, 8)
    output = draw(size | st.tuples(size | st.none(), size | st.none()) | st.lists(size, min_size=2,
                                                                                   max_size=2))
    return ((batch,) if batch else ()) + (channels,) + sides, output


@given(case=adaptive_case(), dtype=float_dtypes, layout=layouts, seed=seeds, data=st.data())
def test_adaptive_avg_pool2d(backend: str, case: tuple, dtype: type, layout: str, seed: int,
                             data: st.DataObject) -> None:
    shape, output = case
    x = data.draw(arrays(dtype, shape))
    def call(lib: Any) -> Callable:
        return lambda t: lib_module(lib).adaptive_avg_pool2d(t, output)
    check_op(call(minigrad), call(torch), [x], seed, family="reduction", n=shape[-1] * shape[-2],
             layouts=[layout])


@given(case=adaptive_case(), dtype=float_dtypes, seed=seeds, data=st.data(),
       return_indices=st.booleans())
def test_adaptive_max_pool2d(backend: str, case: tuple, dtype: type, seed: int,
                             data: st.DataObject, return_indices: bool) -> None:
    shape, output = case
    x = max_input(data.draw, dtype, shape)
    def call(lib: Any) -> Callable:
        return lambda t: lib_module(lib).adaptive_max_pool2d(
            t, output, return_indices)
    check_op(call(minigrad), call(torch), [x], seed, grad_family="reduction",
             grad_n=shape[-1] * shape[-2])


@pytest.mark.parametrize("name, op", [
    ("max_pool2d", lambda t, lib: lib.nn.functional.max_pool2d(t, 3, 2, 1, ceil_mode=True)),
    ("max_pool1d", lambda t, lib: lib.nn.functional.max_pool1d(t.flatten(-2), 3, 1, 1, 2)),
    ("avg_pool2d", lambda t, lib: lib.nn.functional.avg_pool2d(t, 3, 1, 1, True, False)),
    ("avg_pool1d", lambda t, lib: lib.nn.functional.avg_pool1d(t.flatten(-2), 3, 2, 1)),
    ("adaptive_avg_pool2d", lambda t, lib: lib.nn.functional.adaptive_avg_pool2d(t, (3, 4))),
    ("adaptive_max_pool2d", lambda t, lib: lib.nn.functional.adaptive_max_pool2d(t, (4, 3))),
])
@given(seed=seeds, ties=st.booleans(), data=st.data())
def test_grad_of_grad(backend: str, name: str, op: Callable, seed: int, ties: bool,
                      data: st.DataObject) -> None:
    """The backward of each pool is itself differentiable (its gradient is the gather or the
    average pool of the upstream gradient), through overlapping windows."""
    shape = (2, 2, 5, 5)
    x = data.draw(tied_arrays(np.float64, shape) if ties else arrays(np.float64, shape))
    check_grad_of_grad(op, x, seed)


def test_max_pool2d_tie_rule(backend: str) -> None:
    """All equal: the first element of each window wins; the last NaN wins over numbers; in a
    window of -inf, the first element inside the input wins (never the padding)."""
    ones = np.ones((1, 1, 4, 4))
    nans = np.array([[[[NAN, 1.0, NAN, 2.0], [0.0, NAN, 3.0, -math.inf]]]])
    low = np.full((1, 1, 3, 5), -math.inf)
    for x, args in ((ones, (3, 1, 1)), (nans, ((2, 2), 1)), (nans, ((1, 4),)), (low, (3, 1, 1)),
                    (low, (3, 2, 1, 2, True))):
        check_op(lambda t, a=args: minigrad.nn.functional.max_pool2d(t, *a, return_indices=True),
                 lambda t, a=args: torch.nn.functional.max_pool2d(t, *a, return_indices=True), [x])


def test_max_pool2d_on_integers(backend: str) -> None:
    """Integer inputs pool like torch's (padding never wins, even below every value)."""
    x = np.array([[[[-5, -3, 7], [-7, -9, 2]]]], dtype=np.int64)
    for args in ((2,), (2, 1, 1), ((1, 3), 2, (0, 1), 1, True)):
        mine = minigrad.nn.functional.max_pool2d(minigrad.tensor(x), *args, return_indices=True)
        theirs = torch.nn.functional.max_pool2d(torch.tensor(x), *args, return_indices=True)
        for m, t in zip(mine, theirs):
            assert_close(m, t, "exact")


def test_empty_batch(backend: str) -> None:
    """A batch of 0 gives an empty result of the right shape."""
    x = np.zeros((0, 2, 4, 4), dtype=np.float32)
    for name, args in (("max_pool2d", (2,)), ("avg_pool2d", (2,)), ("adaptive_avg_pool2d", (3,)),
                       ("adaptive_max_pool2d", (3,))):
        check_op(lambda t, f=name, a=args: getattr(minigrad.nn.functional, f)(t, *a),
                 lambda t, f=name, a=args: getattr(torch.nn.functional, f)(t, *a), [x])


MODULES = [
    ("MaxPool1d", (2,), {}),
    ("MaxPool1d", (3,), dict(stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True)),
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=(1, 0), dilation=2, ceil_mode=True)),
    ("MaxPool2d", (3, 2, 1), dict(return_indices=True)),
    ("AvgPool1d", (3,), {}),
    ("AvgPool1d", (2, 1, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", ([2, 3],), dict(stride=[1, 1], padding=[1, 0], divisor_override=2)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("AdaptiveAvgPool2d", (3,), {}),
    ("AdaptiveAvgPool2d", ((2, None),), {}),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True)),
    ("AdaptiveMaxPool2d", ((None, 2),), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
@given(seed=seeds, unbatched=st.booleans(), dtype=float_dtypes)
def test_modules(backend: str, name: str, args: tuple, kwargs: dict, seed: int,
                 unbatched: bool, dtype: type) -> None:
    """Each pooling module: torch's repr, and torch's outputs and gradients."""
    mine, theirs = getattr(minigrad.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(mine) == repr(theirs)
    shape = (2, 5, 6) if name.endswith("1d") else (2, 5, 6, 7)
    x = np.random.default_rng(seed).standard_normal(shape[1:] if unbatched else shape).astype(dtype)
    check_op(mine, theirs, [x], seed, family="reduction", n=9)


def test_pooling_in_a_network(backend: str) -> None:
    """Module outputs feed on: a pooled feature map through Flatten and a sum, as in a CNN."""
    x, t = leaf_pair(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32))
    mine = minigrad.nn.Sequential(minigrad.nn.MaxPool2d(2), minigrad.nn.AvgPool2d(2, 1),
                                  minigrad.nn.Flatten())
    theirs = torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.AvgPool2d(2, 1), torch.nn.Flatten())
    mine(x).sum().backward()
    theirs(t).sum().backward()
    assert_close(x.grad, t.grad, "reduction", 4)


def _f(lib: Any) -> Any:
    return lib.nn.functional


def _x(lib: Any, *shape: int, dtype: str = "float32") -> Any:
    return lib.zeros(*shape, dtype=getattr(lib, dtype))


ERRORS = {
    "pad over half the effective kernel": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 3, padding=2),
    "pad over half the kernel": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), (1, 3), 1, (0, 2), 2),
    "negative pad": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, padding=-1),
    "stride 0": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, 0),
    "kernel 0": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 0),
    "negative kernel": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), -1),
    "negative stride": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, -1),
    "dilation 0": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, dilation=0),
    "output too small": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 5),
    "output too small, one side": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 1, 2), (2, 3), padding=(0, 1)),
    "2-d input": lambda lib: _f(lib).max_pool2d(_x(lib, 4, 4), 2),
    "5-d input": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 1, 4, 4), 2),
    "empty channels": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 0, 4, 4), 2),
    "kernel of three": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), (2, 2, 2)),
    "stride of three": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, (1, 2, 3)),
    "padding of three": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, padding=(1, 2, 3)),
    "dilation of three": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, dilation=(1, 2, 3)),
    "float kernel": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2.0),
    "float stride": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, 1.0),
    "bool input": lambda lib: _f(lib).max_pool2d(_x(lib, 1, 1, 4, 4, dtype="bool"), 2),
    "1d: pad over half": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 4), 3, padding=2),
    "1d: negative pad": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 8), 3, padding=-1),
    "1d: output too small": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 4), 5),
    "1d: kernel 0": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 4), 0),
    "1d: stride 0": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 4), 2, 0),
    "1d: dilation 0": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 8), 3, dilation=0),
    "1d: 1-d input": lambda lib: _f(lib).max_pool1d(_x(lib, 4), 2),
    "1d: 4-d input": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 1, 8), 3),
    "1d: kernel of two": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 4), (3, 3)),
    "1d: integers": lambda lib: _f(lib).max_pool1d(_x(lib, 1, 1, 4, dtype="int64"), 2),
    "avg: pad over half": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), 3, padding=(0, 2)),
    "avg: stride 0": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), 3, 0),
    "avg: output too small": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), 5),
    "avg: 2-d input": lambda lib: _f(lib).avg_pool2d(_x(lib, 4, 4), 2),
    "avg: 5-d input": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 1, 4, 4), 2),
    "avg: empty channels": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 0, 4, 4), 2),
    "avg: divisor 0": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), 2, divisor_override=0),
    "avg: kernel of three": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), (2, 2, 2)),
    "avg: float stride": lambda lib: _f(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), 2, 1.0),
    "avg1d: pad over half": lambda lib: _f(lib).avg_pool1d(_x(lib, 1, 1, 4), 3, padding=2),
    "avg1d: output too small": lambda lib: _f(lib).avg_pool1d(_x(lib, 1, 1, 4), 5),
    "avg1d: 1-d input": lambda lib: _f(lib).avg_pool1d(_x(lib, 4), 2),
    "avg1d: kernel of two": lambda lib: _f(lib).avg_pool1d(_x(lib, 1, 4), (3, 3)),
    "avg1d: stride 0": lambda lib: _f(lib).avg_pool1d(_x(lib, 1, 1, 4), 2, 0),
    "adaptive avg: 2-d input": lambda lib: _f(lib).adaptive_avg_pool2d(_x(lib, 4, 4), 2),
    "adaptive avg: three sizes": lambda lib: _f(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 4, 4), (2, 2, 2)),
    "adaptive avg: negative size": lambda lib: _f(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 4, 4), (None, -2)),
    "adaptive avg: empty height": lambda lib: _f(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 0, 4), 2),
    "adaptive avg: float size": lambda lib: _f(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 4, 4), (2.0, 2)),
    "adaptive avg: integers": lambda lib: _f(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 4, 4, dtype="int64"), 2),
    "adaptive max: 5-d input": lambda lib: _f(lib).adaptive_max_pool2d(_x(lib, 1, 1, 1, 4, 4), 2),
    "adaptive max: three sizes": lambda lib: _f(lib).adaptive_max_pool2d(_x(lib, 1, 1, 4, 4), (2, 2, 2)),
    "adaptive max: negative size": lambda lib: _f(lib).adaptive_max_pool2d(_x(lib, 1, 1, 4, 4), -1),
    "adaptive max: empty channels": lambda lib: _f(lib).adaptive_max_pool2d(_x(lib, 1, 0, 4, 4), 2),
    "adaptive max: integers": lambda lib: _f(lib).adaptive_max_pool2d(_x(lib, 1, 1, 4, 4, dtype="int64"), 2),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(backend: str, case: str) -> None:
    """torch's exception class and message for each bad argument."""
    expect_torch_error(ERRORS[case])
