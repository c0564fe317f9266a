"""The numba backend's activation and sum kernels (``kernels/cpu/elementwise.py`` and
``reduce.py``) against torch: values, dtypes, special values, layouts, determinism.

The mixins hand small arrays to NumPy, so most tests lower the size thresholds to 0 (fixture
``kernels_always``): the kernels then run on the small hypothesis shapes too, size 0 included.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from kernels.cpu import elementwise, reduce

from .helpers import assert_close, check_op
from .strategies import arrays, float_dtypes, seeds, shapes

SPECIAL = [0.0, -0.0, 1.0, -1.0, 100.0, -100.0, np.nan, np.inf, -np.inf]


@pytest.fixture
def numba_backend():
    return minigrad.get_backend("numba")


@pytest.fixture
def kernels_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every array to the kernels, whatever its size."""
    for module, name in [(elementwise, "ACTIVATION_MIN"), (reduce, "REDUCE_MIN")]:
        monkeypatch.setattr(module, name, 0)
    monkeypatch.setattr(reduce, "SHORT_ROW", 1 << 30)


def mine(array: np.ndarray) -> minigrad.Tensor:
    return minigrad.tensor(array)


def theirs(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, copy=True))


ACTIVATION_GRADIENTS = {
    "tanh_backward": torch.ops.aten.tanh_backward,
    "sigmoid_backward": torch.ops.aten.sigmoid_backward,
    "relu_backward": lambda g, y: torch.ops.aten.threshold_backward(g, y, 0),
}


@given(data=st.data(), dtype=float_dtypes)
def test_relu_primitive(numba_backend, kernels_always, data: st.DataObject, dtype: type) -> None:
    """relu keeps nan and -0.0 (nan < 0 is false), as torch."""
    x = data.draw(arrays(dtype, shapes(), -3, 3, SPECIAL))
    y = numba_backend.relu(x)
    expected = torch.relu(theirs(x))
    assert_close(mine(y), expected, "exact")
    assert np.array_equal(np.signbit(y), np.signbit(expected.numpy()))


@pytest.mark.parametrize("name", sorted(ACTIVATION_GRADIENTS))
@given(data=st.data(), dtype=float_dtypes)
def test_activation_gradient_primitive(numba_backend, kernels_always, name: str,
                                      data: st.DataObject, dtype: type) -> None:
    shape = data.draw(shapes())
    grad = data.draw(arrays(dtype, shape, -3, 3, [0.0, np.nan, np.inf]))
    y = data.draw(arrays(dtype, shape, -1, 1, SPECIAL))
    result = getattr(numba_backend, name)(grad, y)
    # torch's vectorised tanh_backward computes 1 - y² with a fused multiply-add (one rounding):
    # the elementwise tolerance covers the last-bit difference (|g| ≤ 3 keeps it under atol)
    assert_close(mine(result), ACTIVATION_GRADIENTS[name](theirs(grad), theirs(y)))


@pytest.mark.parametrize("name", sorted(ACTIVATION_GRADIENTS))
@pytest.mark.parametrize("layout", ["transposed", "broadcast"])
def test_activation_gradient_layouts(numba_backend, kernels_always, name: str, layout: str) -> None:
    """A transposed or broadcast operand takes NumPy's path and gives torch's values."""
    rng = np.random.default_rng(1)
    y = np.tanh(rng.standard_normal((5, 7)))
    grad = rng.standard_normal((7, 5)).T if layout == "transposed" else np.broadcast_to(
        rng.standard_normal(7), (5, 7))
    result = getattr(numba_backend, name)(grad, y)
    assert_close(mine(result), ACTIVATION_GRADIENTS[name](theirs(grad), theirs(y)))


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
@given(data=st.data(), dtype=float_dtypes, layout=st.sampled_from(["contiguous", "transposed"]),
       seed=seeds)
