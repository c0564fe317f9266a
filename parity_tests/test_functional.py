"""nn.functional activations and layers, and their modules, against torch: forward, gradients,
double backward (float64), the special points of each derivative, and torch's errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from .helpers import assert_close, check_op, expect_torch_error, leaf_pair
from .strategies import arrays, broadcastable_shapes, float_dtypes, layouts, seeds, shapes

# name: (low, high, keyword arguments drawn per example, special points of x given the arguments)
ACTIVATIONS = {
    "relu": (-3, 3, st.just({}), lambda kw: [0.0]),
    "leaky_relu": (-3, 3, st.fixed_dictionaries({"negative_slope": st.sampled_from([0.01, 0.2, -0.5, 1.5])}),
                   lambda kw: [0.0]),
    "elu": (-4, 3, st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5, 2.0, -0.25])}),
            lambda kw: [0.0, -0.0]),
    "gelu": (-5, 5, st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])}),
             lambda kw: [0.0, -3.0]),
    "silu": (-8, 8, st.just({}), lambda kw: [0.0]),
    "softplus": (-4, 4, st.fixed_dictionaries({"beta": st.sampled_from([1.0, 0.5, 2.0]),
                                               "threshold": st.sampled_from([20.0, 1.0, 0.0, 0.5])}),
                 lambda kw: [0.0, kw["threshold"] / kw["beta"]]),
    "hardtanh": (-3, 3, st.sampled_from([{}, {"min_val": -0.5, "max_val": 2.0},
                                         {"min_val": 0.0, "max_val": 0.25}]),
                 lambda kw: [kw.get("min_val", -1.0), kw.get("max_val", 1.0)]),
    "relu6": (-2, 8, st.just({}), lambda kw: [0.0, 6.0]),
    "logsigmoid": (-30, 30, st.just({}), lambda kw: [0.0]),
    "sigmoid": (-8, 8, st.just({}), lambda kw: [0.0]),
    "tanh": (-4, 4, st.just({}), lambda kw: [0.0]),
}
INPLACE = ["relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6"]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_activation(backend: str, name: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    low, high, options, special = ACTIVATIONS[name]
    kw = data.draw(options)
    x = data.draw(arrays(dtype, shapes(), low, high, special(kw)))
    check_op(lambda t: getattr(F, name)(t, **kw), lambda t: getattr(TF, name)(t, **kw), [x],
             seed=seed, layouts=[layout])


@pytest.mark.parametrize("name", INPLACE)
@given(dtype=float_dtypes, seed=seeds)
def test_activation_inplace(backend: str, name: str, dtype: type, seed: int) -> None:
    """``inplace=True`` writes into its input, which carries on in the graph, as in torch."""
    x = np.random.default_rng(seed).uniform(-3, 8, (3, 4)).astype(dtype)

    def run(f, t):
        y = t * 1
        out = getattr(f, name)(y, inplace=True)
        assert out is y
        return y

    check_op(lambda t: run(F, t), lambda t: run(TF, t), [x], seed=seed)


@pytest.mark.parametrize("name", ["relu", "hardtanh", "relu6"])
def test_activation_on_integers(backend: str, name: str) -> None:
    check_op(getattr(F, name), getattr(TF, name), [np.array([[-3, 0, 2], [7, 1, -1]])])


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "silu", "softplus", "logsigmoid"])
def test_activation_refuses_integers(backend: str, name: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(TF, name)(torch.tensor([1, -2]))
    with pytest.raises(NotImplementedError, match="Long|int64"):
        getattr(F, name)(minigrad.tensor([1, -2]))


def test_activation_bad_arguments(backend: str) -> None:
    expect_torch_error(lambda lib: lib.nn.functional.gelu(lib.tensor([1.0]), approximate="erf"))
    expect_torch_error(lambda lib: lib.nn.functional.hardtanh(lib.tensor([1.0]), 1.0, -1.0))
    expect_torch_error(lambda lib: lib.nn.functional.relu(3.0), same_message=False)


def test_stable_at_extremes(backend: str) -> None:
    """logsigmoid, softplus, silu and gelu stay finite where a naive formula overflows."""
    x = np.array([-1000.0, -90.0, -20.0, 0.0, 20.0, 90.0, 1000.0])
    for name in ("logsigmoid", "softplus", "silu", "gelu", "elu"):
        for dtype in (np.float32, np.float64):
            check_op(getattr(F, name), getattr(TF, name), [x.astype(dtype)])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_softmax(backend: str, name: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    x = data.draw(arrays(dtype, shapes(), -5, 5))
    dim = data.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
    cast = data.draw(st.sampled_from([None, "float64"]))
    n = x.shape[dim] if x.ndim else 1
    check_op(lambda t: getattr(F, name)(t, dim, dtype=getattr(minigrad, cast) if cast else None),
             lambda t: getattr(TF, name)(t, dim, dtype=getattr(torch, cast) if cast else None),
             [x], seed=seed, family="reduction", n=n, layouts=[layout])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (2, 3, 4, 2)])
def test_softmax_implicit_dim(backend: str, name: str, shape: tuple[int, ...]) -> None:
    """Without dim, torch's legacy choice of dim, with its deprecation warning."""
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        mine = getattr(F, name)(minigrad.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(TF, name)(torch.tensor(x))
    assert_close(mine, theirs, "reduction", n=max(shape, default=1))


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_linear(backend: str, data: st.DataObject, dtype: type, seed: int) -> None:
    batch = data.draw(shapes(0, 2, 0, 3))
    n_in, n_out = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    with_bias = data.draw(st.booleans())
    arrays_ = [data.draw(arrays(dtype, batch + (n_in,))), data.draw(arrays(dtype, (n_out, n_in)))]
    if with_bias:
        arrays_.append(data.draw(arrays(dtype, (n_out,))))
    layout = data.draw(layouts)
    rows = max(math.prod(batch), 1)
    check_op(F.linear, TF.linear, arrays_, seed=seed, family="reduction", n=n_in,
             grad_n=max(rows, n_out), layouts=[layout] * len(arrays_))


def test_linear_errors(backend: str) -> None:
    """Wrong width and mixed dtypes: torch's RuntimeError, naming the shapes."""
    cases = [((2, 3), (4, 5), None, np.float32), ((2, 2, 3), (4, 5), None, np.float32),
             ((2, 3), (4, 5), (4,), np.float32), ((3,), (4, 3), (3,), np.float32)]
    for x_shape, w_shape, b_shape, dtype in cases:
        bias = (lambda lib: None) if b_shape is None else (lambda lib: lib.ones(b_shape))
        expect_torch_error(lambda lib: lib.nn.functional.linear(lib.ones(x_shape), lib.ones(w_shape), bias(lib)),
                           same_message=b_shape != (3,))
    expect_torch_error(lambda lib: lib.nn.functional.linear(lib.ones(2, 3, dtype=lib.float64), lib.ones(4, 3)),
                       same_message=False)


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_embedding(backend: str, data: st.DataObject, dtype: type, seed: int) -> None:
    num, dim = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    index = np.array(data.draw(st.lists(st.integers(0, num - 1), max_size=12)), dtype=np.int64)
    index = index.reshape(data.draw(st.sampled_from([(-1,), (1, -1), (-1, 1)])))
    padding_idx = data.draw(st.one_of(st.none(), st.integers(-num, num - 1)))
    weight = data.draw(arrays(dtype, (num, dim)))
    check_op(lambda w: F.embedding(minigrad.tensor(index), w, padding_idx),
             lambda w: TF.embedding(torch.tensor(index), w, padding_idx), [weight], seed=seed,
             family="reduction", n=max(index.size, 1), layouts=[data.draw(layouts)])


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_embedding_max_norm(backend: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """max_norm rescales the rows looked up, in place, as torch does; then the same lookup."""
    index = np.array(data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=6)))
    max_norm = data.draw(st.sampled_from([0.5, 1.0, 3.0]))
    norm_type = data.draw(st.sampled_from([1.0, 2.0, 3.0]))
    weight = data.draw(arrays(dtype, (4, 3)))
    mine, theirs = leaf_pair(weight)
    out_m = F.embedding(minigrad.tensor(index), mine, max_norm=max_norm, norm_type=norm_type)
    out_t = TF.embedding(torch.tensor(index), theirs, max_norm=max_norm, norm_type=norm_type)
    assert_close(mine, theirs, "reduction", n=3, what="renormed weight")
    assert_close(out_m, out_t, "reduction", n=3)


