"""Optimizer updates as Numba kernels: SGD, Adam/AdamW, RMSprop and Adagrad, one pass each.

The NumPy reference (``minigrad/backends/numpy_optim.py``) runs torch's single-tensor update as
ten or so whole-array operations, each reading and writing every element again. Here one loop
reads each element of the parameter, its gradient and its state once, does the whole update in
registers and writes the results back: the update costs one trip through memory instead of ten.

Rules of every kernel in this file:

* **No races**: iteration ``i`` of the ``prange`` loop reads and writes element ``i`` only, so the
  threads share nothing and the result does not depend on how the loop is split.
* **Same rounding as torch's op-by-op update**: every operation rounds to the parameter's dtype
  in torch's order (no fused multiply-add: ``fastmath`` is off), with the scalars cast once to
  that dtype by the mixin. A float32 update is computed in float32, never in float64.
* **No allocation**: the arrays are flat, contiguous and preallocated; an absent state (no
  amsgrad, no momentum...) is an empty array that the loop never touches.
* ``error_model="numpy"``: x/0 gives inf or nan, as in torch, instead of raising.

Starting the threads of a parallel loop costs microseconds on an idle machine and far more on a
busy one (each thread must get a core before the loop can end), while NumPy updates a small
parameter in about 15 µs. The mixin therefore hands parameters below ``PARALLEL_MIN`` elements
(and int dtypes, non-contiguous or read-only arrays) to the NumPy reference with ``super()``:
both give the same bits, the kernel is only faster.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

Array = np.ndarray
PARALLEL_MIN = 1 << 14
"""Smallest parameter handed to a kernel: below it, starting the threads costs more than they gain."""
_JIT = {"parallel": True, "cache": True, "error_model": "numpy"}


@njit(inline="always")
def _direction(p, grad, sign, use_weight_decay, weight_decay):
    """g = ±grad + weight_decay·p (the weight decay only when there is one)."""
    g = sign * grad
    if use_weight_decay:
        g = p * weight_decay + g
    return g


@njit(inline="always")
def _lerp(start, end, weight, weight_minus_one, small):
    """torch's lerp: start + w·(end - start) for |w| < 0.5, else end + (w - 1)·(end - start)."""
    diff = end - start
    if small:
        return start + diff * weight
    return end + diff * weight_minus_one


@njit(**_JIT)
def sgd_kernel(param, grad, buf, sign, use_weight_decay, weight_decay, use_momentum, first,
               momentum, use_dampening, one_minus_dampening, nesterov, lr):
    """buf = g (first step) or momentum·buf + (1 - dampening)·g; p -= lr·(g + momentum·buf
    with nesterov, buf without, g when there is no momentum)."""
    for i in prange(param.size):
        p = param[i]
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        if use_momentum:
            if first:
                b = g
            else:
                b = buf[i] * momentum
                b = b + (g * one_minus_dampening if use_dampening else g)
            buf[i] = b
            g = g + b * momentum if nesterov else b
        param[i] = p - g * lr


@njit(**_JIT)
def adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, amsgrad, decay, sign,
                use_weight_decay, weight_decay, weight, weight_minus_one, small, beta2,
                one_minus_beta2, neg_step_size, bias_correction2_sqrt, eps):
    """p *= decay (AdamW); m = lerp(m, g, 1 - β1); v = β2·v + (1 - β2)·g·g; v̂ = max(v̂, v);
    p += -step_size·m / (√v̂ / √bc2 + eps)."""
    for i in prange(param.size):
        p = param[i] * decay
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        m = _lerp(exp_avg[i], g, weight, weight_minus_one, small)
        v = exp_avg_sq[i] * beta2 + g * one_minus_beta2 * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            old = max_exp_avg_sq[i]
            v = v if v > old or np.isnan(v) else old  # np.maximum: nan wins
            max_exp_avg_sq[i] = v
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + m * neg_step_size / denom


@njit(**_JIT)
def rmsprop_kernel(param, grad, square_avg, grad_avg, momentum_buffer, sign, use_weight_decay,
                   weight_decay, alpha, one_minus_alpha, centered, weight, weight_minus_one,
                   small, eps, use_momentum, momentum, lr, neg_lr):
    """s = α·s + (1 - α)·g·g; avg = √(s - ḡ·ḡ) with ḡ = lerp(ḡ, g, 1 - α) when centered, else
    √s, plus eps; p -= lr·buf with buf = momentum·buf + g/avg, or p += -lr·g/avg."""
    for i in prange(param.size):
        p = param[i]
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        s = square_avg[i] * alpha + g * one_minus_alpha * g
        square_avg[i] = s
        if centered:
            ga = _lerp(grad_avg[i], g, weight, weight_minus_one, small)
            grad_avg[i] = ga
            avg = np.sqrt(s - ga * ga) + eps
        else:
            avg = np.sqrt(s) + eps
        if use_momentum:
            b = momentum_buffer[i] * momentum + g / avg
            momentum_buffer[i] = b
            param[i] = p - b * lr
        else:
            param[i] = p + g * neg_lr / avg


