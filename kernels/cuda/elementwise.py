"""Elementwise kernels: unary, binary and ternary ops with NumPy broadcasting and any strides.

Rules of every kernel in this file:

* **One thread per output element**: thread ``i`` (``cuda.grid(1)``) writes ``out[i]`` only, so
  no two threads write the same place: no races, no atomics, no ``syncthreads``.
* **Broadcasting and strides by arithmetic**: each input is read through its flat storage with its
  own strides (0 along a broadcast dimension); the thread turns its linear index ``i`` in the
  (contiguous) output into each input's offset (``device.offset_of``). A contiguous input is read
  at consecutive addresses by consecutive threads: the reads of a warp are **coalesced** into a
  few memory transactions. A transposed input is not (each thread jumps by a stride).
* **Typed constants**: the kernels receive ``one`` and ``zero`` as scalars of the output's dtype,
  so that float32 stays float32 (a Python literal would widen to float64).
* **torch's special values**: log(0) = -inf and log(x<0) = nan; √(x<0) = nan; relu keeps nan;
  maximum/minimum propagate nan. (The guards also keep the simulator, which runs Python's
  ``math``, from raising where the GPU returns inf or nan.)

Each op is a small device function; ``_unary_kernel(op)`` (and the binary/ternary factories) wrap
it into a kernel once, on first use. Launchers: ``unary(op, x)``, ``binary(op, a, b)``,
``compare(op, a, b)``, ``where(cond, a, b)``, ``copy(x)`` (a contiguous copy of a strided view),
``permute_copy(x, axes)`` (a transposed copy), ``copy_into(dst, src)`` (write src, broadcast,
into a strided view), the fused activation gradients ``tanh_backward``, ``sigmoid_backward`` and
``relu_backward(grad, y)``.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numba import cuda

from .device import (Array, as_device, blocks_for, broadcast_shapes, broadcast_strides, constant,
                     element_strides, flat_storage, is_device_array, offset_of, strided_view,
                     threads_for)

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}


# unary ops: f(x, zero, one), zero and one typed as x.
# math.floor returns an int64 (Python's rule, kept by Numba): a float of magnitude
# ≥ 2⁵² is an integer already, and so are ±inf and nan, which an int cannot hold.
_EXACT = 2.0 ** 52
_EXP_MAX = 709.782712893384  # ln of the largest float64: e^x above it is inf (Python's math raises)


def _neg(x, zero, one): return -x
def _abs(x, zero, one): return -x if x < zero else x
def _sign(x, zero, one): return one if x > zero else (-one if x < zero else zero)  # nan: 0
def _exp(x, zero, one): return math.inf if x > _EXP_MAX else math.exp(x)
def _log(x, zero, one): return -math.inf if x == zero else (math.log(x) if x > zero else math.nan)
def _sqrt(x, zero, one): return math.sqrt(x) if x >= zero else math.nan
def _rsqrt(x, zero, one): return one / math.sqrt(x) if x > zero else (math.inf if x == zero else math.nan)
def _reciprocal(x, zero, one): return one / x
def _sin(x, zero, one): return math.sin(x)
def _cos(x, zero, one): return math.cos(x)
def _tanh(x, zero, one): return math.tanh(x)
def _relu(x, zero, one): return zero if x <= zero else x
def _floor(x, zero, one): return math.floor(x) if abs(x) < _EXACT else x
def _trunc(x, zero, one): return x if not abs(x) < _EXACT else (
    math.floor(x) if x >= zero else -math.floor(-x))
def _expm1(x, zero, one): return math.inf if x > _EXP_MAX else math.expm1(x)
def _log1p(x, zero, one): return math.log1p(x) if x > -one else (-math.inf if x == -one else math.nan)
def _erf(x, zero, one): return math.erf(x)
def _logical_not(x, zero, one): return not x
def _bitwise_not(x, zero, one): return ~x
def _identity(x, zero, one): return x


def _sigmoid(x, zero, one):
    """1/(1+e⁻ˣ) for x ≥ 0, eˣ/(1+eˣ) below: e never overflows (it is at most 1)."""
    if x >= zero:
        return one / (one + math.exp(-x))
    e = math.exp(x)
    return e / (one + e)


UNARY = {name: cuda.jit(device=True)(fn) for name, fn in {
    "neg": _neg, "abs": _abs, "sign": _sign, "exp": _exp, "log": _log, "sqrt": _sqrt,
    "rsqrt": _rsqrt, "reciprocal": _reciprocal, "sin": _sin, "cos": _cos, "tanh": _tanh,
    "sigmoid": _sigmoid, "relu": _relu, "floor": _floor, "trunc": _trunc, "expm1": _expm1,
    "log1p": _log1p, "erf": _erf, "logical_not": _logical_not, "bitwise_not": _bitwise_not,
    "identity": _identity}.items()}


# binary ops: f(a, b, zero, one)
def _add(a, b, zero, one): return a + b
def _sub(a, b, zero, one): return a - b
def _mul(a, b, zero, one): return a * b
def _div(a, b, zero, one): return a / b
def _pow(a, b, zero, one): return a ** b
def _maximum(a, b, zero, one): return a if (a != a or a > b) else (b if (b != b or b > a) else a)
def _minimum(a, b, zero, one): return a if (a != a or a < b) else (b if (b != b or b < a) else a)
def _eq(a, b, zero, one): return a == b
def _ne(a, b, zero, one): return a != b
def _lt(a, b, zero, one): return a < b
def _le(a, b, zero, one): return a <= b
def _gt(a, b, zero, one): return a > b
def _ge(a, b, zero, one): return a >= b
def _tanh_backward(g, y, zero, one): return g * (one - y * y)
def _sigmoid_backward(g, y, zero, one): return g * (one - y) * y
def _relu_backward(g, y, zero, one): return zero if y <= zero else g
def _floor_divide_int(a, b, zero, one): return zero if b == zero else a // b  # Python's floor
def _logical_and(a, b, zero, one): return a != zero and b != zero
def _logical_or(a, b, zero, one): return a != zero or b != zero
def _logical_xor(a, b, zero, one): return (a != zero) != (b != zero)
def _bitwise_and(a, b, zero, one): return a & b
def _bitwise_or(a, b, zero, one): return a | b
def _bitwise_xor(a, b, zero, one): return a ^ b


def _floor_divide(a, b, zero, one):
    """⌊a / b⌋ for floats as torch computes it: from fmod, so that the quotient of exact
    multiples is exact (a / b could round up to the next integer); a / b when b is 0."""
    if b == zero:
        return a / b
    mod = math.fmod(a, b)
    div = (a - mod) / b
    if mod != zero and (b < zero) != (mod < zero):
        div -= one
    if div == zero:
        return math.copysign(zero, a / b)
    floor = math.floor(div) if abs(div) < _EXACT else div
    return floor + one if div - floor > 0.5 else floor


BINARY = {name: cuda.jit(device=True)(fn) for name, fn in {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "pow": _pow, "maximum": _maximum,
    "minimum": _minimum, "eq": _eq, "ne": _ne, "lt": _lt, "le": _le, "gt": _gt, "ge": _ge,
    "tanh_backward": _tanh_backward, "sigmoid_backward": _sigmoid_backward,
    "relu_backward": _relu_backward, "floor_divide": _floor_divide,
    "floor_divide_int": _floor_divide_int, "logical_and": _logical_and,
    "logical_or": _logical_or, "logical_xor": _logical_xor, "bitwise_and": _bitwise_and,
    "bitwise_or": _bitwise_or, "bitwise_xor": _bitwise_xor}.items()}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
BOOL_RESULTS = COMPARISONS + ("logical_and", "logical_or", "logical_xor")


@cache
def _unary_kernel(op: str):
    fn = UNARY[op]

    @cuda.jit
    def kernel(x, x_strides, out, shape, zero, one):
        """out[i] = f(x at position i), out contiguous of ``shape``."""
        i = cuda.grid(1)
        if i < out.size:
            out[i] = fn(x[offset_of(i, shape, x_strides)], zero, one)
    return kernel


@cache
def _binary_kernel(op: str):
    fn = BINARY[op]

    @cuda.jit
    def kernel(a, a_strides, b, b_strides, out, shape, zero, one):
        """out[i] = f(a at position i, b at position i), both broadcast to ``shape``."""
        i = cuda.grid(1)
        if i < out.size:
            out[i] = fn(a[offset_of(i, shape, a_strides)], b[offset_of(i, shape, b_strides)],
                        zero, one)
    return kernel


@cuda.jit
def _where_kernel(cond, c_strides, a, a_strides, b, b_strides, out, shape):
    """out[i] = a[i] if cond[i] else b[i], all three broadcast to ``shape``."""
    i = cuda.grid(1)
    if i < out.size:
        if cond[offset_of(i, shape, c_strides)]:
            out[i] = a[offset_of(i, shape, a_strides)]
        else:
            out[i] = b[offset_of(i, shape, b_strides)]


@cuda.jit
def _scatter_copy_kernel(src, s_strides, dst, d_strides, shape, size):
    """dst at position i = src at position i: writes through the destination's strides."""
    i = cuda.grid(1)
    if i < size:
        dst[offset_of(i, shape, d_strides)] = src[offset_of(i, shape, s_strides)]


