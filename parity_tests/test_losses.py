"""Losses against torch: every loss × every reduction × every option, forward, gradients of the
input (and of the target where torch gives one), float64 double backward, and bad input."""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
import minigrad.nn.functional as MF
from .helpers import check_op, raised, unwrap_device_assert
from .strategies import arrays, float_dtypes, seeds

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])
# A grid of multiples of 1/4: differences of grid values are exact, so |d| hits 0, β and δ.
GRID = [k / 4 for k in range(-12, 13)]


def pair(array: np.ndarray | None) -> tuple[Any, Any]:
    """The same constant as a minigrad tensor and a torch tensor (None stays None)."""
    if array is None:
        return None, None
    return minigrad.tensor(array), torch.from_numpy(np.array(array, copy=True))


def quiet(function: Callable) -> Callable:
    """``function`` with its warnings silenced (torch's kl_div 'mean' and broadcast warnings)."""
    def call(*args: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args)
    return call


# ---- class-index targets ----

@st.composite
def class_problems(draw: st.DrawFn, dtype: type) -> tuple[np.ndarray, np.ndarray, int]:
    """(input, class-index target, ignore_index): a batch (N, C, d1.., dk) with N ≥ 0 and up to
    two extra dims, or one unbatched sample (C,); some, none or all targets ignored."""
    classes = draw(st.integers(1, 5))
    if draw(st.integers(0, 5)) == 0:
        shape, target_shape = (classes,), ()
    else:
        extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        n = draw(st.integers(0, 4))
        shape, target_shape = (n, classes) + extra, (n,) + extra
    x = draw(arrays(dtype, shape, -5, 5))
    y = draw(hnp.arrays(np.int64, target_shape, elements=st.integers(0, classes - 1)))
    ignore_index = draw(st.sampled_from([-100, -1, draw(st.integers(0, classes - 1))]))
    ignored = draw(st.sampled_from(["none", "some", "all"]))
    if ignored == "all":
        y = np.full(target_shape, ignore_index, dtype=np.int64)
    elif ignored == "some":
        mask = draw(hnp.arrays(np.bool_, target_shape))
        y = np.where(mask, ignore_index, y).astype(np.int64)
    return x, y, ignore_index


def class_options(draw: st.DrawFn, dtype: type, classes: int) -> np.ndarray | None:
    """A class weight (or None), some weights zero."""
    if not draw(st.booleans()):
        return None
    return draw(arrays(dtype, (classes,), 0, 2, special=[0.0]))


@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds,
       smoothing=st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0, -0.2]))
def test_cross_entropy_class_indices(backend: str, data: st.DataObject, dtype: type,
                                     reduction: str, seed: int, smoothing: float) -> None:
    x, y, ignore_index = data.draw(class_problems(dtype))
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    (y_m, y_t), (w_m, w_t) = pair(y), pair(class_options(data.draw, dtype, classes))
    options = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    check_op(lambda t: MF.cross_entropy(t, y_m, w_m, **options),
             lambda t: TF.cross_entropy(t, y_t, w_t, **options),
             [x], seed=seed, family="reduction", n=x.size)


@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds)
def test_nll_loss(backend: str, data: st.DataObject, dtype: type, reduction: str, seed: int) -> None:
    x, y, ignore_index = data.draw(class_problems(dtype))
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    (y_m, y_t), (w_m, w_t) = pair(y), pair(class_options(data.draw, dtype, classes))
    options = dict(ignore_index=ignore_index, reduction=reduction)
    check_op(lambda t: MF.nll_loss(t, y_m, w_m, **options),
             lambda t: TF.nll_loss(t, y_t, w_t, **options),
             [x], seed=seed, family="reduction", n=x.size)


