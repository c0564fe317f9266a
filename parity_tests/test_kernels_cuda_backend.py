"""The cuda backend against torch: every primitive of ``minigrad/backends/base.py``, an MLP and a
small CNN trained for three steps, and torch's device semantics (``.cuda()``, ``.cpu()``,
``.numpy()``, ``Module.to``, optimizer state, device mismatch, the error without a GPU).

Without a GPU the backend runs in Numba's CUDA simulator (``parity_tests/cuda_simulator.py``,
imported first, switches it on; when ``numba.cuda`` was imported earlier without it,
``test_kernels_cuda_simulator.py`` reruns this file in a fresh interpreter). The simulator runs
each CUDA thread as a Python thread: the shapes are tiny and fixed, the data come from fixed seeds.
The whole parity suite also runs on cuda: ``MINIGRAD_TEST_BACKENDS=cuda NUMBA_ENABLE_CUDASIM=1
pytest parity_tests/test_elementwise.py`` (minutes per file in the simulator).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import minigrad
from parity_tests.cuda_simulator import USABLE, cuda_kernels_can_run, sample  # noqa: F401
from parity_tests.helpers import assert_close

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the simulator's NumPy scalars
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def B():
    """The cuda backend (created once per process, on first use)."""
    return minigrad.get_backend("cuda")


def same(B, result, expected, family: str = "elementwise", n: int = 1) -> None:
    """A device array (or a tuple of them) equals torch's result."""
    if isinstance(result, tuple):
        for r, e in zip(result, expected):
            same(B, r, e, family, n)
        return
    assert isinstance(result, B.array_type), f"{type(result).__name__} is not a device array"
    assert_close(B.to_numpy(result), expected, family=family, n=n)


def test_creation_and_conversion(B) -> None:
    same(B, B.zeros((2, 3), np.float32), torch.zeros(2, 3), "exact")
    same(B, B.ones((2,), np.int64), torch.ones(2, dtype=torch.int64), "exact")
    same(B, B.full((2, 2), 1.5, np.float64), torch.full((2, 2), 1.5, dtype=torch.float64), "exact")
    same(B, B.arange(1, 7, 2, np.int64), torch.arange(1, 7, 2), "exact")
    same(B, B.arange(0.5, 2.0, 0.25, np.float64), torch.arange(0.5, 2.0, 0.25, dtype=torch.float64))
    same(B, B.eye(2, 3, np.float32), torch.eye(2, 3), "exact")
    values = sample((2, 3), np.float32, seed=1)
    x, t = B.array(values, np.float32), torch.tensor(values)
    assert B.as_array(x) is x
    same(B, B.as_array(values), t, "exact")
    same(B, B.astype(x, np.float64), t.double())
    same(B, B.astype(B.compare("gt", x, 0), np.int64), (t > 0).long(), "exact")
    same(B, B.copy(B.transpose(x, (1, 0))), t.T.contiguous(), "exact")
    view = B.transpose(x, (1, 0))
    assert not B.is_contiguous(view) and B.is_contiguous(B.contiguous(view))
    assert B.strides(view) == t.T.stride() and B.strides(x) == t.stride()
    B.assign(view, B.array(np.arange(2, dtype=np.float32), np.float32))
    t.T.copy_(torch.arange(2.0))
    same(B, x, t, "exact")


def test_random_numbers_follow_their_distribution_and_the_seed(B) -> None:
    """Not torch's values (another generator): the same stream from the same seed, the range
    and the moments of each distribution on a few hundred samples."""
    B.manual_seed(3)
    u = B.to_numpy(B.rand((400,), np.float32))
    B.manual_seed(3)
    assert np.array_equal(u, B.to_numpy(B.rand((400,), np.float32)))
    # Numba's xoroshiro128+ on the host, from the states of threads 0 and 1 (seed + t·φ)
    from numba.cuda.random import (init_xoroshiro128p_state, xoroshiro128p_dtype,
                                   xoroshiro128p_uniform_float32)
    states = np.zeros(2, xoroshiro128p_dtype)
    for t in (0, 1):
        init_xoroshiro128p_state(states, t, np.uint64(3) + np.uint64(t) * np.uint64(0x9E3779B97F4A7C15))
    assert u[:2].tolist() == [xoroshiro128p_uniform_float32(states, 0),
                              xoroshiro128p_uniform_float32(states, 1)]
    assert u.dtype == np.float32 and 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.05
    z = B.to_numpy(B.randn((400,), np.float64))
    assert abs(z.mean()) < 0.2 and abs(z.std() - 1) < 0.15
    k = B.to_numpy(B.randint(-2, 3, (200,), np.int64))
    assert k.dtype == np.int64 and set(k.tolist()) == {-2, -1, 0, 1, 2}
    assert sorted(B.to_numpy(B.randperm(7, np.int64)).tolist()) == list(range(7))


