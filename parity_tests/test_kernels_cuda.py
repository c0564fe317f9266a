"""The CUDA kernels of ``kernels/cuda`` against torch: elementwise, reductions, matmul, softmax.

Each launcher runs on device arrays; its result, copied to the host, is compared with torch on
the same data, in float32 and float64. Without a GPU the kernels run in Numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), which runs every CUDA thread as a Python thread and every block one
after the other: about a tenth of a second per block that synchronises. So the shapes are tiny
and fixed (a few dozen elements, blocks of 2 to 16 threads so that several blocks, edge tiles and
second passes happen), the data come from fixed seeds, and there is no hypothesis here.

How the simulator is switched on (``parity_tests/cuda_simulator.py``, imported first): Numba reads
``NUMBA_ENABLE_CUDASIM`` when ``numba.cuda`` is first imported; the rest of the suite imports numba
but not ``numba.cuda``, so without an NVIDIA driver the variable is set in time and the kernels
run here. When ``numba.cuda`` was imported earlier without a usable GPU, these tests skip and
``test_kernels_cuda_simulator.py`` runs them in a fresh interpreter. Run them alone with
``pytest parity_tests/test_kernels_cuda*.py --durations=5``.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from parity_tests.cuda_simulator import (DTYPES, SIMULATOR, USABLE, check,  # noqa: F401
                                         cuda_kernels_can_run, dev, sample)

if USABLE:
    from kernels.cuda import elementwise, matmul, reduce, softmax

# The simulator computes with NumPy scalars, which warn where the GPU silently gives inf.
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")


UNARY = {"neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "exp": torch.exp,
         "log": torch.log, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt,
         "reciprocal": torch.reciprocal, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
         "sigmoid": torch.sigmoid, "relu": torch.relu, "floor": torch.floor,
         "trunc": torch.trunc, "expm1": torch.expm1, "log1p": torch.log1p, "erf": torch.erf,
         "logical_not": torch.logical_not, "identity": torch.clone}


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_ops_on_a_transposed_view_with_zeros_and_nan(dtype) -> None:
    """Every unary op on the transpose of a (3, 4) array (strided reads), which holds 0, -0,
    nan and negatives: log/sqrt/rsqrt give torch's -inf, inf and nan there."""
    values = 2 * sample((3, 4), dtype, seed=1, special=True)
    x = dev(values).T
    for op, theirs in UNARY.items():
        check(elementwise.unary(op, x), theirs(torch.tensor(values).T))


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_ops_on_0_dim_and_size_1_dims(dtype) -> None:
    for values in (np.array(0.5, dtype), sample((1, 3, 1), dtype, seed=2)):
        for op in ("exp", "sigmoid", "abs"):
            check(elementwise.unary(op, dev(values)), UNARY[op](torch.tensor(values)))


BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
          "maximum": torch.maximum, "minimum": torch.minimum, "eq": torch.eq, "ne": torch.ne,
          "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_ops_broadcast_strided_operands_with_ties_and_nan(dtype) -> None:
    """a is the (3, 1, 4) transpose-based view, b a (2, 1) array: the result is (3, 2, 4); equal
    values (ties for maximum/minimum and the comparisons) and a nan on each side."""
    a_host = sample((4, 1, 3), dtype, seed=3, special=True)
    b_host = np.array([[a_host[0, 0, 2]], [np.nan]], dtype)
    a, b = dev(a_host).transpose((2, 1, 0)), dev(b_host)
    ta, tb = torch.tensor(a_host).permute(2, 1, 0), torch.tensor(b_host)
    for op, theirs in BINARY.items():
        check(elementwise.binary(op, a, b), theirs(ta, tb))
        check(elementwise.binary(op, b, a), theirs(tb, ta))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_ops_with_a_python_number_and_pow(dtype) -> None:
    """A Python number on either side takes the array's dtype (float32 stays float32)."""
    values = np.abs(sample((2, 3), dtype, seed=4)) + 0.1
    x, t = dev(values), torch.tensor(values)
    check(elementwise.binary("mul", 2.5, x), 2.5 * t)
    check(elementwise.binary("sub", x, 1.5), t - 1.5)
    check(elementwise.binary("pow", x, 1.7), t ** 1.7)
    check(elementwise.binary("pow", x, dev(values[::-1].copy())), t ** t.flip(0))
    check(elementwise.compare("ge", x, 1.0), t >= 1.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_where_broadcasts_its_three_arguments(dtype) -> None:
    cond_host = np.array([[True], [False], [True]])
    a_host, b_host = sample((1, 4), dtype, seed=5), sample((3, 4), dtype, seed=6)
    check(elementwise.where(dev(cond_host), dev(a_host), dev(b_host).T.T),
          torch.where(torch.tensor(cond_host), torch.tensor(a_host), torch.tensor(b_host)))
    check(elementwise.where(dev(cond_host), dev(a_host), 0.0),
          torch.where(torch.tensor(cond_host), torch.tensor(a_host), 0.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_activation_gradients(dtype) -> None:
    """grad·(1-y²), grad·(1-y)·y and relu's mask, against torch's own backward kernels; relu's
    y holds 0 (gradient 0, as torch) and nan (the gradient passes)."""
    x_host = sample((3, 4), dtype, seed=7, special=True)
    grad_host = sample((3, 4), dtype, seed=8)
    x, grad = torch.tensor(x_host), torch.tensor(grad_host)
    y_tanh, y_sigmoid, y_relu = torch.tanh(x), torch.sigmoid(x), torch.relu(x)
    check(elementwise.tanh_backward(dev(grad_host), dev(y_tanh.numpy())),
          torch.ops.aten.tanh_backward(grad, y_tanh))
    check(elementwise.sigmoid_backward(dev(grad_host), dev(y_sigmoid.numpy())),
          torch.ops.aten.sigmoid_backward(grad, y_sigmoid))
    check(elementwise.relu_backward(dev(grad_host), dev(y_relu.numpy())),
          torch.ops.aten.threshold_backward(grad, y_relu, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_copies_of_strided_views(dtype) -> None:
    """copy (contiguous result), permute_copy, and copy_into a strided slice with broadcasting."""
    values = sample((2, 3, 4), dtype, seed=9)
    x, t = dev(values), torch.tensor(values)
    view = x[:, 1:, ::2]
    copied = elementwise.copy(view)
    assert copied.is_c_contiguous()
    check(copied, t[:, 1:, ::2])
    check(elementwise.permute_copy(x, (2, 0, 1)), t.permute(2, 0, 1).contiguous())
    target, expected = dev(np.zeros((3, 5), dtype)), torch.zeros(3, 5, dtype=t.dtype)
    row = sample((1, 2), dtype, seed=10)
    elementwise.copy_into(target[:, 1::2], dev(row))
    expected[:, 1::2] = torch.tensor(row)
    check(target, expected, family="exact")
    elementwise.copy_into(target.T, 7.0)
    check(target, torch.full((3, 5), 7.0, dtype=t.dtype), family="exact")


REDUCE = {"sum": lambda t, d, k: t.sum(dim=d, keepdim=k),
          "max": lambda t, d, k: t.amax(dim=() if d is None else d, keepdim=k),
          "min": lambda t, d, k: t.amin(dim=() if d is None else d, keepdim=k)}


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_over_each_axis_layout(dtype) -> None:
    """sum/max/min of a (3, 5, 4) array over every kind of axis: none (whole array: three blocks
    of 4 threads, then the second pass), the middle one (the column kernel), the last one and two
    at once (rows, after a permuted copy), with and without keepdims. Ties and a nan are present:
    the nan wins max and min, as in torch."""
    values = sample((3, 5, 4), dtype, seed=11, special=True)
    values[2, 1, 0] = np.nan
    clean = np.nan_to_num(values)
    for data in (clean, values):
        x, t = dev(data), torch.tensor(data)
        for op, theirs in REDUCE.items():
            for axis, keepdims in ((None, False), (1, True), (-1, False), ((0, 2), True)):
                n = data.size // (1 if axis is None else torch.tensor(data).sum(axis, True).numel())
                check(reduce.reduce(op, x, axis, keepdims, threads=4), theirs(t, axis, keepdims),
                      family="reduction", n=n)


def test_reductions_of_a_transposed_view_of_ints_and_size_1_dims() -> None:
    values = np.arange(24, dtype=np.int64).reshape(4, 6) - 11
    x, t = dev(values).T, torch.tensor(values).T
    check(reduce.reduce("sum", x, 1, False, threads=4), t.sum(1), family="exact")
    check(reduce.reduce("max", x, 0, True, threads=4), t.amax(0, True), family="exact")
    ones = sample((1, 3, 1), np.float32, seed=12)
    check(reduce.reduce("sum", dev(ones), (0, 2), False), torch.tensor(ones).sum((0, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiled_matmul_with_edge_tiles_and_transposed_operands(dtype) -> None:
    """(5, 7) @ (7, 6) with 4×4 tiles: every tile of C is cut by an edge, and K = 7 leaves a
    partial last tile; then transposed operands (read through their strides, no copy)."""
    a_host, b_host = sample((5, 7), dtype, seed=13), sample((7, 6), dtype, seed=14)
    a, b, ta, tb = dev(a_host), dev(b_host), torch.tensor(a_host), torch.tensor(b_host)
    check(matmul.matmul(a, b, tile=4), ta @ tb, family="reduction", n=7)
    check(matmul.matmul(b.T, a.T, tile=4), tb.T @ ta.T, family="reduction", n=7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batched_matmul_broadcasts_and_handles_vectors(dtype) -> None:
    """A (2, 1, 3, 4) batch times a (3, 4, 2) one gives (2, 3, 3, 2); 1-d operands gain and lose
    a dimension as in torch."""
    a_host, b_host = sample((2, 1, 3, 4), dtype, seed=15), sample((3, 4, 2), dtype, seed=16)
    v_host = sample((4,), dtype, seed=17)
    ta, tb, tv = torch.tensor(a_host), torch.tensor(b_host), torch.tensor(v_host)
    check(matmul.matmul(dev(a_host), dev(b_host), tile=2), ta @ tb, family="reduction", n=4)
    check(matmul.matmul(dev(a_host), dev(v_host), tile=2), ta @ tv, family="reduction", n=4)
    check(matmul.matmul(dev(v_host), dev(b_host), tile=2), tv @ tb, family="reduction", n=4)
    check(matmul.matmul(dev(v_host), dev(v_host), tile=2), tv @ tv, family="reduction", n=4)


@pytest.mark.skipif(not SIMULATOR, reason="a repair of Numba's simulator (kernels/cuda/simulator.py)")
def test_threads_asking_at_once_get_the_blocks_one_shared_array() -> None:
    """Every thread of a simulated block must see the same ``cuda.shared.array``. Here each lookup
    sleeps after it has found nothing (so the other threads run then, as a thread switch there
    would): without the simulator's repair each of the eight threads creates an array of its own."""
    from numba.cuda.simulator.kernelapi import FakeCUDAShared

    class SlowLookup(dict):
        def get(self, key, default=None):
            found = super().get(key, default)
            time.sleep(0.01)
            return found

    shared, arrays = FakeCUDAShared(0), []
    shared._allocations = SlowLookup()
    threads = [threading.Thread(target=lambda: arrays.append(shared.array(4, np.float32)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(arrays) == 8 and len({id(array) for array in arrays}) == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_and_log_softmax_along_each_axis(dtype) -> None:
    """Rows of 5 reduced by blocks of 2 threads (each thread visits several elements); a row
    with a nan becomes nan; [1000, 0] does not overflow."""
    values = sample((2, 5, 3), dtype, seed=18)
    values[1, 2, 0] = np.nan
    x, t = dev(values), torch.tensor(values)
    for axis in (0, 1, -1):
        check(softmax.softmax(x, axis, threads=2), torch.softmax(t, axis))
        check(softmax.log_softmax(x, axis, threads=2), torch.log_softmax(t, axis))
    big = np.array([[1000.0, 0.0]], dtype)
    check(softmax.log_softmax(dev(big), 1, threads=2), torch.log_softmax(torch.tensor(big), 1))
    check(softmax.softmax(dev(np.array(3.0, dtype)), 0), torch.softmax(torch.tensor(3.0,
          dtype=t.dtype), 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_rows_and_their_fused_gradient(dtype) -> None:
    """Per-row loss and its gradient for 3 rows of 6 classes (one row ignored), against torch's
    ``cross_entropy(reduction='none')`` and its backward for a random upstream gradient."""
    logits = sample((3, 6), dtype, seed=19) * 3
    target = np.array([4, -100, 0])
    upstream = sample((3,), dtype, seed=20)
    theirs = torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(theirs, torch.tensor(target), reduction="none")
    loss.backward(torch.tensor(upstream))
    check(softmax.cross_entropy(dev(logits), dev(target), threads=4), loss.detach())
    check(softmax.cross_entropy_backward(dev(logits), dev(target), dev(upstream), threads=4),
          theirs.grad)