def test_cross_entropy_hot_path_keeps_float32(backend: str) -> None:
    """A classifier's batch: float32 loss and float32 gradient, as torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 10)).astype(np.float32)
    y_m, y_t = pair(rng.integers(0, 10, 64))
    check_op(lambda t: MF.cross_entropy(t, y_m), lambda t: TF.cross_entropy(t, y_t), [x],
             family="reduction", n=x.size)


def test_cross_entropy_is_stable(backend: str) -> None:
    """Huge logits: log-softmax does not overflow."""
    x = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], dtype=np.float32)
    y_m, y_t = pair(np.array([0, 2]))
    for reduction in ["none", "mean"]:
        check_op(lambda t: MF.cross_entropy(t, y_m, reduction=reduction),
                 lambda t: TF.cross_entropy(t, y_t, reduction=reduction), [x])


# ---- class-probability targets ----

@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds,
       smoothing=st.sampled_from([0.0, 0.2, 1.0]), weighted=st.booleans())
def test_cross_entropy_probabilities(backend: str, data: st.DataObject, dtype: type,
                                     reduction: str, seed: int, smoothing: float,
                                     weighted: bool) -> None:
    """Targets that sum to 1 along the class dim; the target gets a gradient too."""
    classes = data.draw(st.integers(1, 5))
    batch = data.draw(st.sampled_from([(), (1,), (3,), (2,), (2, 3)]))
    shape = batch[:1] + (classes,) + batch[1:]
    dim = 0 if len(shape) == 1 else 1
    x = data.draw(arrays(dtype, shape, -5, 5))
    raw = data.draw(arrays(dtype, shape, 0.05, 1))
    p = (raw / raw.sum(axis=dim, keepdims=True)).astype(dtype)
    w_m, w_t = pair(data.draw(arrays(dtype, (classes,), 0, 2)) if weighted else None)
    options = dict(reduction=reduction, label_smoothing=smoothing)
    check_op(lambda t, q: MF.cross_entropy(t, q, w_m, **options),
             lambda t, q: TF.cross_entropy(t, q, w_t, **options),
             [x, p], seed=seed, family="reduction", n=x.size)


# ---- regression losses ----

def regression_pair(data: st.DataObject, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Input and target of one shape, values often on the grid (differences 0, ±β, ±δ)."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x = data.draw(arrays(dtype, shape, -3, 3, special=GRID))
    t = data.draw(arrays(dtype, shape, -3, 3, special=GRID))
    return x, t


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds, weighted=st.booleans())
def test_regression_loss(backend: str, name: str, data: st.DataObject, dtype: type,
                         reduction: str, seed: int, weighted: bool) -> None:
    x, t = regression_pair(data, dtype)
    options: dict[str, Any] = dict(reduction=reduction)
    if name == "huber_loss":
        options["delta"] = data.draw(st.sampled_from([1.0, 0.5, 2.0]))
    w_m, w_t = pair(data.draw(arrays(dtype, x.shape, 0, 2)) if weighted else None)
    check_op(lambda a, b: getattr(MF, name)(a, b, weight=w_m, **options),
             lambda a, b: getattr(TF, name)(a, b, weight=w_t, **options),
             [x, t], seed=seed, family="reduction", n=x.size)


@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds,
       beta=st.sampled_from([1.0, 0.5, 2.0, 0.0]))
def test_smooth_l1_loss(backend: str, data: st.DataObject, dtype: type, reduction: str,
                        seed: int, beta: float) -> None:
    x, t = regression_pair(data, dtype)
    check_op(lambda a, b: MF.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
             lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
             [x, t], seed=seed, family="reduction", n=x.size)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_broadcasts_with_torch_warning(backend: str, name: str) -> None:
    """Different shapes that broadcast: torch warns and broadcasts; so does minigrad."""
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((3, 1)), rng.standard_normal((4,))
    with pytest.warns(UserWarning, match="different to the input size"):
        getattr(MF, name)(minigrad.tensor(x), minigrad.tensor(t))
    check_op(quiet(getattr(MF, name)), quiet(getattr(TF, name)), [x, t], family="reduction", n=12)


def test_mse_promotes_mixed_dtypes(backend: str) -> None:
    x = np.array([1.0, 2.0, 3.5], dtype=np.float32)
    t = np.array([0.5, 2.0, 1.0])
    check_op(MF.mse_loss, TF.mse_loss, [x, t], family="reduction", n=3)


# ---- binary classification ----

@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds,
       weight_dims=st.sampled_from([None, 0, 1, 2]))
def test_binary_cross_entropy(backend: str, data: st.DataObject, dtype: type, reduction: str,
                              seed: int, weight_dims: int | None) -> None:
    """Probabilities inside (0, 1): first and second derivatives (target included)."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = data.draw(arrays(dtype, shape, 0.02, 0.98, special=[0.5]))
    t = data.draw(arrays(dtype, shape, 0, 1, special=[0.0, 1.0]))
    w = None if weight_dims is None else data.draw(arrays(dtype, shape[len(shape) - weight_dims:], 0, 2))
    w_m, w_t = pair(w)
    check_op(lambda a, b: MF.binary_cross_entropy(a, b, w_m, reduction=reduction),
             lambda a, b: TF.binary_cross_entropy(a, b, w_t, reduction=reduction),
             [x, t], seed=seed, family="reduction", n=x.size)