UNARY = ["neg", "abs", "sign", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh",
         "sigmoid", "relu", "floor", "trunc", "expm1", "log1p", "erf"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_primitives(B, dtype) -> None:
    a_host = 3 * sample((2, 3), dtype, seed=2, special=True)
    b_host = sample((3,), dtype, seed=3) + 0.5
    a, b = B.array(a_host, dtype), B.array(b_host, dtype)
    ta, tb = torch.tensor(a_host), torch.tensor(b_host)
    for op in UNARY:
        same(B, getattr(B, op)(a), getattr(torch, op)(ta))
    for op in ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "floor_divide"):
        same(B, getattr(B, op)(a, b), getattr(torch, op)(ta, tb))
    same(B, B.floor_divide(a, 0.75), torch.floor_divide(ta, 0.75))
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        same(B, B.compare(op, a, b), getattr(torch, op)(ta, tb), "exact")
    y = torch.tanh(ta)
    same(B, B.tanh_backward(b, B.array(y.numpy(), dtype)), torch.ops.aten.tanh_backward(tb, y))
    y = torch.sigmoid(ta)
    same(B, B.sigmoid_backward(b, B.array(y.numpy(), dtype)), torch.ops.aten.sigmoid_backward(tb, y))
    y = torch.relu(ta)
    same(B, B.relu_backward(b, B.array(y.numpy(), dtype)), torch.ops.aten.threshold_backward(tb, y, 0))
    same(B, B.where(B.compare("gt", a, 0), a, b), torch.where(ta > 0, ta, tb))
    same(B, B.clip(a, -0.5, None), ta.clamp(min=-0.5))
    same(B, B.clip(a, b, 1.0), torch.clamp(ta, tb, torch.tensor(1.0, dtype=ta.dtype)))


def test_integer_and_boolean_primitives(B) -> None:
    i_host, j_host = np.array([[-7, 5, 0], [9, -3, 4]]), np.array([2, -3, 5])
    i, j, ti, tj = B.array(i_host, np.int64), B.array(j_host, np.int64), torch.tensor(i_host), torch.tensor(j_host)
    p, q = B.compare("gt", i, 0), B.compare("lt", j, 3)
    tp, tq = ti > 0, tj < 3
    same(B, B.floor_divide(i, j), torch.floor_divide(ti, tj), "exact")
    for op in ("and", "or", "xor"):
        same(B, B.logical(op, p, q), getattr(torch, f"logical_{op}")(tp, tq), "exact")
        same(B, B.bitwise(op, i, j), getattr(torch, f"bitwise_{op}")(ti, tj), "exact")
        same(B, B.bitwise(op, p, q), getattr(torch, f"bitwise_{op}")(tp, tq), "exact")
    same(B, B.bitwise_not(i), torch.bitwise_not(ti), "exact")
    same(B, B.bitwise_not(p), torch.bitwise_not(tp), "exact")
    same(B, B.logical_not(i), torch.logical_not(ti), "exact")
    assert B.any(p) and not B.any(B.zeros((2,), np.float32))


def test_reductions_and_matmul(B) -> None:
    x_host = sample((3, 4), np.float32, seed=4)
    x_host[1, 2] = x_host[1, 0]  # a tie: the first index wins
    x, t = B.array(x_host, np.float32), torch.tensor(x_host)
    for axis in (None, 0, 1):
        dim = () if axis is None else axis
        same(B, B.sum(x, axis, True), t.sum(dim=dim, keepdim=True), "reduction", 4)
        same(B, B.amax(x, axis, False), t.amax(dim=dim))
        same(B, B.amin(x, axis, False), t.amin(dim=dim))
        same(B, B.argmax(x, axis, False), t.argmax(dim=axis), "exact")
        same(B, B.argmin(x, axis, axis is not None), t.argmin(dim=axis, keepdim=axis is not None), "exact")
    y_host = sample((2, 4, 2), np.float32, seed=5)
    same(B, B.matmul(x, B.array(y_host, np.float32)), t @ torch.tensor(y_host), "reduction", 4)