def test_embedding_errors(backend: str) -> None:
    weight = np.ones((3, 2), np.float32)
    cases = [([0, 5], weight, {}), ([0, -1], weight, {}), ([0.0, 1.0], weight, {}),
             ([0, 1], weight, {"padding_idx": 3}), ([0, 1], weight, {"padding_idx": -4}),
             ([0, 1], np.ones(3, np.float32), {})]
    for index, w, kw in cases:
        expect_torch_error(lambda lib: lib.nn.functional.embedding(lib.tensor(index), lib.tensor(w), **kw),
                           same_message=index != [0.0, 1.0])


@given(data=st.data())
def test_one_hot(backend: str, data: st.DataObject) -> None:
    index = np.array(data.draw(st.lists(st.integers(0, 4), max_size=8)), dtype=np.int64)
    index = index.reshape(data.draw(st.sampled_from([(-1,), (1, -1), (-1, 1, 1)])))
    smallest = int(index.max()) + 1 if index.size else 0
    num_classes = data.draw(st.sampled_from([-1, smallest, smallest + 2])) if index.size else \
        data.draw(st.integers(1, 3))
    assert_close(F.one_hot(minigrad.tensor(index), num_classes),
                 TF.one_hot(torch.tensor(index), num_classes), "exact")


def test_one_hot_errors(backend: str) -> None:
    cases = [([1.0], -1), ([1, -1], -1), ([1, 3], 3), ([1, 2], 0), ([], -1)]
    for values, num_classes in cases:
        expect_torch_error(lambda lib: lib.nn.functional.one_hot(
            lib.tensor(values, dtype=None if values else lib.int64), num_classes))
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(minigrad.tensor([1, 2]).to(minigrad.float32))


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_pad_constant(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    """Constant padding of any number of dims, negative pads (cropping) included."""
    x = data.draw(arrays(dtype, shapes(1, 4, 0, 4)))
    padded = data.draw(st.integers(1, x.ndim))
    pad = []
    for n in reversed(x.shape[x.ndim - padded:]):
        low = data.draw(st.integers(-min(n, 2), 2))
        pad += [low, data.draw(st.integers(-min(n - max(-low, 0), 2), 2))]
    value = data.draw(st.sampled_from([0.0, -1.5, 2.0]))
    check_op(lambda t: F.pad(t, pad, value=value), lambda t: TF.pad(t, pad, value=value), [x],
             seed=seed, layouts=[layout])


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_pad_reflect_replicate(backend: str, mode: str, data: st.DataObject, dtype: type,
                               layout: str, seed: int) -> None:
    """1, 2 or 3 padded dims on inputs with or without a batch dim; gradients add up where an
    element is copied several times."""
    padded = data.draw(st.integers(1, 3))
    ndim = padded + data.draw(st.integers(1, 2))
    shape = tuple(data.draw(st.integers(1, 3)) for _ in range(ndim))
    x = data.draw(arrays(dtype, shape))
    pad = []
    for n in reversed(shape[ndim - padded:]):
        top = n - 1 if mode == "reflect" else 3
        pad += [data.draw(st.integers(0, top)), data.draw(st.integers(0, top))]
    copies = math.prod(3 for _ in range(padded))
    check_op(lambda t: F.pad(t, pad, mode=mode), lambda t: TF.pad(t, pad, mode=mode), [x],
             seed=seed, grad_family="reduction", grad_n=copies, layouts=[layout])


def test_pad_negative_reflect(backend: str) -> None:
    x = np.arange(12.0).reshape(1, 3, 4)
    for mode in ("reflect", "replicate"):
        check_op(lambda t: F.pad(t, (-1, 2), mode=mode), lambda t: TF.pad(t, (-1, 2), mode=mode), [x])


@pytest.mark.parametrize("shape, pad, mode, value", [
    ((2, 3), (1,), "constant", None), ((2, 3), (1, 1, 1, 1, 1, 1), "constant", None),
    ((2,), (-3, 1), "constant", None), ((2, 3), (3, 3), "reflect", None),
    ((1, 2, 3), (3, 3), "reflect", None), ((1, 2, 3), (1, 1), "foo", None),
    ((1, 2, 3), (1, 1), "replicate", 1.0), ((1, 0, 3), (1, 1), "replicate", None),
    ((1, 2, 0), (1, 1), "reflect", None), ((1, 1, 2, 2, 2, 2), (1,) * 6, "replicate", None),
    ((2, 2, 2, 2, 2), (1, 1), "replicate", None), ((3,), (1, 1), "reflect", None),
])
def test_pad_errors(backend: str, shape: tuple, pad: tuple, mode: str, value: float | None) -> None:
    # torch's NotImplementedError for unsupported dims lists the supported ones on more lines
    expect_torch_error(lambda lib: lib.nn.functional.pad(lib.ones(shape), pad, mode=mode, value=value),
                       same_message=len(pad) > 2 * len(shape) or len(pad) // 2 + 1 <= len(shape) <= len(pad) // 2 + 2
                       or mode == "constant")


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@given(dtype=float_dtypes, seed=seeds)
def test_dropout_against_its_mask(backend: str, p: float, dtype: type, seed: int) -> None:
    """Output = x·mask/(1-p) and gradient = upstream·mask/(1-p), torch computing both from the
    mask read off minigrad's output (the two libraries' random streams differ)."""
    rng = np.random.default_rng(seed)
    x = (rng.uniform(0.5, 2, (4, 5)) * rng.choice([-1, 1], (4, 5))).astype(dtype)
    minigrad.manual_seed(seed)
    mine, theirs = leaf_pair(x)
    out = F.dropout(mine, p)
    mask = torch.from_numpy(out.detach().cpu().numpy() != 0)
    expected = theirs * mask / (1 - p)
    assert_close(out, expected)
    upstream = rng.standard_normal(x.shape).astype(dtype)
    out.backward(minigrad.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(mine.grad, theirs.grad)


@pytest.mark.heavy
@pytest.mark.parametrize("p", [0.1, 0.5, 0.75])
def test_dropout_keeps_one_minus_p(backend: str, p: float) -> None:
    """The fraction kept is 1-p within 5 standard deviations; kept values are scaled by 1/(1-p)."""
    n = 20000
    out = F.dropout(minigrad.ones(n, dtype=minigrad.float64), p).cpu().numpy()
    kept = out != 0
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    assert_close(minigrad.tensor(out[kept]), torch.full((int(kept.sum()),), 1 / (1 - p), dtype=torch.float64))


def test_dropout_seeded(backend: str) -> None:
    """The same seed gives the same mask; another seed another one."""
    masks = []
    for seed in (3, 3, 4):
        minigrad.manual_seed(seed)
        masks.append(F.dropout(minigrad.ones(64), 0.5).cpu().numpy())
    assert np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[0], masks[2])


def test_dropout_special_cases(backend: str) -> None:
    """Eval mode and p = 0 return the input itself (as torch); p = 1 zeroes everything; p outside
    [0, 1] is torch's ValueError; inplace writes into the input."""
    x, t = minigrad.tensor([1.0, -2.0, 3.0]), torch.tensor([1.0, -2.0, 3.0])
    assert F.dropout(x, training=False) is x and TF.dropout(t, training=False) is t
    assert F.dropout(x, 0.0) is x and TF.dropout(t, 0.0) is t
    check_op(lambda v: F.dropout(v, 1.0), lambda v: TF.dropout(v, 1.0), [np.array([1.0, -2.0])])
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError) as theirs:
            TF.dropout(t, p)
        with pytest.raises(ValueError, match=str(theirs.value)):
            F.dropout(x, p)
    y = x * 1
    assert F.dropout(y, 0.5, inplace=True) is y
    assert set(np.unique(y.cpu().numpy() / x.cpu().numpy())) <= {0.0, 2.0}