def test_binary_cross_entropy_clamps_its_logarithms(backend: str) -> None:
    """At 0 and 1 the logarithms are clamped at -100; the gradients are torch's."""
    x = np.array([0.0, 0.0, 1.0, 1.0, 0.5, 1e-30], dtype=np.float32)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1.0], dtype=np.float32)
    for reduction in ["none", "sum"]:
        check_op(lambda a, b: MF.binary_cross_entropy(a, b, reduction=reduction),
                 lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), [x, t])


@given(data=st.data(), dtype=float_dtypes, reduction=REDUCTIONS, seed=seeds,
       weighted=st.booleans(), pos_weighted=st.booleans())
def test_binary_cross_entropy_with_logits(backend: str, data: st.DataObject, dtype: type,
                                          reduction: str, seed: int, weighted: bool,
                                          pos_weighted: bool) -> None:
    """Logits far from 0 too (no overflow); weight and pos_weight broadcast to the input."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = data.draw(arrays(dtype, shape, -30, 30, special=[0.0]))
    t = data.draw(arrays(dtype, shape, 0, 1, special=[0.0, 1.0]))
    w = data.draw(arrays(dtype, shape[data.draw(st.integers(0, len(shape))):], 0, 2)) if weighted else None
    (w_m, w_t), (p_m, p_t) = pair(w), pair(data.draw(arrays(dtype, shape[-1:], 0, 3)) if pos_weighted else None)
    check_op(lambda a, b: MF.binary_cross_entropy_with_logits(a, b, w_m, reduction=reduction, pos_weight=p_m),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, w_t, reduction=reduction, pos_weight=p_t),
             [x, t], seed=seed, family="reduction", n=x.size)


# ---- distributions ----

@given(data=st.data(), dtype=float_dtypes, seed=seeds, log_target=st.booleans(),
       reduction=st.sampled_from(["none", "mean", "sum", "batchmean"]))
def test_kl_div(backend: str, data: st.DataObject, dtype: type, seed: int, log_target: bool,
                reduction: str) -> None:
    """Log-probability inputs; targets as probabilities (strictly positive: at 0 both libraries
    give a nan target gradient, tested below) or as log-probabilities."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    x = data.draw(arrays(dtype, shape, -5, 1))
    t = data.draw(arrays(dtype, shape, -5, 1) if log_target else arrays(dtype, shape, 0.01, 1))
    check_op(quiet(lambda a, b: MF.kl_div(a, b, reduction=reduction, log_target=log_target)),
             quiet(lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target)),
             [x, t], seed=seed, family="reduction", n=x.size)


