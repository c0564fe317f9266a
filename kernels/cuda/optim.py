"""Optimizer updates on the device: SGD, Adam/AdamW, RMSprop and Adagrad, in place, one pass each.

The launchers have exactly the signatures of the backend primitives (``minigrad/backends/base.py``),
so a backend method is one call. Each kernel is the CPU kernel of ``kernels/cpu/optim.py`` with
its ``prange`` loop replaced by the grid:

* **One thread per element**: thread ``i`` reads element ``i`` of the parameter, its gradient and
  its state, does the whole update in registers and writes them back. Threads share nothing: no
  race, no atomics; consecutive threads touch consecutive addresses (coalesced).
* **torch's single-tensor formulas, in torch's order** (``../shared/TORCH_NOTES.md``); every
  scalar is cast once to the parameter's dtype by the launcher, so a float32 update runs in float32.
* An absent state (no momentum, no amsgrad, not centered) is an empty array never touched.
* The arrays must be C-contiguous (the optimizer's parameters and states are); a strided gradient
  is copied first.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from .device import Array, blocks_for, threads_for
from .elementwise import contiguous

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}


@cuda.jit(device=True)
def _direction(p, grad, sign, use_weight_decay, weight_decay):
    """g = ±grad + weight_decay·p (the weight decay only when there is one)."""
    g = sign * grad
    if use_weight_decay:
        g = p * weight_decay + g
    return g


@cuda.jit(device=True)
def _lerp(start, end, weight, weight_minus_one, small):
    """torch's lerp: start + w·(end - start) for |w| < 0.5, else end + (w - 1)·(end - start)."""
    diff = end - start
    if small:
        return start + diff * weight
    return end + diff * weight_minus_one


@cuda.jit
def _sgd_kernel(param, grad, buf, sign, use_weight_decay, weight_decay, use_momentum, first,
                momentum, use_dampening, one_minus_dampening, nesterov, lr):
    """buf = g (first step) or momentum·buf + (1 - dampening)·g; p -= lr·(g + momentum·buf with
    nesterov, buf without, g when there is no momentum)."""
    i = cuda.grid(1)
    if i < param.size:
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


@cuda.jit
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, amsgrad, decay, sign,
                 use_weight_decay, weight_decay, weight, weight_minus_one, small, beta2,
                 one_minus_beta2, neg_step_size, bias_correction2_sqrt, eps):
    """p *= decay (AdamW); m = lerp(m, g, 1 - β1); v = β2·v + (1 - β2)·g·g; v̂ = max(v̂, v);
    p += -step_size·m / (√v̂ / √bc2 + eps)."""
    i = cuda.grid(1)
    if i < param.size:
        p = param[i] * decay
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        m = _lerp(exp_avg[i], g, weight, weight_minus_one, small)
        v = exp_avg_sq[i] * beta2 + g * one_minus_beta2 * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            old = max_exp_avg_sq[i]
            v = v if v > old or v != v else old  # nan wins, as torch.maximum
            max_exp_avg_sq[i] = v
        denom = math.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + m * neg_step_size / denom


@cuda.jit
def _rmsprop_kernel(param, grad, square_avg, grad_avg, momentum_buffer, sign, use_weight_decay,
                    weight_decay, alpha, one_minus_alpha, centered, weight, weight_minus_one,
                    small, eps, use_momentum, momentum, lr, neg_lr):
    """s = α·s + (1 - α)·g·g; avg = √(s - ḡ·ḡ) + eps with ḡ = lerp(ḡ, g, 1 - α) when centered,
    else √s + eps; p -= lr·buf with buf = momentum·buf + g/avg, or p += -lr·g/avg."""
    i = cuda.grid(1)
    if i < param.size:
        p = param[i]
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        s = square_avg[i] * alpha + g * one_minus_alpha * g
        square_avg[i] = s
        if centered:
            ga = _lerp(grad_avg[i], g, weight, weight_minus_one, small)
            grad_avg[i] = ga
            avg = math.sqrt(s - ga * ga) + eps
        else:
            avg = math.sqrt(s) + eps
        if use_momentum:
            b = momentum_buffer[i] * momentum + g / avg
            momentum_buffer[i] = b
            param[i] = p - b * lr
        else:
            param[i] = p + g * neg_lr / avg


@cuda.jit
def _adagrad_kernel(param, grad, state_sum, sign, use_weight_decay, weight_decay, eps, neg_clr):
    """sum += g·g; p += -clr·g / (√sum + eps)."""
    i = cuda.grid(1)
    if i < param.size:
        p = param[i]
        g = _direction(p, grad[i], sign, use_weight_decay, weight_decay)
        s = state_sum[i] + g * g
        state_sum[i] = s
        param[i] = p + g * neg_clr / (math.sqrt(s) + eps)