def _launch_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A 0-dim result is computed as one element of shape (1,) (kernels loop over dimensions)."""
    return shape if shape else (1,)


def _pad(strides: tuple[int, ...]) -> tuple[int, ...]:
    return strides if strides else (0,)


def unary(op: str, x: Array) -> Array:
    """f(x) elementwise, as a new contiguous array (bool for ``logical_not``, else x's dtype)."""
    dtype = np.dtype(np.bool_ if op == "logical_not" else x.dtype)
    out = cuda.device_array(x.shape, dtype)
    if x.size:
        flat, strides = flat_storage(x)
        threads = threads_for(x.size)
        _unary_kernel(op)[blocks_for(x.size, threads), threads](
            flat, _pad(strides), out.reshape(out.size),
            _launch_shape(tuple(x.shape)), constant(x.dtype, 0), constant(x.dtype, 1))
    return out


def binary(op: str, a: Array | float, b: Array | float) -> Array:
    """a op b with broadcasting; a Python number takes the other side's dtype. Comparisons and
    logical ops give bool, the other ops the inputs' (common) dtype."""
    dtype = (b if is_device_array(b) else a).dtype
    a, b = as_device(a, dtype), as_device(b, dtype)
    shape = broadcast_shapes(tuple(a.shape), tuple(b.shape))
    out = cuda.device_array(shape, np.bool_ if op in BOOL_RESULTS else a.dtype)
    size = out.size
    if size:
        (fa, sa), (fb, sb) = broadcast_strides(a, shape), broadcast_strides(b, shape)
        threads = threads_for(size)
        _binary_kernel(op)[blocks_for(size, threads), threads](
            fa, _pad(sa), fb, _pad(sb), out.reshape(size), _launch_shape(shape),
            constant(a.dtype, 0), constant(a.dtype, 1))
    return out


def compare(op: str, a: Array | float, b: Array | float) -> Array:
    """a op b as bool, op in eq ne lt le gt ge."""
    if op not in COMPARISONS:
        raise ValueError(f"unknown comparison {op!r}")
    return binary(op, a, b)


def tanh_backward(grad: Array, y: Array) -> Array:
    """grad·(1 - y²)"""
    return binary("tanh_backward", grad, y)


def sigmoid_backward(grad: Array, y: Array) -> Array:
    """grad·(1 - y)·y"""
    return binary("sigmoid_backward", grad, y)


def relu_backward(grad: Array, y: Array) -> Array:
    """0 where y <= 0, else grad (a nan y passes grad)"""
    return binary("relu_backward", grad, y)


def where(cond: Array, a: Array | float, b: Array | float) -> Array:
    """a where cond else b, the three broadcast together."""
    dtype = (b if is_device_array(b) else a).dtype
    cond, a, b = as_device(cond, np.bool_), as_device(a, dtype), as_device(b, dtype)
    shape = broadcast_shapes(tuple(cond.shape), tuple(a.shape), tuple(b.shape))
    out = cuda.device_array(shape, a.dtype)
    size = out.size
    if size:
        (fc, sc), (fa, sa), (fb, sb) = (broadcast_strides(v, shape) for v in (cond, a, b))
        threads = threads_for(size)
        _where_kernel[blocks_for(size, threads), threads](
            fc, _pad(sc), fa, _pad(sa), fb, _pad(sb), out.reshape(size), _launch_shape(shape))
    return out


def copy(x: Array) -> Array:
    """A contiguous copy of x (x may be any strided view)."""
    return unary("identity", x)


def permute_copy(x: Array, axes: tuple[int, ...]) -> Array:
    """x.transpose(axes) as a new contiguous array: the identity kernel reading x with its
    strides permuted (output dimension d is x's dimension axes[d])."""
    strides = element_strides(x)
    view = strided_view(x, tuple(x.shape[a] for a in axes), tuple(strides[a] for a in axes))
    return copy(view)


def contiguous(x: Array) -> Array:
    """x itself when it is C-contiguous, else a contiguous copy."""
    return x if x.is_c_contiguous() else copy(x)


def copy_into(dst: Array, src: Array | float) -> None:
    """dst[...] = src (broadcast to dst's shape, cast to its dtype), dst any strided view."""
    src = as_device(src, dst.dtype)
    shape = tuple(dst.shape)
    if not dst.size:
        return
    fs, ss = broadcast_strides(src, shape)
    fd, sd = flat_storage(dst)
    threads = threads_for(dst.size)
    _scatter_copy_kernel[blocks_for(dst.size, threads), threads](
        fs, _pad(ss), fd, _pad(sd), _launch_shape(shape), dst.size)
