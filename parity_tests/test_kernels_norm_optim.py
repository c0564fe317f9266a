"""The numba backend's optimizer and normalisation kernels (``kernels/cpu/optim.py`` and
``norm.py``) against torch: every optimizer option in float32 and float64, the statistics and the
fused backward of batch and layer norm, special values, size 0, layouts, determinism.

The mixins hand small arrays to NumPy, so most tests lower ``PARALLEL_MIN`` to 0 and make the
NumPy reference raise (fixture ``kernels_only``): the kernels then run on the small hypothesis
shapes, and a silent fallback would fail the test instead of passing it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from kernels.cpu import norm, optim
from minigrad.backends.numpy_norm import NumpyNormKernels
from minigrad.backends.numpy_optim import NumpyOptimizerKernels
from .helpers import assert_close, refuse_reference
from .strategies import arrays, float_dtypes, seeds, shapes
from .test_optim import NAMES, options

UPDATES = ["sgd_update", "adam_update", "rmsprop_update", "adagrad_update"]
STEPS = 5


@pytest.fixture
def numba_backend():
    return minigrad.get_backend("numba")


@pytest.fixture
def kernels_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every array goes to the kernels, whatever its size; the NumPy reference may not run."""
    for module in (norm, optim):
        monkeypatch.setattr(module, "PARALLEL_MIN", 0)
    refuse_reference(monkeypatch, NumpyOptimizerKernels, UPDATES)
    refuse_reference(monkeypatch, NumpyNormKernels, ("moments", "scale_shift", "normalize_backward"))


# optimizers -----------------------------------------------------------------------------------

def run_both(name: str, kwargs: dict, start: np.ndarray, grads: list[np.ndarray]):
    """The same steps with the same given gradients in minigrad (numba) and torch; yields the two
    parameters after each step."""
    with minigrad.use_backend("numba"):
        mine = minigrad.tensor(start.copy(), requires_grad=True)
        opt_m = getattr(minigrad.optim, name)([mine], **kwargs)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    opt_t = getattr(torch.optim, name)([theirs], **kwargs)
    for grad in grads:
        mine.grad, theirs.grad = minigrad.tensor(grad.copy()).to("numba"), torch.tensor(grad.copy())
        opt_m.step()
        opt_t.step()
        yield mine, theirs


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_optimizer_matches_torch(kernels_only, name: str, data: st.DataObject, dtype: type,
                                 seed: int) -> None:
    """Every option over its range (maximize, weight decay, amsgrad, AdamW, nesterov, centered,
    momentum...), 0-dim and size-0 parameters, gradients with nan, inf and zeros: each step
    within torch's elementwise tolerance (the kernels round each operation as torch does)."""
    kwargs = data.draw(options(name, wide=True), label="options")
    kwargs["maximize"] = data.draw(st.booleans(), label="maximize")
    shape = data.draw(shapes(max_dims=3), label="shape")
    special = data.draw(st.sampled_from([[], [0.0, np.nan, np.inf, -np.inf]]), label="special")
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1, 1, shape).astype(dtype)
    grads = [data.draw(arrays(dtype, shape, -3, 3, special)) for _ in range(STEPS)]
    for step, (mine, theirs) in enumerate(run_both(name, kwargs, start, grads), 1):
        assert_close(mine.detach().to("numpy"), theirs.detach(), what=f"parameter after step {step}")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_optimizer_edge_cases(kernels_only, name: str, shape: tuple[int, ...]) -> None:
    """0-dim and size-0 parameters, and gradients with nan, ±inf and 0, every option switched on."""
    kwargs = {"SGD": {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1, "maximize": True},
              "Adam": {"amsgrad": True, "weight_decay": 0.1, "maximize": True},
              "AdamW": {"amsgrad": True, "maximize": True},
              "RMSprop": {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True},
              "Adagrad": {"lr_decay": 0.1, "weight_decay": 0.1, "maximize": True}}[name]
    special = np.resize(np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, -2.0]), shape)
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        start = rng.uniform(-1, 1, shape).astype(dtype)
        grads = [rng.normal(0, 1, shape).astype(dtype), special.astype(dtype),
                 rng.normal(0, 1, shape).astype(dtype)]
        for step, (mine, theirs) in enumerate(run_both(name, kwargs, start, grads), 1):
            assert_close(mine.detach().to("numpy"), theirs.detach(), what=f"step {step}")


