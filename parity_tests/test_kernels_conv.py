"""The numba backend's convolution and pooling kernels (``kernels/cpu/conv.py`` and
``pooling.py``) against torch: the primitives im2col/col2im (unfold/fold), max and average
pooling forward and backward, and the ops built on them (conv2d with stride, padding, dilation
and groups; adaptive pools), in float32 and float64, on batch-major and channel-major inputs
(a convolution's output is channel-major), with ties, NaN and infinities; the NumPy fallbacks
(size 0, integers); and bitwise determinism of the parallel kernels.

Most tests make the NumPy reference raise (fixture ``kernels_only``), so that a silent fallback
fails the test instead of passing it. The copies (im2col, pooling values and indices) must be
bitwise equal to torch's; sums (col2im, pooling backward) add their terms in torch's order, so
they are compared bitwise too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad
from minigrad.backends.numpy_nn import NumpyNeuralNetKernels

from .helpers import assert_close, check_op, refuse_reference
from .strategies import arrays, float_dtypes, seeds
from .test_pooling import max_input, pool_case

PRIMITIVES = ["im2col", "col2im", "max_pool2d", "max_pool2d_backward", "avg_pool2d",
              "avg_pool2d_backward"]


@pytest.fixture
def numba_backend():
    return minigrad.get_backend("numba")


@pytest.fixture
def kernels_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The NumPy reference of the primitives may not run: the kernels must handle every case."""
    refuse_reference(monkeypatch, NumpyNeuralNetKernels, PRIMITIVES)


def in_layout(x: np.ndarray, channel_major: bool) -> np.ndarray:
    """The same (N, C, H, W) values, stored batch-major or channel-major (C, N, H, W)."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3) if channel_major else x


def pool_pairs(args: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    """pool_case's arguments as the primitives take them: kernel, stride, padding, dilation."""
    def pair(value: Any) -> tuple[int, int]:
        return (value, value) if isinstance(value, int) else tuple(value)
    kernel = pair(args["kernel_size"])
    stride = kernel if args["stride"] is None else pair(args["stride"])
    return kernel, stride, pair(args["padding"]), pair(args.get("dilation", 1))


def batched(shape: tuple[int, ...]) -> tuple[int, ...]:
    """pool_case's shape with a batch dimension (an unbatched case is a batch of one)."""
    return shape if len(shape) == 4 else (1,) + shape


# convolution ----------------------------------------------------------------------------------

