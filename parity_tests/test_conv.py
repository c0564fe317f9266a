"""Convolutions against torch: unfold/fold, conv1d, conv2d, conv_transpose2d and their modules.

Every argument is drawn (batch, channels, groups, sizes, kernel, stride, padding as int, pair,
'same' or 'valid', dilation, output_padding, bias, unbatched inputs, float32 and float64); each
case is checked by ``check_op``: forward, the gradients of input, weight and bias, and in float64
the second derivatives (the backward of a convolution is itself differentiated). Shapes stay tiny:
the double backward is the expensive part.

Tolerances: a convolution output adds ``C/groups·kh·kw`` products (family ``reduction`` with that
``n``); the weight and bias gradients add one term per output pixel and batch element, the input
gradient up to ``out/groups·kh·kw`` terms, hence ``grad_n`` the largest of those counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad

from .helpers import assert_close, check_op, expect_torch_error, to_numpy
from .strategies import arrays, float_dtypes, seeds
from .test_init import _same_distribution

mF, tF = minigrad.nn.functional, torch.nn.functional


def _blocks(n: int, k: int, d: int, p: int, s: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@st.composite
def conv_cases(draw: st.DrawFn, dims: int) -> dict[str, Any]:
    """Arguments of a valid conv{dims}d: shapes, stride, padding, dilation, groups, bias."""
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = (1,) * dims if kind == "same" else tuple(draw(st.integers(1, 3)) for _ in range(dims))
    if kind == "int":
        pads = (draw(st.integers(0, 2)),) * dims
    elif kind == "tuple":
        pads = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    else:
        pads = (0,) * dims
    smallest = [1 if kind == "same" else max(1, d * (k - 1) + 1 - 2 * p)
                for k, d, p in zip(kernel, dilation, pads)]
    spatial = tuple(draw(st.integers(lo, max(lo, 5))) for lo in smallest)
    if kind == "same":  # the output has the input's size
        pads = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    padding = {"int": pads[0], "tuple": pads}.get(kind, kind)
    return {"batch": draw(st.sampled_from([None, 1, 2])), "c_in": c_in, "c_out": c_out,
            "kernel": kernel, "spatial": spatial, "pads": pads, "padding": padding,
            "dilation": dilation, "groups": groups, "bias": draw(st.booleans()),
            "stride": stride[0] if len(set(stride)) == 1 and draw(st.booleans()) else stride}


def _check_conv(name: str, case: dict[str, Any], dtype: type, data: st.DataObject, seed: int) -> None:
    """Draw input, weight and bias for ``case`` and compare ``name`` with torch's."""
    batch = () if case["batch"] is None else (case["batch"],)
    x = data.draw(arrays(dtype, batch + (case["c_in"],) + case["spatial"]))
    w = data.draw(arrays(dtype, (case["c_out"], case["c_in"] // case["groups"]) + case["kernel"]))
    inputs = [x, w] + ([data.draw(arrays(dtype, (case["c_out"],)))] if case["bias"] else [])
    kwargs = {"stride": case["stride"], "padding": case["padding"], "dilation": case["dilation"],
              "groups": case["groups"]}
    n = case["c_in"] // case["groups"] * math.prod(case["kernel"])
    stride = case["stride"] if isinstance(case["stride"], tuple) else (case["stride"],) * len(case["kernel"])
    pixels = math.prod(_blocks(*args) for args in zip(case["spatial"], case["kernel"],
                                                        case["dilation"], case["pads"], stride))
    grad_n = max(n, (case["batch"] or 1) * pixels,
                 case["c_out"] // case["groups"] * math.prod(case["kernel"]))
    check_op(lambda *t: getattr(mF, name)(*t, **kwargs), lambda *t: getattr(tF, name)(*t, **kwargs),
             inputs, seed=seed, family="reduction", n=n, grad_n=grad_n)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on even kernels
@given(data=st.data(), case=conv_cases(2), dtype=float_dtypes, seed=seeds)
def test_conv2d(backend: str, data: st.DataObject, case: dict, dtype: type, seed: int) -> None:
    _check_conv("conv2d", case, dtype, data, seed)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on even kernels
@given(data=st.data(), case=conv_cases(1), dtype=float_dtypes, seed=seeds)
def test_conv1d(backend: str, data: st.DataObject, case: dict, dtype: type, seed: int) -> None:
    _check_conv("conv1d", case, dtype, data, seed)


@given(data=st.data(), groups=st.integers(1, 2), c_in=st.integers(1, 2), c_out=st.integers(1, 2),
       batch=st.sampled_from([None, 1, 2]), bias=st.booleans(), dtype=float_dtypes, seed=seeds)
def test_conv_transpose2d(backend: str, data: st.DataObject, groups: int, c_in: int, c_out: int,
                          batch: int | None, bias: bool, dtype: type, seed: int) -> None:
    """output_padding below the stride or the dilation; padding that crops the output."""
    kernel, stride, dilation, padding, output_padding, spatial = ([], [], [], [], [], [])
    for _ in range(2):
        k, s, d = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
        n, p = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 2))
        op = data.draw(st.integers(0, max(s, d) - 1))
        assume((n - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1)
        for values, v in zip((kernel, stride, dilation, padding, output_padding, spatial),
                             (k, s, d, p, op, n)):
            values.append(v)
    c_in, c_out = c_in * groups, c_out * groups
    x = data.draw(arrays(dtype, ((batch,) if batch else ()) + (c_in, *spatial)))
    w = data.draw(arrays(dtype, (c_in, c_out // groups, *kernel)))
    inputs = [x, w] + ([data.draw(arrays(dtype, (c_out,)))] if bias else [])
    kwargs = {"stride": tuple(stride), "padding": tuple(padding), "groups": groups,
              "output_padding": tuple(output_padding), "dilation": tuple(dilation)}
    n = c_in // groups * math.prod(kernel)
    grad_n = max(n, (batch or 1) * math.prod(spatial) * math.prod(kernel), 64)
    check_op(lambda *t: mF.conv_transpose2d(*t, **kwargs), lambda *t: tF.conv_transpose2d(*t, **kwargs),
             inputs, seed=seed, family="reduction", n=n, grad_n=grad_n)


@given(data=st.data(), batch=st.sampled_from([None, 1, 2]), channels=st.integers(1, 3),
       dtype=float_dtypes, seed=seeds)
def test_unfold_and_fold(backend: str, data: st.DataObject, batch: int | None, channels: int,
                         dtype: type, seed: int) -> None:
    """unfold copies (exact forward); fold adds up to kh·kw overlapping entries per pixel."""
    args, pairs = {}, []
    for name, lo, hi in (("kernel_size", 1, 3), ("dilation", 1, 2), ("padding", 0, 2), ("stride", 1, 3)):
        pair = (data.draw(st.integers(lo, hi)), data.draw(st.integers(lo, hi)))
        if data.draw(st.booleans()):  # an int stands for the pair (v, v)
            pair = (pair[0], pair[0])
            args[name] = pair[0]
        else:
            args[name] = pair
        pairs.append(pair)
    k, d, p, s = pairs
    size = tuple(data.draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 6))
                 for kk, dd, pp in zip(k, d, p))
    lead = (batch,) if batch else ()
    x = data.draw(arrays(dtype, lead + (channels, *size)))
    check_op(lambda t: mF.unfold(t, **args), lambda t: tF.unfold(t, **args), [x], seed=seed,
             family="exact", grad_family="reduction", grad_n=math.prod(k))
    blocks = math.prod(_blocks(*dim) for dim in zip(size, k, d, p, s))
    cols = data.draw(arrays(dtype, lead + (channels * math.prod(k), blocks)))
    check_op(lambda t: mF.fold(t, size, **args), lambda t: tF.fold(t, size, **args), [cols],
             seed=seed, family="reduction", n=math.prod(k))


@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_conv_on_non_contiguous_input(backend: str, layout: str) -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 2, 2))
    check_op(lambda a, b: mF.conv2d(a, b, stride=2, padding=1),
             lambda a, b: tF.conv2d(a, b, stride=2, padding=1), [x, w],
             family="reduction", n=12, layouts=[layout, layout])


# modules


MODULES = {
    "Conv1d": (lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), (2, 4, 7)),
    "Conv1d_same": (lambda nn: nn.Conv1d(2, 3, 4, padding="same", bias=False), (2, 5)),
    "Conv2d": (lambda nn: nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0)), (2, 2, 5, 4)),
    "Conv2d_same": (lambda nn: nn.Conv2d(4, 2, 2, padding="same", dilation=(1, 2), groups=2), (4, 5, 5)),
    "Conv2d_valid": (lambda nn: nn.Conv2d(1, 2, 3, padding="valid", bias=False), (1, 1, 4, 4)),
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1,
                                                      groups=2), (2, 4, 3, 3)),
    "ConvTranspose2d_dilated": (lambda nn: nn.ConvTranspose2d(2, 3, (2, 3), dilation=2, bias=False),
                                (2, 3, 2)),
    "Unfold": (lambda nn: nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=2), (2, 3, 4, 5)),
    "Fold": (lambda nn: nn.Fold((4, 5), 2, stride=(2, 1)), (1, 8, 8)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_module_matches_torch(backend: str, name: str, dtype: type) -> None:
    """torch's weights loaded with load_state_dict: same output, input and parameter gradients."""
    make, shape = MODULES[name]
    torch.manual_seed(0)
    theirs, mine = make(torch.nn), make(minigrad.nn)
    if dtype == np.float64:
        theirs, mine = theirs.double(), mine.double()
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert mine.load_state_dict(state).missing_keys == []
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    check_op(lambda t: mine(t), lambda t: theirs(t), [x], family="reduction", n=32, double_backward=False)
    if not list(theirs.parameters()):
        return
    xm, xt = minigrad.tensor(x), torch.from_numpy(x)
    (mine(xm) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    for (name_m, p_m), (name_t, p_t) in zip(mine.named_parameters(), theirs.named_parameters()):
        assert name_m == name_t
        assert_close(p_m.grad, p_t.grad, "reduction", 64, what=f"gradient of {name_m}")


def test_conv_transpose2d_output_size(backend: str) -> None:
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1)
    mine = minigrad.nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1)
    mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3)).astype(np.float32)
    for size in ([6, 8], [1, 3, 5, 9], [5, 7]):
        assert_close(mine(minigrad.tensor(x), output_size=size),
                     theirs(torch.from_numpy(x), output_size=size), "reduction", 18)
    with pytest.raises(ValueError, match="requested an output size of"):
        mine(minigrad.tensor(x), output_size=[9, 9])