@pytest.mark.parametrize("name", NAMES)
def test_optimizer_large_parameter(name: str) -> None:
    """A parameter above PARALLEL_MIN takes the kernel with the real threshold (no patching)."""
    rng = np.random.default_rng(0)
    shape = (optim.PARALLEL_MIN + 3,)
    start = rng.uniform(-1, 1, shape).astype(np.float32)
    grads = [rng.normal(0, 1, shape).astype(np.float32) for _ in range(3)]
    kwargs = {"SGD": {"lr": 0.1, "momentum": 0.9, "nesterov": True}, "Adam": {"amsgrad": True},
              "AdamW": {}, "RMSprop": {"centered": True, "momentum": 0.5},
              "Adagrad": {"weight_decay": 0.1}}[name]
    for step, (mine, theirs) in enumerate(run_both(name, kwargs, start, grads), 1):
        assert_close(mine.detach().to("numpy"), theirs.detach(), what=f"parameter after step {step}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_non_contiguous_grad(numba_backend, kernels_only, dtype: type) -> None:
    """A transposed gradient is copied to a contiguous one, then updated by the kernel."""
    rng = np.random.default_rng(2)
    param, grad = rng.uniform(-1, 1, (5, 7)).astype(dtype), rng.normal(0, 1, (7, 5)).astype(dtype).T
    state = [np.zeros_like(param), np.zeros_like(param)]
    mine = param.copy()
    numba_backend.adam_update(mine, grad, *state, None, 0.01, 0.9, 0.999, 1e-8, 0.0, False, False,
                              0.01 / (1 - 0.9), (1 - 0.999) ** 0.5)
    theirs = torch.tensor(param, requires_grad=True)
    theirs.grad = torch.tensor(grad)
    torch.optim.Adam([theirs], lr=0.01).step()
    assert_close(minigrad.tensor(mine), theirs.detach())


def test_optimizer_update_deterministic(numba_backend) -> None:
    """10 runs of the parallel Adam and RMSprop updates on 10⁶ elements give the same bits."""
    rng = np.random.default_rng(3)
    start = [rng.normal(0, 1, 10**6).astype(np.float32) for _ in range(5)]
    start[3] = np.abs(start[3])
    results = []
    for _ in range(10):
        p, g, m, v, vmax = (a.copy() for a in start)
        numba_backend.adam_update(p, g, m, v, vmax, 1e-3, 0.9, 0.999, 1e-8, 1e-2, True, True,
                                  1e-3 / 0.1, 0.999 ** 0.5)
        numba_backend.rmsprop_update(p, g, v, m, vmax, 1e-2, 0.99, 1e-8, 0.1, 0.9, False)
        results.append((p, m, v, vmax))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b, equal_nan=True)


# normalisation --------------------------------------------------------------------------------

@st.composite
def norm_cases(draw: st.DrawFn) -> tuple[bool, tuple[int, ...], tuple[int, ...]]:
    """(batch, shape, axes): batch norm's (N, C, *spatial) over every dim but 1, or layer norm's
    (*rows, *features) over the trailing dims; size-0 and size-1 dims included."""
    if draw(st.booleans()):
        shape = draw(shapes(min_dims=2, max_dims=4, max_side=5))
        return True, shape, (0, *range(2, len(shape)))
    shape = draw(shapes(min_dims=1, max_dims=4, max_side=5))
    return False, shape, tuple(range(len(shape) - draw(st.integers(1, len(shape))), len(shape)))