def test_kl_div_zero_target(backend: str) -> None:
    """A zero target contributes 0 to the loss; its own gradient is nan in torch, and here."""
    x = np.log(np.array([[0.2, 0.3, 0.5]], dtype=np.float32))
    t = np.array([[0.0, 0.5, 0.5]], dtype=np.float32)
    check_op(quiet(lambda a, b: MF.kl_div(a, b, reduction="sum")),
             quiet(lambda a, b: TF.kl_div(a, b, reduction="sum")), [x, t])
    with pytest.warns(UserWarning, match="batchmean"):
        MF.kl_div(minigrad.tensor(x), minigrad.tensor(np.exp(x)))


def test_legacy_size_average_and_reduce(backend: str) -> None:
    """torch's deprecated pair still chooses the reduction, with a warning."""
    x, t = np.array([1.0, -2.0, 3.0]), np.array([0.0, 0.0, 1.0])
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        check_op(quiet(lambda a, b: MF.mse_loss(a, b, size_average, reduce)),
                 quiet(lambda a, b: TF.mse_loss(a, b, size_average, reduce)), [x, t])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        MF.l1_loss(minigrad.tensor(x), minigrad.tensor(t), size_average=False)


# ---- bad input: torch's exception class and torch's message ----

def _ce(lib: Any, F: Any, target: list, **options: Any) -> Any:
    return F.cross_entropy(lib.zeros(3, 4), lib.tensor(target), **options)


ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "cross_entropy target too large": lambda L, F: _ce(L, F, [0, 4, 1]),
    "cross_entropy negative target": lambda L, F: _ce(L, F, [0, -1, 1]),
    "cross_entropy smoothed target out of range": lambda L, F: _ce(L, F, [5, 1, 1], label_smoothing=0.1),
    "cross_entropy K-dim target out of range": lambda L, F: F.cross_entropy(
        L.zeros(2, 4, 3), L.tensor([[1, 2, 5], [0, 0, 0]])),
    "nll_loss target out of range": lambda L, F: F.nll_loss(L.zeros(3, 4), L.tensor([0, 1, 7])),
    "nll_loss unbatched target out of range": lambda L, F: F.nll_loss(L.zeros(4), L.tensor(4)),
    "cross_entropy float class indices": lambda L, F: _ce(L, F, [0.0, 3.0, 1.0]),
    "nll_loss float class indices": lambda L, F: F.nll_loss(L.zeros(3, 4), L.tensor([0.0, 3.0, 1.0])),
    "cross_entropy batch mismatch": lambda L, F: _ce(L, F, [0, 3]),
    "cross_entropy 2-dim target for 2-dim input": lambda L, F: F.cross_entropy(
        L.zeros(3, 4), L.zeros(3, 2, dtype=L.int64)),
    "cross_entropy K-dim target shape": lambda L, F: F.cross_entropy(
        L.zeros(2, 4, 3), L.zeros(2, 2, dtype=L.int64)),
    "cross_entropy 4-dim target shape": lambda L, F: F.cross_entropy(
        L.zeros(2, 4, 3, 3), L.zeros(2, 3, 2, dtype=L.int64)),
    "cross_entropy 4-dim target dims": lambda L, F: F.cross_entropy(
        L.zeros(2, 4, 3, 3), L.zeros(2, 3, dtype=L.int64)),
    "nll_loss 0-dim input": lambda L, F: F.nll_loss(L.tensor(1.0), L.tensor(1)),
    "nll_loss unbatched 1-dim target": lambda L, F: F.nll_loss(L.zeros(4), L.tensor([1, 2])),
    "cross_entropy weight length": lambda L, F: _ce(L, F, [0, 3, 1], weight=L.ones(3)),
    "cross_entropy weight shape": lambda L, F: _ce(L, F, [0, 3, 1], weight=L.ones(4, 1)),
    "nll_loss weight length": lambda L, F: F.nll_loss(L.zeros(3, 4), L.tensor([0, 1, 2]),
                                                      weight=L.ones(5)),
    "cross_entropy probabilities weight length": lambda L, F: F.cross_entropy(
        L.zeros(2, 4), L.ones(2, 4) / 4, weight=L.ones(3)),
    "cross_entropy weight dtype": lambda L, F: _ce(L, F, [0, 3, 1], weight=L.ones(4, dtype=L.float64)),
    "cross_entropy label_smoothing above 1": lambda L, F: _ce(L, F, [0, 3, 1], label_smoothing=1.5),
    "cross_entropy integer probabilities": lambda L, F: F.cross_entropy(
        L.zeros(2, 4), L.zeros(2, 4, dtype=L.int64)),
    "cross_entropy ignore_index with probabilities": lambda L, F: F.cross_entropy(
        L.zeros(2, 4), L.ones(2, 4) / 4, ignore_index=1),
    "cross_entropy bad reduction": lambda L, F: _ce(L, F, [0, 3, 1], reduction="average"),
    "cross_entropy list target": lambda L, F: F.cross_entropy(L.zeros(3, 4), [0, 3, 1]),
    "mse_loss shapes that do not broadcast": lambda L, F: F.mse_loss(L.zeros(3), L.zeros(4)),
    "mse_loss integers": lambda L, F: F.mse_loss(L.zeros(3, dtype=L.int64), L.zeros(3, dtype=L.int64)),
    "mse_loss weight shape": lambda L, F: F.mse_loss(L.zeros(3), L.zeros(3), weight=L.ones(1)),
    "l1_loss shapes that do not broadcast": lambda L, F: F.l1_loss(L.zeros(2, 3), L.zeros(2)),
    "smooth_l1_loss negative beta": lambda L, F: F.smooth_l1_loss(L.zeros(3), L.zeros(3), beta=-1.0),
    "huber_loss zero delta": lambda L, F: F.huber_loss(L.zeros(3), L.zeros(3), delta=0.0),
    "mse_loss batchmean": lambda L, F: F.mse_loss(L.zeros(3), L.zeros(3), reduction="batchmean"),
    "binary_cross_entropy target shape": lambda L, F: F.binary_cross_entropy(L.zeros(3), L.zeros(3, 1)),
    "binary_cross_entropy input above 1": lambda L, F: F.binary_cross_entropy(L.ones(3) * 2, L.zeros(3)),
    "binary_cross_entropy target below 0": lambda L, F: F.binary_cross_entropy(L.zeros(3), -L.ones(3)),
    "binary_cross_entropy target dtype": lambda L, F: F.binary_cross_entropy(
        L.zeros(3), L.zeros(3, dtype=L.float64)),
    "binary_cross_entropy weight grows the shape": lambda L, F: F.binary_cross_entropy(
        L.zeros(3, 2), L.zeros(3, 2), weight=L.ones(3, 1, 1)),
    "binary_cross_entropy_with_logits target shape": lambda L, F: F.binary_cross_entropy_with_logits(
        L.zeros(3), L.zeros(3, 1)),
    "binary_cross_entropy_with_logits pos_weight grows the shape": lambda L, F:
        F.binary_cross_entropy_with_logits(L.zeros(3, 2), L.zeros(3, 2), pos_weight=L.ones(2, 1, 1)),
    "kl_div integers": lambda L, F: F.kl_div(L.zeros(3), L.zeros(3, dtype=L.int64), reduction="sum"),
    "kl_div bad reduction": lambda L, F: F.kl_div(L.zeros(3), L.zeros(3), reduction="bad"),
}