@pytest.mark.heavy
@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(64, 32, 3), lambda nn: nn.Conv1d(48, 64, 5, groups=4),
    lambda nn: nn.ConvTranspose2d(16, 64, 4, groups=2)])
def test_default_init(backend: str, make: Any) -> None:
    """Weight and bias ~ U(±1/√fan_in), fan_in = weight.size(1)·∏kernel, as torch's layers."""
    minigrad.manual_seed(0)
    torch.manual_seed(0)
    mine, theirs = make(minigrad.nn), make(torch.nn)
    fan_in = theirs.weight.shape[1] * math.prod(theirs.weight.shape[2:])
    for name in ("weight", "bias"):
        assert getattr(mine, name).shape == getattr(theirs, name).shape
        assert np.abs(to_numpy(getattr(mine, name))).max() <= 1 / math.sqrt(fan_in)
    _same_distribution(to_numpy(mine.weight).ravel(), to_numpy(theirs.weight).ravel(), "uniform")
    biases = [np.concatenate([to_numpy(make(lib.nn).bias) for _ in range(30)]) for lib in (minigrad, torch)]
    _same_distribution(*biases, "uniform")


# bad input


def _case(op: str, x: tuple, w: tuple, bias: tuple | None = None, **kwargs: Any) -> Any:
    """A call of ``F.op`` on tensors of ones of these shapes, in either library."""
    return lambda lib: getattr(lib.nn.functional, op)(
        lib.ones(*x), lib.ones(*w), None if bias is None else lib.ones(*bias), **kwargs)