def test_activation_ops(kernels_always, name: str, data: st.DataObject, dtype: type, layout: str,
                        seed: int) -> None:
    """The ops on the numba backend: forward, gradient and double backward through the kernels."""
    x = data.draw(arrays(dtype, shapes(), -4, 4, [0.0, 50.0, -50.0]))
    with minigrad.use_backend("numba"):
        check_op(getattr(minigrad, name), getattr(torch, name), [x], seed=seed, layouts=[layout])


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_gradient_at_nan(backend: str, name: str) -> None:
    """relu passes the gradient where its input is nan (torch's threshold_backward tests y <= 0)."""
    x = np.array([np.nan, -0.0, 0.0, 2.0, -np.inf, np.inf], np.float32)
    check_op(getattr(minigrad, name), getattr(torch, name), [x])


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@given(data=st.data(), dtype=float_dtypes)
def test_unused_forward_kernels(name: str, data: st.DataObject, dtype: type) -> None:
    """tanh_forward and sigmoid_forward (kept as the slower counter-example) equal torch too."""
    x = data.draw(arrays(dtype, shapes(), -30, 30, SPECIAL))
    out = np.empty(x.shape, x.dtype)
    getattr(elementwise, f"{name}_forward")(x.reshape(-1), out.reshape(-1))
    assert_close(mine(out), getattr(torch, name)(theirs(x)))


@given(data=st.data(), dtype=float_dtypes, keepdims=st.booleans(), leading=st.booleans())
def test_sum_primitive(numba_backend, kernels_always, data: st.DataObject, dtype: type,
                       keepdims: bool, leading: bool) -> None:
    """Sums over the leading or the trailing dims; other axes go to NumPy."""
    x = data.draw(arrays(dtype, shapes(min_dims=1, max_side=9), -3, 3, [0.0, 1e4]))
    k = data.draw(st.integers(1, x.ndim))
    axes = tuple(range(k)) if leading else tuple(range(x.ndim - k, x.ndim))
    n = int(np.prod([x.shape[d] for d in axes]))
    result = numba_backend.sum(x, axes, keepdims)
    # the kernels add in their own order (row after row, or 8 lanes then pairwise): the
    # reduction tolerance, scaled by √n, covers the float32 rounding of a different order
    assert_close(mine(result), theirs(x).sum(axes, keepdim=keepdims), "reduction", n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_gradient(dtype: type) -> None:
    """A (256, 512) linear layer on the numba backend: the bias gradient is the axis-0 kernel."""
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in [(256, 64), (512, 64), (512,)])
    with minigrad.use_backend("numba"):
        check_op(minigrad.nn.functional.linear, torch.nn.functional.linear, [x, w, b],
                 family="reduction", n=256, double_backward=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values_in_sums(numba_backend, kernels_always, dtype: type) -> None:
    x = np.array([[1.0, np.nan, np.inf, np.inf], [2.0, 0.0, -np.inf, 1.0]], dtype)
    for axes in [(0,), (1,)]:
        assert_close(mine(numba_backend.sum(x, axes, False)), theirs(x).sum(axes), "reduction", 2)


def _large(dtype: type, seed: int, size: int = 1 << 17) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(size).astype(dtype)


DETERMINISM = {
    "relu": lambda b, x, g: b.relu(x),
    "tanh_backward": lambda b, x, g: b.tanh_backward(g, np.tanh(x)),
    "sigmoid_backward": lambda b, x, g: b.sigmoid_backward(g, x),
    "relu_backward": lambda b, x, g: b.relu_backward(g, x),
    "sum over rows": lambda b, x, g: b.sum(x.reshape(512, 256), (0,), False),
    "sum of each row": lambda b, x, g: b.sum(x.reshape(2048, 64), (1,), False),
}


@pytest.mark.parametrize("name", sorted(DETERMINISM))
def test_parallel_kernels_are_deterministic(numba_backend, name: str) -> None:
    """10 runs on 2¹⁷ elements (above the real thresholds: the kernels run and prange splits
    the loop between the threads) give the same bits."""
    x, g = _large(np.float32, 4), _large(np.float32, 5)
    first = DETERMINISM[name](numba_backend, x, g)
    for _ in range(9):
        assert np.array_equal(DETERMINISM[name](numba_backend, x, g), first, equal_nan=True)