def test_softmax_cross_entropy_and_normalisation(B) -> None:
    x_host = sample((3, 4), np.float64, seed=6)
    x, t = B.array(x_host, np.float64), torch.tensor(x_host)
    same(B, B.softmax(x, 1), t.softmax(1))
    same(B, B.log_softmax(x, 0), t.log_softmax(0))
    target_host = np.array([2, -1, 0])
    target, picked = B.array(target_host, np.int64), B.array([1.0, 0.0, 0.5], np.float64)
    loss, row_max, log_sum = B.cross_entropy_forward(x, target, picked)
    weights = torch.tensor([1.0, 0.0, 0.5], dtype=torch.float64)
    expected = F.cross_entropy(t, torch.tensor(target_host), ignore_index=-1, reduction="none")
    same(B, loss, expected * weights, "reduction", 4)
    same(B, row_max, t.amax(1))
    same(B, log_sum, (t - t.amax(1, keepdim=True)).exp().sum(1).log())
    scale = B.array([0.5, 1.0, 2.0], np.float64)
    onehot = F.one_hot(torch.tensor([2, 0, 0]), 4) * torch.tensor([[1.0], [0.0], [1.0]])
    expected = (t.softmax(1) - onehot) * torch.tensor([[0.5], [1.0], [2.0]], dtype=torch.float64)
    same(B, B.cross_entropy_backward(x, target, row_max, log_sum, scale), expected)
    mean, var = B.moments(x, (0,))
    same(B, mean, t.mean(0, keepdim=True), "reduction", 3)
    same(B, var, t.var(0, unbiased=False, keepdim=True), "reduction", 3)
    xt = t.clone().requires_grad_()
    w, grad_host = torch.tensor([0.5, 2.0, -1.0, 1.5], dtype=torch.float64), sample((3, 4), np.float64, 7)
    wt = w.clone().requires_grad_()
    F.layer_norm(xt, (4,), wt, None, 1e-5).backward(torch.tensor(grad_host))
    rstd = (t.var(1, unbiased=False, keepdim=True) + 1e-5).rsqrt()
    grads = B.normalize_backward(B.array(grad_host, np.float64), x, B.array(t.mean(1, keepdim=True).numpy(), np.float64),
                                 B.array(rstd.numpy(), np.float64), B.array(w.numpy(), np.float64), (1,), (4,),
                                 (True, True, True))
    same(B, grads, (xt.grad, wt.grad, torch.tensor(grad_host).sum(0)), "reduction", 4)


def test_shapes_views_and_joins(B) -> None:
    x_host = sample((2, 3, 4), np.float32, seed=8)
    x, t = B.array(x_host, np.float32), torch.tensor(x_host)
    same(B, B.reshape(B.transpose(x, (2, 0, 1)), (4, 6)), t.permute(2, 0, 1).reshape(4, 6), "exact")
    view = B.reshape_view(x, (6, 4))
    B.assign(B.getitem(view, (0,)), 0.0)
    t.view(6, 4)[0] = 0.0
    same(B, x, t, "exact")
    with pytest.raises(ValueError):
        B.reshape_view(B.transpose(x, (1, 0, 2)), (24,))
    same(B, B.broadcast_to(B.getitem(x, (slice(None), 0, slice(None, None, 2))), (3, 2, 2)),
         t[:, 0, ::2].expand(3, 2, 2), "exact")
    same(B, B.concatenate([x, B.getitem(x, (slice(None), slice(1, 2)))], 1),
         torch.cat([t, t[:, 1:2]], 1), "exact")
    same(B, B.stack([x, x], 2), torch.stack([t, t], 2), "exact")


def test_indexing(B) -> None:
    x_host = sample((3, 4), np.float32, seed=9)
    x, t = B.array(x_host, np.float32), torch.tensor(x_host)
    rows, cols = B.array([2, -1, 0], np.int64), B.array([[1], [3]], np.int64)
    tr, tc = torch.tensor([2, -1, 0]), torch.tensor([[1], [3]])
    same(B, B.getitem(x, (None, 1, slice(1, None, 2))), t[None, 1, 1::2], "exact")
    same(B, B.getitem(x, (rows,)), t[tr], "exact")
    same(B, B.getitem(x, (slice(None), rows)), t[:, tr], "exact")
    same(B, B.getitem(x, (rows, cols)), t[tr, tc], "exact")
    mask = x_host > 0
    same(B, B.getitem(x, (B.array(mask, np.bool_),)), t[torch.tensor(mask)], "exact")
    B.setitem(x, (slice(None), rows), B.array([[1.0], [2.0], [3.0]], np.float32))
    t[:, tr] = torch.tensor([[1.0], [2.0], [3.0]])
    same(B, x, t, "exact")
    B.add_at(x, (B.array([0, 0, 2], np.int64),), B.array(np.ones(4, np.float32), np.float32))
    t.index_put_((torch.tensor([0, 0, 2]),), torch.ones(4), accumulate=True)
    same(B, x, t, "exact")
    index = B.array([[0, 2], [1, 1], [3, 0]], np.int64)
    ti = torch.tensor([[0, 2], [1, 1], [3, 0]])
    same(B, B.take(x, B.array([3, 0], np.int64), 1), t.index_select(1, torch.tensor([3, 0])), "exact")
    same(B, B.gather(x, 1, index), t.gather(1, ti), "exact")
    B.scatter_add(x, 1, index, B.ones((3, 2), np.float32))
    same(B, x, t.scatter_add(1, ti, torch.ones(3, 2)))


