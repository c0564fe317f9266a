"""The cuda backend's network hot paths: special functions aside, the softmax family, convolution,
pooling, normalisation and the optimizer updates, each one call to a launcher of ``kernels/cuda``
(whose signatures are the primitives'). The normalisation statistics and their backward pass are
compositions of the elementwise and reduction kernels: no host round trip.
"""

from __future__ import annotations

import math

from kernels.cuda import conv, cross_entropy, optim, pooling, softmax

from .base import Array, Shape


class CudaNeuralNet:
    """Softmax, convolution, pooling, normalisation and optimizer updates on the device."""

    # softmax family
    def softmax(self, x: Array, axis: int) -> Array:
        return softmax.softmax(x, axis)

    def log_softmax(self, x: Array, axis: int) -> Array:
        return softmax.log_softmax(x, axis)

    def cross_entropy_forward(self, x: Array, target: Array, picked: Array) -> tuple[Array, Array, Array]:
        return cross_entropy.cross_entropy_forward(x, target, picked)

    def cross_entropy_backward(self, x: Array, target: Array, row_max: Array, log_sum: Array,
                               scale: Array) -> Array:
        return cross_entropy.cross_entropy_backward(x, target, row_max, log_sum, scale)

    # normalisation: two passes (the mean, then the squares around it), as the numpy reference
    def moments(self, x: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
        n = x.dtype.type(math.prod(x.shape[a] for a in axes))
        mean = self.div(self.sum(x, axes, True), n)
        centered = self.sub(x, mean)
        return mean, self.div(self.sum(self.mul(centered, centered), axes, True), n)

    def scale_shift(self, x: Array, scale: Array, shift: Array, axes: tuple[int, ...]) -> Array:
        return self.add(self.mul(x, scale), shift)

    def normalize_backward(self, grad: Array, x: Array, mean: Array, rstd: Array,
                           weight: Array | None, axes: tuple[int, ...],
                           param_shape: tuple[int, ...] | None,
                           needs: tuple[bool, bool, bool]) -> tuple[Array | None, ...]:
        n = x.dtype.type(math.prod(x.shape[a] for a in axes))
        xhat = self.mul(self.sub(x, mean), rstd)
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            h = self.mul(grad, rstd if weight is None else self.mul(weight, rstd))
            mean_h = self.div(self.sum(h, axes, True), n)
            mean_hx = self.div(self.sum(self.mul(h, xhat), axes, True), n)
            grad_x = self.sub(self.sub(h, mean_h), self.mul(xhat, mean_hx))
        if needs[1]:
            grad_weight = self._sum_to(self.mul(grad, xhat), param_shape)
        if needs[2]:
            grad_bias = self._sum_to(grad, param_shape)
        return grad_x, grad_weight, grad_bias

    def _sum_to(self, a: Array, shape: tuple[int, ...]) -> Array:
        """a summed over the dims that ``shape`` lacks or has as 1 (the reverse of broadcasting)."""
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1)
        return self.reshape(self.sum(a, axes, True), shape)

    # convolution
    def im2col(self, x: Array, kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> Array:
        return conv.im2col(x, kernel_size, dilation, padding, stride)

    def col2im(self, cols: Array, output_size: tuple[int, int], kernel_size: tuple[int, int],
               dilation: tuple[int, int], padding: tuple[int, int], stride: tuple[int, int]) -> Array:
        return conv.col2im(cols, output_size, kernel_size, dilation, padding, stride)

    # pooling
    def max_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, dilation: Shape,
                   out_size: Shape) -> tuple[Array, Array]:
        return pooling.max_pool2d(x, kernel, stride, padding, dilation, out_size)

    def max_pool2d_backward(self, grad: Array, indices: Array, input_size: Shape) -> Array:
        return pooling.max_pool2d_backward(grad, indices, input_size)

    def avg_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, out_size: Shape,
                   count_include_pad: bool, divisor_override: int | None) -> Array:
        return pooling.avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad,
                                  divisor_override)

    def avg_pool2d_backward(self, grad: Array, input_size: Shape, kernel: Shape, stride: Shape,
                            padding: Shape, count_include_pad: bool,
                            divisor_override: int | None) -> Array:
        return pooling.avg_pool2d_backward(grad, input_size, kernel, stride, padding,
                                           count_include_pad, divisor_override)

    def adaptive_avg_pool2d(self, x: Array, out_size: Shape) -> Array:
        return pooling.adaptive_avg_pool2d(x, out_size)

    def adaptive_avg_pool2d_backward(self, grad: Array, input_size: Shape) -> Array:
        return pooling.adaptive_avg_pool2d_backward(grad, input_size)

    def adaptive_max_pool2d(self, x: Array, out_size: Shape) -> tuple[Array, Array]:
        return pooling.adaptive_max_pool2d(x, out_size)

    # optimizer updates (the launchers have the primitives' signatures)
    sgd_update = staticmethod(optim.sgd_update)
    adam_update = staticmethod(optim.adam_update)
    rmsprop_update = staticmethod(optim.rmsprop_update)
    adagrad_update = staticmethod(optim.adagrad_update)
