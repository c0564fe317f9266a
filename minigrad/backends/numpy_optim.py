"""The NumPy backend's optimizer updates: SGD, Adam/AdamW, RMSprop and Adagrad, in place.

``NumpyBackend`` inherits them; a faster backend overrides them one by one without touching the
optimizers that call them.
"""

from __future__ import annotations

import warnings

import numpy as np

from .base import Array

# torch computes inf and nan silently; NumPy warns (see numpy_backend.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


class NumpyOptimizerKernels:
    """The in-place parameter updates of ``minigrad.optim``, in plain NumPy."""

    # optimizer updates: torch's single-tensor formulas, operation by operation, so that float32
    # rounds as torch rounds; `out=` keeps the temporaries to one or two arrays per parameter
    # (and keeps 0-dim results arrays: a NumPy ufunc returns a scalar for them otherwise).
    @staticmethod
    def _direction(param: Array, grad: Array, weight_decay: float, maximize: bool) -> Array:
        """g = ±grad + weight_decay·param: grad itself when nothing changes it, else a new array."""
        if weight_decay == 0 and not maximize:
            return grad
        g = np.empty_like(param)
        if weight_decay == 0:
            return np.negative(grad, out=g)
        np.multiply(param, param.dtype.type(weight_decay), out=g)
        return np.subtract(g, grad, out=g) if maximize else np.add(g, grad, out=g)

    @staticmethod
    def _lerp(start: Array, end: Array, weight: float, scratch: Array) -> None:
        """start = start + w·(end - start), or end - (1-w)·(end - start) for w ≥ 0.5 (torch's lerp)."""
        w = start.dtype.type(weight)
        diff = np.subtract(end, start, out=scratch)
        if abs(w) < 0.5:
            diff *= w
            start += diff
        else:
            diff *= w - start.dtype.type(1)
            np.add(end, diff, out=start)

    def sgd_update(self, param: Array, grad: Array, buf: Array | None, lr: float, weight_decay: float,
                   momentum: float, dampening: float, nesterov: bool,
                   maximize: bool) -> Array | None:
        t = param.dtype.type
        g = self._direction(param, grad, weight_decay, maximize)
        scratch = np.empty_like(param)
        if momentum != 0:
            if buf is None:
                buf = np.array(g, copy=True) if g is grad else g
            else:
                buf *= t(momentum)
                buf += g if dampening == 0 else np.multiply(g, t(1 - dampening), out=scratch)
            if nesterov:
                g = np.add(g, np.multiply(buf, t(momentum), out=scratch), out=scratch)
            else:
                g = buf
        param -= np.multiply(g, t(lr), out=scratch)
        return buf

    def adam_update(self, param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array,
                    max_exp_avg_sq: Array | None, lr: float, beta1: float, beta2: float, eps: float,
                    weight_decay: float, decoupled_weight_decay: bool, maximize: bool,
                    step_size: float, bias_correction2_sqrt: float) -> None:
        t = param.dtype.type
        if decoupled_weight_decay:
            if weight_decay != 0:
                param *= t(1 - lr * weight_decay)
            weight_decay = 0
        g = self._direction(param, grad, weight_decay, maximize)
        scratch, update = np.empty_like(param), np.empty_like(param)
        self._lerp(exp_avg, g, 1 - beta1, scratch)
        exp_avg_sq *= t(beta2)
        np.multiply(g, t(1 - beta2), out=scratch)
        scratch *= g
        exp_avg_sq += scratch
        v = exp_avg_sq
        if max_exp_avg_sq is not None:
            v = np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = np.sqrt(v, out=scratch)
        denom /= t(bias_correction2_sqrt)
        denom += t(eps)
        np.multiply(exp_avg, t(-step_size), out=update)
        update /= denom
        param += update

    def rmsprop_update(self, param: Array, grad: Array, square_avg: Array, grad_avg: Array | None,
                       momentum_buffer: Array | None, lr: float, alpha: float, eps: float,
                       weight_decay: float, momentum: float, maximize: bool) -> None:
        t = param.dtype.type
        g = self._direction(param, grad, weight_decay, maximize)
        avg = np.empty_like(param)
        square_avg *= t(alpha)
        np.multiply(g, t(1 - alpha), out=avg)
        avg *= g
        square_avg += avg
        if grad_avg is not None:
            self._lerp(grad_avg, g, 1 - alpha, avg)
            np.multiply(grad_avg, grad_avg, out=avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        avg += t(eps)
        if momentum_buffer is not None:
            momentum_buffer *= t(momentum)
            momentum_buffer += np.divide(g, avg, out=avg)
            param -= np.multiply(momentum_buffer, t(lr), out=avg)
        else:
            update = np.multiply(g, t(-lr), out=np.empty_like(param))
            update /= avg
            param += update

    def adagrad_update(self, param: Array, grad: Array, state_sum: Array, clr: float, eps: float,
                       weight_decay: float, maximize: bool) -> None:
        t = param.dtype.type
        g = self._direction(param, grad, weight_decay, maximize)
        std = np.multiply(g, g, out=np.empty_like(param))
        state_sum += std
        np.sqrt(state_sum, out=std)
        std += t(eps)
        update = np.multiply(g, t(-clr), out=np.empty_like(param))
        update /= std
        param += update