def test_convolution_and_pooling(B) -> None:
    x_host = sample((1, 2, 5, 5), np.float32, seed=10)
    x, t = B.array(x_host, np.float32), torch.tensor(x_host)
    cols = B.im2col(x, (3, 3), (1, 1), (1, 1), (2, 2))
    same(B, cols, F.unfold(t, 3, padding=1, stride=2), "exact")
    same(B, B.col2im(cols, (5, 5), (3, 3), (1, 1), (1, 1), (2, 2)),
         F.fold(F.unfold(t, 3, padding=1, stride=2), (5, 5), 3, padding=1, stride=2))
    values, index = B.max_pool2d(x, (3, 3), (2, 2), (1, 1), (1, 1), (3, 3))
    expected = F.max_pool2d(t, 3, 2, 1, return_indices=True)
    same(B, (values, index), expected, "exact")
    grad_host = sample((1, 2, 3, 3), np.float32, seed=11)
    grad, tg = B.array(grad_host, np.float32), torch.tensor(grad_host)
    same(B, B.max_pool2d_backward(grad, index, (5, 5)),
         torch.ops.aten.max_pool2d_with_indices_backward(tg, t, 3, 2, 1, 1, False, expected[1]))
    same(B, B.avg_pool2d(x, (3, 3), (2, 2), (1, 1), (3, 3), False, None),
         F.avg_pool2d(t, 3, 2, 1, count_include_pad=False))
    same(B, B.avg_pool2d_backward(grad, (5, 5), (3, 3), (2, 2), (1, 1), True, None),
         torch.ops.aten.avg_pool2d_backward(tg, t, 3, 2, 1, False, True, None))
    same(B, B.adaptive_avg_pool2d(x, (2, 3)), F.adaptive_avg_pool2d(t, (2, 3)))
    same(B, B.adaptive_avg_pool2d_backward(B.ones((1, 2, 2, 3), np.float32), (5, 5)),
         torch.ops.aten._adaptive_avg_pool2d_backward(torch.ones(1, 2, 2, 3), t))
    same(B, B.adaptive_max_pool2d(x, (2, 3)), F.adaptive_max_pool2d(t, (2, 3), return_indices=True), "exact")


def test_optimizer_updates(B) -> None:
    """One in-place step of each update against torch's optimizer on the same values."""
    p_host, g_host = sample((5,), np.float32, seed=12), sample((5,), np.float32, seed=13)
    cases = [(torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True), "sgd"),
             (torch.optim.Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1), "adam"),
             (torch.optim.RMSprop, dict(lr=0.1, centered=True, momentum=0.5), "rmsprop"),
             (torch.optim.Adagrad, dict(lr=0.1), "adagrad")]
    for optimizer, options, name in cases:
        mine = minigrad.tensor(p_host, device="cuda", requires_grad=True)
        theirs = torch.tensor(p_host, requires_grad=True)
        mine.grad, theirs.grad = minigrad.tensor(g_host, device="cuda"), torch.tensor(g_host)
        step_mine = getattr(minigrad.optim, optimizer.__name__)([mine], **options)
        step_theirs = optimizer([theirs], **options)
        for _ in range(2):
            step_mine.step()
            step_theirs.step()
        assert mine.device == "cuda", name
        assert all(v.device == "cuda" for v in step_mine.state[mine].values()
                   if isinstance(v, minigrad.Tensor) and v.ndim), name
        assert_close(mine.detach().cpu(), theirs.detach(), family="elementwise")