ERRORS = {
    "channels": _case("conv2d", (1, 4, 5, 5), (2, 3, 3, 3)),
    "channels_groups": _case("conv2d", (1, 4, 5, 5), (4, 3, 3, 3), groups=2),
    "channels_unbatched": _case("conv2d", (4, 5, 5), (2, 3, 3, 3)),
    "channels_1d": _case("conv1d", (1, 4, 5), (2, 3, 3)),
    "channels_transposed": _case("conv_transpose2d", (1, 4, 3, 3), (3, 2, 3, 3)),
    "kernel_too_large": _case("conv2d", (1, 3, 2, 2), (2, 3, 3, 3)),
    "kernel_too_large_padded": _case("conv2d", (1, 3, 2, 2), (2, 3, 3, 3), padding=(0, 1)),
    "kernel_too_large_dilated": _case("conv2d", (1, 3, 4, 4), (2, 3, 3, 3), dilation=2),
    "kernel_too_large_1d": _case("conv1d", (1, 3, 2), (2, 3, 3)),
    "groups_weight": _case("conv2d", (1, 4, 5, 5), (3, 2, 3, 3), groups=2),
    "groups_zero": _case("conv2d", (1, 4, 5, 5), (2, 4, 3, 3), groups=0),
    "groups_transposed": _case("conv_transpose2d", (1, 3, 3, 3), (3, 2, 3, 3), groups=2),
    "same_strided": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), padding="same", stride=(1, 2)),
    "same_strided_1d": _case("conv1d", (1, 3, 5), (2, 3, 3), padding="same", stride=2),
    "padding_string": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), padding="full"),
    "padding_negative": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), padding=-1),
    "padding_length": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), padding=(1, 1, 1)),
    "stride_zero": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), stride=0),
    "dilation_zero": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), dilation=(1, 0)),
    "dilation_negative": _case("conv1d", (1, 3, 5), (2, 3, 3), dilation=-1),
    "input_dims": _case("conv2d", (3, 5), (2, 3, 3, 3)),
    "input_dims_1d": _case("conv1d", (1, 3, 5, 5), (2, 3, 3)),
    "weight_dims": _case("conv2d", (1, 3, 5, 5), (2, 3)),
    "weight_dims_1d": _case("conv1d", (1, 3, 5), (2, 3, 3, 3)),
    "bias_size": _case("conv2d", (1, 3, 5, 5), (2, 3, 3, 3), (3,)),
    "bias_dtype": lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 3, 5, 5), lib.ones(2, 3, 3, 3), lib.ones(2, dtype=lib.float64)),
    "weight_dtype": lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 3, 5, 5), lib.ones(2, 3, 3, 3, dtype=lib.float64)),
    "transposed_bias": _case("conv_transpose2d", (1, 3, 3, 3), (3, 2, 3, 3), (3,)),
    "transposed_output_padding": _case("conv_transpose2d", (1, 3, 3, 3), (3, 2, 3, 3), output_padding=1),
    "transposed_too_small": _case("conv_transpose2d", (1, 3, 1, 1), (3, 2, 1, 1), padding=1),
    "transposed_same": _case("conv_transpose2d", (1, 3, 3, 3), (3, 2, 3, 3), padding="same"),
    "transposed_dims": _case("conv_transpose2d", (3, 3), (3, 2, 3, 3)),
    "unfold_too_large": lambda lib: lib.nn.functional.unfold(lib.ones(1, 3, 2, 2), 3),
    "unfold_dims": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 3, 5, 5), 2),
    "unfold_2d": lambda lib: lib.nn.functional.unfold(lib.ones(3, 5), 2),
    "unfold_stride": lambda lib: lib.nn.functional.unfold(lib.ones(1, 3, 5, 5), 2, stride=0),
    "unfold_padding": lambda lib: lib.nn.functional.unfold(lib.ones(1, 3, 5, 5), 2, padding=-1),
    "unfold_kernel_length": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 5), (2, 2, 2)),
    "unfold_integer": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 3, 3, dtype=lib.int64), 2),
    "fold_dims": lambda lib: lib.nn.functional.fold(lib.ones(12), (5, 5), 2),
    "fold_channels": lambda lib: lib.nn.functional.fold(lib.ones(1, 13, 16), (5, 5), 2),
    "fold_blocks": lambda lib: lib.nn.functional.fold(lib.ones(1, 12, 15), (5, 5), 2),
    "module_groups": lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2),
    "module_groups_out": lambda lib: lib.nn.Conv2d(4, 3, 3, groups=2),
    "module_groups_zero": lambda lib: lib.nn.Conv1d(4, 4, 3, groups=0),
    "module_same_strided": lambda lib: lib.nn.Conv2d(3, 4, 3, stride=2, padding="same"),
    "module_padding_string": lambda lib: lib.nn.Conv2d(3, 4, 3, padding="full"),
    "module_transposed_padding_mode": lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"),
    "module_channels": lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.ones(1, 2, 5, 5)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input(backend: str, name: str) -> None:
    """torch's exception class and message (its first line)."""
    expect_torch_error(ERRORS[name])


def test_padding_modes(backend: str) -> None:
    """A padding mode torch refuses is a ValueError (its message shows a set, whose order varies);
    the modes minigrad lacks are NotImplementedError naming them."""
    expect_torch_error(lambda lib: lib.nn.Conv2d(3, 4, 3, padding_mode="mirror"), same_message=False)
    for mode in ("reflect", "replicate", "circular"):
        with pytest.raises(NotImplementedError, match=mode):
            minigrad.nn.Conv2d(3, 4, 3, padding_mode=mode)