def _no_tiny(x: np.ndarray) -> np.ndarray:
    """``x`` with magnitudes below 1e-6 set to 0: near 1e-160 the squares under a norm fall to
    subnormals, where each library rounds differently and the second derivatives reach 1e15."""
    return np.where(np.abs(x) < 1e-6, 0, x).astype(x.dtype)


P_NORMS = [1.0, 2.0, 3.0, 0.5, 1.5, math.inf, 0.0]


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_normalize(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    """Every p (zeros included: the norm's gradient is 0 there), every dim, eps."""
    x = _no_tiny(data.draw(arrays(dtype, shapes(1, 4, 1, 4), -3, 3, [0.0])))
    if data.draw(st.booleans()):
        x[..., 0] = 0  # a whole slice of zeros: the norm is 0, clamped to eps
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    p = data.draw(st.sampled_from(P_NORMS))
    eps = data.draw(st.sampled_from([1e-12, 1e-3, 0.5]))
    check_op(lambda t: F.normalize(t, p, dim, eps), lambda t: TF.normalize(t, p, dim, eps), [x],
             seed=seed, family="reduction", n=x.shape[dim], layouts=[layout])


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_cosine_similarity(backend: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """Broadcast inputs, any dim, eps; zero vectors take torch's clamped norms."""
    shape1, shape2 = data.draw(broadcastable_shapes(2, 1, 3, 1, 4))
    x1 = _no_tiny(data.draw(arrays(dtype, shape1, -3, 3, [0.0])))
    x2 = _no_tiny(data.draw(arrays(dtype, shape2, -3, 3, [0.0])))
    if data.draw(st.booleans()):
        x1[...] = 0
    ndim = max(len(shape1), len(shape2))
    dim = data.draw(st.integers(-ndim, ndim - 1))
    eps = data.draw(st.sampled_from([1e-8, 0.1]))
    n = max(shape1[dim] if -len(shape1) <= dim < len(shape1) else 1,
            shape2[dim] if -len(shape2) <= dim < len(shape2) else 1, 1)
    check_op(lambda a, b: F.cosine_similarity(a, b, dim, eps),
             lambda a, b: TF.cosine_similarity(a, b, dim, eps), [x1, x2], seed=seed,
             family="reduction", n=4 * n)


def test_normalize_and_cosine_errors(backend: str) -> None:
    cases = [(lambda f, lib: f.normalize(lib.tensor([[1, 2]]))),
             (lambda f, lib: f.cosine_similarity(lib.tensor([[1, 2]]), lib.tensor([[1, 2]]))),
             (lambda f, lib: f.cosine_similarity(lib.ones(2, 3), lib.ones(4, 3))),
             (lambda f, lib: f.cosine_similarity(lib.ones(3), lib.ones(3)))]
    for call in cases:
        expect_torch_error(lambda lib: call(lib.nn.functional, lib))


MODULES = {
    "ReLU": st.sampled_from([(), (True,)]),
    "LeakyReLU": st.sampled_from([(), (0.2,), (0.2, True)]),
    "ELU": st.sampled_from([(), (0.5,), (2.0, True)]),
    "GELU": st.sampled_from([(), ("tanh",)]),
    "SiLU": st.sampled_from([(), (True,)]),
    "Softplus": st.sampled_from([(), (2,), (0.5, 1.0)]),
    "Hardtanh": st.sampled_from([(), (-2, 2), (0.0, 0.5, True)]),
    "ReLU6": st.sampled_from([(), (True,)]),
    "LogSigmoid": st.just(()),
    "Sigmoid": st.just(()),
    "Tanh": st.just(()),
    "Softmax": st.sampled_from([(0,), (1,), (-1,)]),
    "LogSoftmax": st.sampled_from([(0,), (1,), (-1,)]),
    "Dropout": st.sampled_from([(0.0,), (1.0,)]),
}


@pytest.mark.parametrize("name", sorted(MODULES))
@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_module(backend: str, name: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """Same repr as torch's module, same outputs and input gradients (in-place ones on a copy)."""
    args = data.draw(MODULES[name])
    mine, theirs = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    assert repr(mine) == repr(theirs)
    x = data.draw(arrays(dtype, shapes(2, 3, 1, 4), -7, 7, [0.0]))
    check_op(lambda t: mine(t * 1), lambda t: theirs(t * 1), [x], seed=seed, family="reduction",
             n=max(x.shape))


def test_dropout_module_train_and_eval(backend: str) -> None:
    layer, x = nn.Dropout(0.5), minigrad.ones(200)
    assert layer.training and (layer(x).cpu().numpy() == 0).any()
    layer.eval()
    assert layer(x) is x
    for bad in (-0.5, 1.5):
        with pytest.raises(ValueError):
            tnn.Dropout(bad)
        with pytest.raises(ValueError):
            nn.Dropout(bad)
    with pytest.raises(AssertionError):
        tnn.Hardtanh(1.0, -1.0)
    with pytest.raises(AssertionError, match="greater than min_val"):
        nn.Hardtanh(1.0, -1.0)