def group_size(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return math.prod(shape[a] for a in axes)


@given(case=norm_cases(), data=st.data(), dtype=float_dtypes)
def test_moments_primitive(numba_backend, kernels_only, case, data: st.DataObject,
                           dtype: type) -> None:
    """mean and biased variance against torch.mean and torch.var(correction=0), kept dims, nan
    and inf included (size 0 goes to NumPy: mean of nothing is nan)."""
    _, shape, axes = case
    if math.prod(shape) == 0:
        return
    x = data.draw(arrays(dtype, shape, -3, 3, data.draw(st.sampled_from([[], [np.nan, np.inf]]))))
    mean, var = numba_backend.moments(x, axes)
    t = torch.from_numpy(x.copy())
    n = group_size(shape, axes)
    assert_close(minigrad.tensor(mean), t.mean(axes, keepdim=True), "reduction", n=n, what="mean")
    assert_close(minigrad.tensor(var), t.var(axes, keepdim=True, correction=0), "reduction", n=n,
                 what="variance")


@given(case=norm_cases(), data=st.data(), dtype=float_dtypes)
def test_scale_shift_primitive(numba_backend, kernels_only, case, data: st.DataObject,
                               dtype: type) -> None:
    """x·scale + shift with scale and shift kept over the other dims: torch's mul then add, two
    roundings, so the same bits (nan and inf included)."""
    _, shape, axes = case
    if math.prod(shape) == 0:
        return
    kept = tuple(1 if d in axes else n for d, n in enumerate(shape))
    special = data.draw(st.sampled_from([[], [np.nan, np.inf, 0.0]]))
    x = data.draw(arrays(dtype, shape, -3, 3, special))
    scale, shift = data.draw(arrays(dtype, kept, -3, 3)), data.draw(arrays(dtype, kept, -3, 3))
    y = numba_backend.scale_shift(x, scale, shift, axes)
    expected = torch.from_numpy(x.copy()) * torch.from_numpy(scale) + torch.from_numpy(shift)
    assert_close(minigrad.tensor(y), expected, "exact")


def torch_grads(batch: bool, x, weight, bias, grad, axes, eps):
    """torch's dL/dx, dL/dw, dL/db of batch_norm (training) or layer_norm (no affine)."""
    tensors = [None if a is None else torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    tx, tw, tb = tensors
    if batch:
        out = TF.batch_norm(tx, None, None, tw, tb, training=True, eps=eps)
    else:
        out = TF.layer_norm(tx, x.shape[axes[0]:], eps=eps)
    out.backward(torch.from_numpy(grad))
    return [None if t is None else t.grad for t in tensors]


@given(case=norm_cases(), data=st.data(), dtype=float_dtypes, seed=seeds)
def test_normalize_backward_primitive(numba_backend, kernels_only, case, data: st.DataObject,
                                      dtype: type, seed: int) -> None:
    """grad_x, grad_weight and grad_bias against torch's batch_norm and layer_norm gradients,
    the statistics given as torch computes them."""
    batch, shape, axes = case
    if math.prod(shape) == 0 or (batch and group_size(shape, axes) == 1):
        return  # size 0 goes to NumPy; batch norm refuses one value per channel
    rng = np.random.default_rng(seed)
    x, grad = rng.normal(0, 1, shape).astype(dtype), rng.normal(0, 1, shape).astype(dtype)
    eps = data.draw(st.sampled_from([1e-5, 0.1]), label="eps")
    present = data.draw(st.tuples(st.booleans(), st.booleans()), label="weight, bias") if batch \
        else (False, False)
    weight, bias = (rng.uniform(-2, 2, shape[1]).astype(dtype) if p else None for p in present)
    per_channel = (shape[1],) + (1,) * (len(shape) - 2) if batch else None
    t = torch.from_numpy(x)
    mean = t.mean(axes, keepdim=True).numpy()
    rstd = torch.rsqrt(t.var(axes, keepdim=True, correction=0) + eps).numpy()
    needs = (True, weight is not None, bias is not None)
    mine = numba_backend.normalize_backward(grad, x, mean, rstd,
                                            None if weight is None else weight.reshape(per_channel),
                                            axes, per_channel, needs)
    n = group_size(shape, axes)
    for got, expected, what in zip(mine, torch_grads(batch, x, weight, bias, grad, axes, eps),
                                   ["grad_x", "grad_weight", "grad_bias"]):
        assert (got is None) == (expected is None), what
        if got is not None:
            assert_close(minigrad.tensor(got.reshape(expected.shape)), expected, "reduction", n=n,
                         what=what)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_batch_norm_end_to_end(kernels_only, dtype: type, layout: str) -> None:
    """F.batch_norm on numba tensors, forward and backward through the fused primitive."""
    rng = np.random.default_rng(4)
    x = rng.normal(1, 2, (8, 3, 5, 6)).astype(dtype)
    if layout == "channels_last":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    w, b, g = rng.uniform(-2, 2, 3).astype(dtype), rng.uniform(-2, 2, 3).astype(dtype), \
        rng.normal(0, 1, x.shape).astype(dtype)
    with minigrad.use_backend("numba"):
        mx, mw, mb = (minigrad.tensor(a, requires_grad=True) for a in (x, w, b))
        out = F.batch_norm(mx, None, None, mw, mb, training=True)
        out.backward(minigrad.tensor(g))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    expected = TF.batch_norm(tx, None, None, tw, tb, training=True)
    expected.backward(torch.from_numpy(g))
    assert_close(out, expected, "reduction", n=240, what="output")
    for m, t, what in [(mx, tx, "x"), (mw, tw, "weight"), (mb, tb, "bias")]:
        assert_close(m.grad, t.grad, "reduction", n=240, what=f"grad of {what}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_end_to_end(kernels_only, dtype: type) -> None:
    """F.layer_norm (with weight and bias, applied after the fused Normalize) on numba tensors."""
    rng = np.random.default_rng(5)
    x, g = rng.normal(-1, 3, (6, 4, 10)).astype(dtype), rng.normal(0, 1, (6, 4, 10)).astype(dtype)
    w, b = rng.uniform(-2, 2, (4, 10)).astype(dtype), rng.uniform(-2, 2, (4, 10)).astype(dtype)
    with minigrad.use_backend("numba"):
        mx, mw, mb = (minigrad.tensor(a, requires_grad=True) for a in (x, w, b))
        out = F.layer_norm(mx, (4, 10), mw, mb)
        out.backward(minigrad.tensor(g))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    expected = TF.layer_norm(tx, (4, 10), tw, tb)
    expected.backward(torch.from_numpy(g))
    assert_close(out, expected, "reduction", n=40, what="output")
    for m, t, what in [(mx, tx, "x"), (mw, tw, "weight"), (mb, tb, "bias")]:
        assert_close(m.grad, t.grad, "reduction", n=40, what=f"grad of {what}")


def test_normalize_backward_nan(numba_backend, kernels_only) -> None:
    """A nan in a group makes that group's gradients nan, as in torch; other groups stay finite."""
    rng = np.random.default_rng(6)
    x, grad = rng.normal(0, 1, (3, 8)), rng.normal(0, 1, (3, 8))
    x[1, 2] = np.nan
    mean, var = numba_backend.moments(x, (1,))
    rstd = 1 / np.sqrt(var + 1e-5)
    grad_x, _, _ = numba_backend.normalize_backward(grad, x, mean, rstd, None, (1,), None,
                                                    (True, False, False))
    expected, _, _ = torch_grads(False, x, None, None, grad, (1,), 1e-5)
    assert_close(minigrad.tensor(grad_x), expected, "reduction", n=8)
    assert np.isnan(grad_x[1]).all() and np.isfinite(grad_x[[0, 2]]).all()


def test_norm_kernels_deterministic(numba_backend) -> None:
    """10 runs of moments, scale_shift and normalize_backward on 10⁶ elements, both layouts: the
    same bits."""
    rng = np.random.default_rng(7)
    for shape, axes in [((50, 8, 2500), (0, 2)), ((1000, 1000), (1,))]:
        x, grad = rng.normal(3, 2, shape).astype(np.float32), rng.normal(0, 1, shape).astype(np.float32)
        weight = rng.uniform(-2, 2, (shape[1], 1)).astype(np.float32) if len(shape) == 3 else None
        param_shape = None if weight is None else weight.shape
        needs = (True, weight is not None, weight is not None)
        runs = []
        for _ in range(10):
            mean, var = numba_backend.moments(x, axes)
            rstd = (1 / np.sqrt(var + np.float32(1e-5))).astype(np.float32)
            y = numba_backend.scale_shift(x, rstd, -mean * rstd, axes)
            runs.append((mean, var, y, *numba_backend.normalize_backward(grad, x, mean, rstd, weight,
                                                                      axes, param_shape, needs)))
        for other in runs[1:]:
            for a, b in zip(runs[0], other):
                assert (a is None and b is None) or np.array_equal(a, b)