@njit(**_JIT)
def adagrad_kernel(param, grad, state_sum, sign, use_weight_decay, weight_decay, eps, neg_clr):
    """sum += g·g; p += -clr·g / (√sum + eps)."""
    for i in prange(param.size):
        p = param[i]
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        s = state_sum[i] + g * g
        state_sum[i] = s
        param[i] = p + g * neg_clr / (np.sqrt(s) + eps)


def _flat(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """Flat views of writable C-contiguous float arrays of one dtype, or None when a kernel cannot
    update them in place (the NumPy reference handles those)."""
    dtype = arrays[0].dtype
    if dtype.kind != "f" or arrays[0].size < PARALLEL_MIN:
        return None
    flats = []
    for a in arrays:
        if a.dtype != dtype or not a.flags.c_contiguous or not a.flags.writeable:
            return None
        flats.append(a.reshape(-1))
    return flats


def _contiguous(a: np.ndarray) -> np.ndarray:
    """a, or a C-contiguous copy of it (np.ascontiguousarray would turn a 0-dim array into 1-dim)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


def _absent(like: np.ndarray) -> np.ndarray:
    """The empty array passed for a state the update does not have (its loop never reads it)."""
    return np.empty(0, like.dtype)


def _lerp_weights(t: type, weight: float) -> tuple[np.floating, np.floating, bool]:
    """(w, w - 1, |w| < 0.5) in the array's dtype, as torch's lerp rounds them."""
    w = t(weight)
    return w, w - t(1), bool(abs(w) < 0.5)


class OptimizerKernels:
    """The optimizer-update primitives of the numba backend (see ``minigrad/backends/base.py``)."""

    def sgd_update(self, param: Array, grad: Array, buf: Array | None, lr: float, weight_decay: float,
                   momentum: float, dampening: float, nesterov: bool,
                   maximize: bool) -> Array | None:
        grad = _contiguous(grad)
        use_momentum, first = momentum != 0, buf is None
        if use_momentum and first:
            buf = np.empty_like(param)
        state = buf if use_momentum else _absent(param)
        flats = _flat(param, grad, state)
        if flats is None:
            return super().sgd_update(param, grad, None if first else buf, lr, weight_decay,
                                      momentum, dampening, nesterov, maximize)
        t = param.dtype.type
        sgd_kernel(*flats, t(-1 if maximize else 1), weight_decay != 0, t(weight_decay),
                   use_momentum, first, t(momentum), dampening != 0, t(1 - dampening),
                   nesterov, t(lr))
        return buf

    def adam_update(self, param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array,
                    max_exp_avg_sq: Array | None, lr: float, beta1: float, beta2: float, eps: float,
                    weight_decay: float, decoupled_weight_decay: bool, maximize: bool,
                    step_size: float, bias_correction2_sqrt: float) -> None:
        grad = _contiguous(grad)
        amsgrad = max_exp_avg_sq is not None
        flats = _flat(param, grad, exp_avg, exp_avg_sq,
                      max_exp_avg_sq if amsgrad else _absent(param))
        if flats is None:
            return super().adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr,
                                       beta1, beta2, eps, weight_decay, decoupled_weight_decay,
                                       maximize, step_size, bias_correction2_sqrt)
        t = param.dtype.type
        decay = t(1 - lr * weight_decay) if decoupled_weight_decay and weight_decay != 0 else t(1)
        coupled = not decoupled_weight_decay and weight_decay != 0
        adam_kernel(*flats, amsgrad, decay, t(-1 if maximize else 1), coupled, t(weight_decay),
                    *_lerp_weights(t, 1 - beta1), t(beta2), t(1 - beta2), t(-step_size),
                    t(bias_correction2_sqrt), t(eps))
        return None

    def rmsprop_update(self, param: Array, grad: Array, square_avg: Array, grad_avg: Array | None,
                       momentum_buffer: Array | None, lr: float, alpha: float, eps: float,
                       weight_decay: float, momentum: float, maximize: bool) -> None:
        grad = _contiguous(grad)
        empty = _absent(param)
        flats = _flat(param, grad, square_avg, empty if grad_avg is None else grad_avg,
                      empty if momentum_buffer is None else momentum_buffer)
        if flats is None:
            return super().rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, lr,
                                          alpha, eps, weight_decay, momentum, maximize)
        t = param.dtype.type
        rmsprop_kernel(*flats, t(-1 if maximize else 1), weight_decay != 0, t(weight_decay),
                       t(alpha), t(1 - alpha), grad_avg is not None,
                       *_lerp_weights(t, 1 - alpha), t(eps), momentum_buffer is not None,
                       t(momentum), t(lr), t(-lr))
        return None

    def adagrad_update(self, param: Array, grad: Array, state_sum: Array, clr: float, eps: float,
                       weight_decay: float, maximize: bool) -> None:
        grad = _contiguous(grad)
        flats = _flat(param, grad, state_sum)
        if flats is None:
            return super().adagrad_update(param, grad, state_sum, clr, eps, weight_decay, maximize)
        t = param.dtype.type
        adagrad_kernel(*flats, t(-1 if maximize else 1), weight_decay != 0, t(weight_decay),
                       t(eps), t(-clr))
        return None