@st.composite
def unfold_case(draw: st.DrawFn) -> dict[str, Any]:
    """An input shape and unfold arguments with at least one block."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 7)),
             draw(st.integers(1, 7)))
    pairs = {name: (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))
             for name, lo, hi in (("kernel_size", 1, 3), ("dilation", 1, 2), ("padding", 0, 2),
                                  ("stride", 1, 3))}
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, d, p, s in
              zip(shape[2:], *(pairs[key] for key in ("kernel_size", "dilation", "padding", "stride")))]
    assume(min(blocks) >= 1)
    return dict(shape=shape, blocks=blocks, **pairs)


@given(case=unfold_case(), data=st.data(), dtype=float_dtypes, channel_major=st.booleans())
def test_im2col_col2im_primitives(numba_backend, kernels_only, case: dict, data: st.DataObject,
                                  dtype: type, channel_major: bool) -> None:
    args = {key: case[key] for key in ("kernel_size", "dilation", "padding", "stride")}
    order = (args["kernel_size"], args["dilation"], args["padding"], args["stride"])
    x = in_layout(data.draw(arrays(dtype, case["shape"])), channel_major)
    cols = numba_backend.im2col(x, *order)
    assert_close(cols, TF.unfold(torch.tensor(x), **args), "exact", what="im2col")
    n, c = case["shape"][:2]
    shape = (n, c * args["kernel_size"][0] * args["kernel_size"][1], case["blocks"][0] * case["blocks"][1])
    given_cols = data.draw(arrays(dtype, shape))
    image = numba_backend.col2im(given_cols, case["shape"][2:], *order)
    expected = TF.fold(torch.tensor(given_cols), case["shape"][2:], **args)
    assert_close(image, expected, "exact", what="col2im")


@given(data=st.data(), dtype=float_dtypes, seed=seeds, bias=st.booleans())
def test_conv2d_on_kernels(kernels_only, data: st.DataObject, dtype: type, seed: int,
                           bias: bool) -> None:
    groups = data.draw(st.integers(1, 2))
    channels, out = groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2))
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    kwargs = {"stride": data.draw(st.integers(1, 2)), "padding": data.draw(st.integers(0, 2)),
              "dilation": data.draw(st.integers(1, 2)), "groups": groups}
    side = data.draw(st.integers(max(k) * 2, 6))
    arrays_ = [data.draw(arrays(dtype, (2, channels, side, side))),
               data.draw(arrays(dtype, (out, channels // groups) + k))]
    if bias:
        arrays_.append(data.draw(arrays(dtype, (out,))))
    with minigrad.use_backend("numba"):
        check_op(lambda *t: minigrad.nn.functional.conv2d(*t, **kwargs),
                 lambda *t: TF.conv2d(*t, **kwargs), arrays_, seed, family="reduction",
                 n=channels * k[0] * k[1], grad_family="reduction", grad_n=2 * side * side * out)


# pooling --------------------------------------------------------------------------------------

@given(data=st.data(), dtype=float_dtypes, seed=seeds, channel_major=st.booleans())
def test_max_pool_primitives(numba_backend, kernels_only, data: st.DataObject, dtype: type,
                             seed: int, channel_major: bool) -> None:
    case = data.draw(pool_case(2, dilation=True))
    x = in_layout(max_input(data.draw, dtype, batched(case["shape"])), channel_major)
    kernel, stride, padding, dilation = pool_pairs(case["args"])
    t = torch.tensor(x, requires_grad=True)
    values, indices = TF.max_pool2d(t, kernel, stride, padding, dilation, case["ceil_mode"],
                                    return_indices=True)
    mine = numba_backend.max_pool2d(x, kernel, stride, padding, dilation, tuple(values.shape[2:]))
    assert_close(mine[0], values, "exact", what="max values")
    assert_close(mine[1], indices, "exact", what="max indices")
    grad = np.random.default_rng(seed).standard_normal(tuple(values.shape)).astype(dtype)
    values.backward(torch.tensor(grad))
    back = numba_backend.max_pool2d_backward(in_layout(grad, channel_major), mine[1], x.shape[2:])
    assert_close(back, t.grad, "exact", what="max pool gradient")


@given(data=st.data(), dtype=float_dtypes, seed=seeds, channel_major=st.booleans(),
       count_include_pad=st.booleans(), divisor_override=st.none() | st.integers(1, 5))
def test_avg_pool_primitives(numba_backend, kernels_only, data: st.DataObject, dtype: type,
                             seed: int, channel_major: bool, count_include_pad: bool,
                             divisor_override: int | None) -> None:
    case = data.draw(pool_case(2, dilation=False))
    x = in_layout(data.draw(arrays(dtype, batched(case["shape"]))), channel_major)
    kernel, stride, padding, _ = pool_pairs(case["args"])
    options = (count_include_pad, divisor_override)
    t = torch.tensor(x, requires_grad=True)
    expected = TF.avg_pool2d(t, kernel, stride, padding, case["ceil_mode"], *options)
    mine = numba_backend.avg_pool2d(x, kernel, stride, padding, tuple(expected.shape[2:]), *options)
    assert_close(mine, expected, "reduction", case["window"], what="average")
    grad = np.random.default_rng(seed).standard_normal(tuple(expected.shape)).astype(dtype)
    expected.backward(torch.tensor(grad))
    back = numba_backend.avg_pool2d_backward(in_layout(grad, channel_major), x.shape[2:], kernel,
                                             stride, padding, *options)
    assert_close(back, t.grad, "reduction", case["window"], what="average gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_pools_on_kernels(kernels_only, dtype: type, op: str) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 6)).astype(dtype)
    with minigrad.use_backend("numba"):
        check_op(lambda t: getattr(minigrad.nn.functional, op)(t, (4, 3)),
                 lambda t: getattr(TF, op)(t, (4, 3)), [x], 0, grad_family="reduction", grad_n=4)


def test_fallbacks_to_numpy(numba_backend) -> None:
    """Size 0 and integer inputs go to the NumPy reference and still match torch."""
    empty = np.zeros((0, 2, 5, 5), np.float32)
    assert_close(numba_backend.im2col(empty, (3, 3), (1, 1), (1, 1), (1, 1)),
                 TF.unfold(torch.tensor(empty), 3, padding=1), "exact")
    ints = np.arange(24).reshape(1, 2, 12) % 7
    mine = minigrad.nn.functional.max_pool1d(minigrad.tensor(ints).to("numba"), 3,
                                             return_indices=True)
    theirs = TF.max_pool1d(torch.tensor(ints), 3, return_indices=True)
    for a, e in zip(mine, theirs):
        assert_close(a, e, "exact")


# determinism ----------------------------------------------------------------------------------

def test_kernels_deterministic(numba_backend) -> None:
    """Ten runs of each parallel kernel on inputs large enough to split give identical bits."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 32, 32)).astype(np.float32)  # 32,768 values
    conv = ((3, 3), (1, 1), (1, 1), (1, 1))
    cols = rng.standard_normal((4, 72, 1024)).astype(np.float32)  # 294,912 values
    grad = rng.standard_normal((4, 8, 30, 30)).astype(np.float32)
    runs = {
        "im2col": lambda: numba_backend.im2col(x, *conv),
        "col2im": lambda: numba_backend.col2im(cols, (32, 32), *conv),
        "max_pool2d": lambda: numba_backend.max_pool2d(x, (3, 3), (1, 1), (0, 0), (1, 1), (30, 30)),
        "avg_pool2d": lambda: numba_backend.avg_pool2d(x, (3, 3), (1, 1), (0, 0), (30, 30), True, None),
        "avg_pool2d_backward": lambda: numba_backend.avg_pool2d_backward(
            grad, (32, 32), (3, 3), (1, 1), (0, 0), True, None),
    }
    indices = runs["max_pool2d"]()[1]
    runs["max_pool2d_backward"] = lambda: numba_backend.max_pool2d_backward(grad, indices, (32, 32))
    for name, run in runs.items():
        first = np.array(run()[0] if name == "max_pool2d" else run())
        for _ in range(9):
            again = run()
            assert np.array_equal(first, again[0] if name == "max_pool2d" else again), name