def _train(model_mine, model_theirs, make_optimizers, x_host: np.ndarray, y_host: np.ndarray) -> None:
    """Three steps of cross-entropy training on cuda and on torch's CPU, from the same weights:
    the losses and the parameters stay equal."""
    model_mine.load_state_dict({k: v.detach().numpy() for k, v in model_theirs.state_dict().items()})
    model_mine.to("cuda")
    mine, theirs = make_optimizers(model_mine.parameters(), model_theirs.parameters())
    x, y = minigrad.tensor(x_host, device="cuda"), minigrad.tensor(y_host, device="cuda")
    tx, ty = torch.tensor(x_host), torch.tensor(y_host)
    # n=64: the losses and weights come through matmuls, sums over the batch and three steps that
    # compound them, each summed in the kernels' own order (shared-memory trees, tiles), not BLAS's
    for _ in range(3):
        loss = minigrad.nn.functional.cross_entropy(model_mine(x), y)
        expected = F.cross_entropy(model_theirs(tx), ty)
        assert loss.device == "cuda"
        assert_close(loss.item(), expected.item(), family="reduction", n=64)
        for optimizer, value in ((mine, loss), (theirs, expected)):
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
    for p, q in zip(model_mine.parameters(), model_theirs.parameters()):
        assert p.device == "cuda"
        assert_close(p.detach().cpu(), q.detach(), family="reduction", n=64)


def test_mlp_training_steps_equal_torch_cpu() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    mine = minigrad.nn.Sequential(minigrad.nn.Linear(4, 8), minigrad.nn.Tanh(), minigrad.nn.Linear(8, 3))
    _train(mine, theirs, lambda a, b: (minigrad.optim.SGD(a, lr=0.5, momentum=0.9),
                                       torch.optim.SGD(b, lr=0.5, momentum=0.9)),
           sample((5, 4), np.float32, seed=20), np.array([0, 2, 1, 2, 0]))


def test_cnn_training_steps_equal_torch_cpu() -> None:
    def net(nn):
        return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(8, 3))
    torch.manual_seed(0)
    _train(net(minigrad.nn), net(torch.nn), lambda a, b: (minigrad.optim.Adam(a, lr=0.05),
                                                          torch.optim.Adam(b, lr=0.05)),
           sample((2, 1, 4, 4), np.float32, seed=21), np.array([1, 2]))


def test_device_semantics_follow_torch() -> None:
    assert minigrad.cuda.is_available()
    host = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    on_gpu = host.cuda()
    assert on_gpu.device == "cuda" and on_gpu.is_cuda and not host.is_cuda
    assert host.to("cuda:0").device == minigrad.device("cuda")
    with minigrad.no_grad():
        on_gpu.detach()[0] = 10.0  # a copy, not a view of the host tensor
    assert host.tolist() == [1.0, -2.0, 3.0] and on_gpu.tolist() == [10.0, -2.0, 3.0]
    (on_gpu * on_gpu).sum().backward()  # the gradient comes back to the host
    assert host.grad.device == "numpy" and host.grad.tolist() == [20.0, -4.0, 6.0]
    back = on_gpu.detach().cpu()
    assert back.device == "numpy" and back.numpy().tolist() == [10.0, -2.0, 3.0]
    assert on_gpu.detach().cpu().cpu() is not None and back.cpu() is back
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        on_gpu.detach().numpy()
    assert "device='cuda'" in repr(on_gpu) and float(on_gpu[0]) == 10.0
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        on_gpu + host
    zeros = minigrad.zeros_like(on_gpu)
    assert zeros.device == "cuda" and minigrad.randn(2, device="cuda").device == "cuda"
    module = minigrad.nn.Linear(2, 2).cuda()
    assert all(p.is_cuda for p in module.parameters())
    assert all(not p.is_cuda for p in module.cpu().parameters())


def test_without_a_gpu_cuda_is_refused_with_the_way_out() -> None:
    """In a fresh interpreter without the simulator: ``import minigrad`` imports no Numba, cuda
    is not listed, and asking for it says how to install it and how to simulate it."""
    script = ("import sys, minigrad; assert 'numba' not in sys.modules; "
              "assert 'cuda' not in minigrad.available_backends(); "
              "assert not minigrad.cuda.is_available()\n"
              "try: minigrad.zeros(2, device='cuda')\n"
              "except RuntimeError as e: print(e)")
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    if Path("/proc/driver/nvidia/version").exists():
        pytest.skip("this machine has an NVIDIA driver: cuda is available")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'pip install -e ".[cuda]"' in done.stdout and "NUMBA_ENABLE_CUDASIM=1" in done.stdout