def _normalised(message: str) -> str:
    """A message with the library's name, argument positions and kernel names taken out."""
    message = re.sub(r'^"\w+" not implemented', '"op" not implemented', message)
    for position in range(1, 9):
        message = message.replace(f" (position {position})", "")
    return message.replace("cross_entropy_loss()", "cross_entropy_loss").replace("torch", "minigrad")


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_input(backend: str, case: str) -> None:
    """Bad input raises the exception class torch raises, with torch's message."""
    with pytest.raises(Exception) as theirs:
        quiet(ERRORS[case])(torch, TF)
    mine = unwrap_device_assert(raised(lambda _: quiet(ERRORS[case])(minigrad, MF), minigrad),
                                theirs.value)
    assert type(mine) is type(theirs.value), f"{mine!r} but torch raises {theirs.value!r}"
    assert _normalised(str(mine)) == _normalised(str(theirs.value))


# ---- the loss modules ----

MODULES: list[tuple[str, dict[str, Any], str]] = [
    ("CrossEntropyLoss", dict(weight=[0.5, 1.0, 2.0, 1.5], ignore_index=1, label_smoothing=0.1), "index"),
    ("CrossEntropyLoss", dict(reduction="sum"), "probabilities"),
    ("NLLLoss", dict(weight=[0.5, 1.0, 2.0, 1.5], reduction="none"), "index"),
    ("MSELoss", dict(reduction="sum"), "real"),
    ("L1Loss", dict(), "real"),
    ("SmoothL1Loss", dict(beta=0.5), "real"),
    ("HuberLoss", dict(delta=2.0, reduction="none"), "real"),
    ("BCELoss", dict(weight=[1.0, 0.5, 2.0, 1.0]), "probability"),
    ("BCEWithLogitsLoss", dict(weight=[1.0, 0.5, 2.0, 1.0], pos_weight=[2.0, 1.0, 0.5, 3.0]), "probability"),
    ("KLDivLoss", dict(reduction="batchmean", log_target=True), "real"),
]


