"""The CUDA optimizer updates of ``kernels/cuda/optim.py`` against torch's optimizers.

Three steps of each optimizer (torch's single-tensor path, ``foreach=False``) on a (2, 5)
parameter, with fixed gradients from a fixed seed; after each step the parameter and every state
equal torch's. The step bookkeeping torch does in Python (bias corrections, Adagrad's decayed
rate) is done here the way ``minigrad.optim`` does it. Fixed data rather than hypothesis: the
kernels run in Numba's CUDA simulator (see ``test_kernels_cuda.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from parity_tests.cuda_simulator import (DTYPES, USABLE, check, cuda_kernels_can_run,  # noqa: F401
                                         dev, sample)

if USABLE:
    from kernels.cuda import optim

STEPS = 3


def trajectory(dtype, make_optimizer):
    """(initial parameter, the gradients, torch's parameter after each step, its optimizer)."""
    start = sample((2, 5), dtype, seed=30)
    grads = [sample((2, 5), dtype, seed=31 + k) for k in range(STEPS)]
    param = torch.tensor(start, requires_grad=True)
    optimizer = make_optimizer([param])
    return start, grads, param, optimizer


def torch_step(param: torch.Tensor, optimizer, grad: np.ndarray) -> None:
    param.grad = torch.tensor(grad)
    optimizer.step()


SGD = [dict(momentum=0.0), dict(momentum=0.9, dampening=0.1, weight_decay=0.01),
       dict(momentum=0.9, nesterov=True, maximize=True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", SGD)
def test_sgd(dtype, options: dict) -> None:
    full = dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)
    full.update(options)
    start, grads, param, theirs = trajectory(
        dtype, lambda p: torch.optim.SGD(p, lr=0.1, foreach=False, **full))
    mine, buf = dev(start), None
    for grad in grads:
        buf = optim.sgd_update(mine, dev(grad), buf, 0.1, full["weight_decay"], full["momentum"],
                               full["dampening"], full["nesterov"], full["maximize"])
        torch_step(param, theirs, grad)
        check(mine, param.detach())
        if full["momentum"]:
            check(buf, theirs.state[param]["momentum_buffer"])
    assert (buf is None) == (full["momentum"] == 0)


ADAM = [dict(), dict(weight_decay=0.1, amsgrad=True), dict(decoupled=True, weight_decay=0.1),
        dict(maximize=True, betas=(0.4, 0.9))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", ADAM)
def test_adam_and_adamw(dtype, options: dict) -> None:
    options = dict(options)
    decoupled = options.pop("decoupled", False)
    full = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False)
    full.update(options)
    kind = torch.optim.AdamW if decoupled else torch.optim.Adam
    start, grads, param, theirs = trajectory(
        dtype, lambda p: kind(p, lr=0.01, foreach=False, **full))
    mine = dev(start)
    zeros = lambda: dev(np.zeros_like(start))
    m, v, vmax = zeros(), zeros(), zeros() if full["amsgrad"] else None
    beta1, beta2 = full["betas"]
    for step, grad in enumerate(grads, start=1):
        optim.adam_update(mine, dev(grad), m, v, vmax, 0.01, beta1, beta2, full["eps"],
                          full["weight_decay"], decoupled, full["maximize"],
                          0.01 / (1 - beta1 ** step), math.sqrt(1 - beta2 ** step))
        torch_step(param, theirs, grad)
        state = theirs.state[param]
        check(mine, param.detach())
        check(m, state["exp_avg"])
        check(v, state["exp_avg_sq"])
        if vmax is not None:
            check(vmax, state["max_exp_avg_sq"])


RMSPROP = [dict(), dict(centered=True, weight_decay=0.1), dict(momentum=0.5, maximize=True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", RMSPROP)
def test_rmsprop(dtype, options: dict) -> None:
    full = dict(alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False)
    full.update(options)
    start, grads, param, theirs = trajectory(
        dtype, lambda p: torch.optim.RMSprop(p, lr=0.01, foreach=False, **full))
    mine = dev(start)
    square = dev(np.zeros_like(start))
    grad_avg = dev(np.zeros_like(start)) if full["centered"] else None
    buf = dev(np.zeros_like(start)) if full["momentum"] else None
    for grad in grads:
        optim.rmsprop_update(mine, dev(grad), square, grad_avg, buf, 0.01, full["alpha"],
                             full["eps"], full["weight_decay"], full["momentum"], full["maximize"])
        torch_step(param, theirs, grad)
        state = theirs.state[param]
        check(mine, param.detach())
        check(square, state["square_avg"])
        if grad_avg is not None:
            check(grad_avg, state["grad_avg"])
        if buf is not None:
            check(buf, state["momentum_buffer"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [dict(), dict(lr_decay=0.1, weight_decay=0.1, maximize=True)])
def test_adagrad(dtype, options: dict) -> None:
    full = dict(lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False)
    full.update(options)
    start, grads, param, theirs = trajectory(
        dtype, lambda p: torch.optim.Adagrad(p, lr=0.1, foreach=False, **full))
    mine, state_sum = dev(start), dev(np.zeros_like(start))
    for step, grad in enumerate(grads, start=1):
        clr = 0.1 / (1 + (step - 1) * full["lr_decay"])
        optim.adagrad_update(mine, dev(grad), state_sum, clr, full["eps"], full["weight_decay"],
                             full["maximize"])
        torch_step(param, theirs, grad)
        check(mine, param.detach())
        check(state_sum, theirs.state[param]["sum"])


def test_a_strided_gradient_is_read_through_its_strides() -> None:
    start, grad = sample((2, 5), np.float32, seed=40), sample((5, 2), np.float32, seed=41)
    mine = dev(start)
    optim.sgd_update(mine, dev(grad).T, None, 0.5, 0.0, 0.0, 0.0, False, False)
    check(mine, torch.tensor(start) - torch.tensor(grad).T * torch.tensor(0.5))