def _flat(*arrays: Array) -> list[Array]:
    """1-d views of contiguous arrays (the state arrays are updated in place through them)."""
    for a in arrays:
        if not a.is_c_contiguous():
            raise ValueError("optimizer states must be C-contiguous device arrays")
    return [a.reshape(a.size) for a in arrays]


def _launch(kernel, param: Array, *args) -> None:
    threads = threads_for(param.size)
    kernel[blocks_for(param.size, threads), threads](*args)


def _lerp_weights(t: type, weight: float) -> tuple[np.floating, np.floating, bool]:
    """(w, w - 1, |w| < 0.5) in the array's dtype, as torch's lerp rounds them."""
    w = t(weight)
    return w, w - t(1), bool(abs(w) < 0.5)


def sgd_update(param: Array, grad: Array, buf: Array | None, lr: float, weight_decay: float,
               momentum: float, dampening: float, nesterov: bool, maximize: bool) -> Array | None:
    """buf = momentum·buf + (1-dampening)·g (g itself on the first step, buf None); p -= lr·(nesterov
    ? g + momentum·buf : buf), or lr·g without momentum; returns buf."""
    use_momentum, first = momentum != 0, buf is None
    if use_momentum and first:
        buf = cuda.device_array(param.shape, param.dtype)
    state = buf if use_momentum else cuda.device_array(0, param.dtype)
    if param.size:
        t = param.dtype.type
        _launch(_sgd_kernel, param, *_flat(param, contiguous(grad)), state.reshape(state.size),
                t(-1 if maximize else 1), weight_decay != 0, t(weight_decay), use_momentum,
                first, t(momentum), dampening != 0, t(1 - dampening), nesterov, t(lr))
    return buf


def adam_update(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array,
                max_exp_avg_sq: Array | None, lr: float, beta1: float, beta2: float, eps: float,
                weight_decay: float, decoupled_weight_decay: bool, maximize: bool,
                step_size: float, bias_correction2_sqrt: float) -> None:
    """p *= 1 - lr·wd when decoupled; m = lerp(m, g, 1-β1); v = β2·v + (1-β2)·g²; v̂ = max(v̂, v)
    when given (else v); p -= step_size·m / (√v̂/bias_correction2_sqrt + eps)."""
    if not param.size:
        return
    t = param.dtype.type
    amsgrad = max_exp_avg_sq is not None
    maximum = max_exp_avg_sq if amsgrad else cuda.device_array(0, param.dtype)
    decay = t(1 - lr * weight_decay) if decoupled_weight_decay and weight_decay != 0 else t(1)
    coupled = not decoupled_weight_decay and weight_decay != 0
    _launch(_adam_kernel, param, *_flat(param, contiguous(grad), exp_avg, exp_avg_sq, maximum),
            amsgrad, decay, t(-1 if maximize else 1), coupled, t(weight_decay),
            *_lerp_weights(t, 1 - beta1), t(beta2), t(1 - beta2), t(-step_size),
            t(bias_correction2_sqrt), t(eps))


def rmsprop_update(param: Array, grad: Array, square_avg: Array, grad_avg: Array | None,
                   momentum_buffer: Array | None, lr: float, alpha: float, eps: float,
                   weight_decay: float, momentum: float, maximize: bool) -> None:
    """s = α·s + (1-α)·g²; avg = √(s - ḡ²) + eps with ḡ = lerp(ḡ, g, 1-α) when given, else
    √s + eps; p -= lr·buf with buf = momentum·buf + g/avg when given, else lr·g/avg."""
    if not param.size:
        return
    t = param.dtype.type
    empty = cuda.device_array(0, param.dtype)
    _launch(_rmsprop_kernel, param, *_flat(
        param, contiguous(grad), square_avg, empty if grad_avg is None else grad_avg,
        empty if momentum_buffer is None else momentum_buffer),
        t(-1 if maximize else 1), weight_decay != 0, t(weight_decay), t(alpha), t(1 - alpha),
        grad_avg is not None, *_lerp_weights(t, 1 - alpha), t(eps), momentum_buffer is not None,
        t(momentum), t(lr), t(-lr))


def adagrad_update(param: Array, grad: Array, state_sum: Array, clr: float, eps: float,
                   weight_decay: float, maximize: bool) -> None:
    """sum += g²; p -= clr·g / (√sum + eps)."""
    if not param.size:
        return
    t = param.dtype.type
    _launch(_adagrad_kernel, param, *_flat(param, contiguous(grad), state_sum),
            t(-1 if maximize else 1), weight_decay != 0, t(weight_decay), t(eps), t(-clr))