def _module(lib: Any, name: str, options: dict[str, Any]) -> Any:
    """``lib.nn.<name>(**options)`` with list options as float64 tensors of ``lib``."""
    made = {k: lib.tensor(v, dtype=lib.float64) if isinstance(v, list) else v for k, v in options.items()}
    return getattr(lib.nn, name)(**made)


@pytest.mark.parametrize("name, options, targets", MODULES)
def test_loss_module(backend: str, name: str, options: dict[str, Any], targets: str) -> None:
    """Each loss module: torch's output and gradients, buffers, state_dict keys and repr."""
    rng = np.random.default_rng(7)
    x = rng.uniform(0.05, 0.95, (3, 4)) if targets == "probability" else rng.standard_normal((3, 4))
    mine, theirs = _module(minigrad, name, options), _module(torch, name, options)
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(mine.state_dict()[key].cpu().numpy(), value.numpy())
    assert mine.reduction == theirs.reduction
    if targets == "index":
        y_m, y_t = pair(np.array([0, 1, 3]))
        check_op(lambda a: mine(a, y_m), lambda a: theirs(a, y_t), [x], family="reduction", n=12)
        return
    if targets == "probabilities":
        t = rng.uniform(0.1, 1, (3, 4))
        t /= t.sum(axis=1, keepdims=True)
    else:
        t = rng.uniform(0, 1, (3, 4)) if targets == "probability" else rng.standard_normal((3, 4))
    check_op(mine, theirs, [x, t], family="reduction", n=12)


def test_loss_module_weight_is_a_buffer(backend: str) -> None:
    """``to(dtype)`` converts the weight buffers; an absent weight is a None buffer, as in torch."""
    weight = [1.0, 2.0, 3.0]
    mine, theirs = (lib.nn.CrossEntropyLoss(weight=lib.tensor(weight)).double()
                    for lib in (minigrad, torch))
    assert mine.weight.dtype.name == str(theirs.weight.dtype).replace("torch.", "")
    assert minigrad.nn.CrossEntropyLoss()._buffers == {"weight": None}
    assert list(minigrad.nn.BCEWithLogitsLoss(pos_weight=minigrad.ones(2)).state_dict()) == ["pos_weight"]


def test_loss_module_legacy_arguments(backend: str) -> None:
    """``size_average=False`` means reduction 'sum', with torch's deprecation warning."""
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert minigrad.nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert minigrad.nn.NLLLoss(reduce=False).reduction == "none"
