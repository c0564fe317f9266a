"""The Backend protocol: the only place that knows what an array is.

Every Function calls these primitives on ``ctx.backend`` and never NumPy directly, so swapping the
backend (``numpy`` → ``numba`` → ``cuda``) changes the kernels and nothing else. ``Array`` is the
backend's own array type; shapes are tuples of ints; ``dtype`` arguments are NumPy dtypes.

Rules every backend keeps:

* broadcasting follows NumPy's (which is torch's);
* results keep the dtype of their inputs: the ops cast beforehand with ``astype`` to the dtype
  torch's promotion gives (``minigrad.dtypes.result_type``); Python numbers never widen an array;
* ``reshape_view`` and the view primitives share memory with their input and raise
  ``ValueError`` when that is impossible; everything else returns fresh memory or may alias its
  input (never rely on either).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

Array = Any
Shape = tuple[int, ...]
Axis = int | tuple[int, ...] | None


class Backend(Protocol):
    """What a backend must provide; ``minigrad.backends.numpy_backend`` is the reference."""

    name: str
    array_type: type

    # creation and random numbers
    def as_array(self, x: Any) -> Array: """x as an array of this backend (0-dim results included)."""
    def array(self, data: Any, dtype: Any) -> Array: """A new array from nested lists or a host array."""
    def zeros(self, shape: Shape, dtype: Any) -> Array: """An array of zeros."""
    def ones(self, shape: Shape, dtype: Any) -> Array: """An array of ones."""
    def full(self, shape: Shape, value: float, dtype: Any) -> Array: """An array filled with value."""
    def arange(self, start: float, end: float, step: float, dtype: Any) -> Array: """[start, end) by step."""
    def eye(self, n: int, m: int, dtype: Any) -> Array: """Ones on the diagonal of an n×m array."""
    def manual_seed(self, seed: int) -> None: """Reseed the backend's generator."""
    def rand(self, shape: Shape, dtype: Any) -> Array: """Uniform samples in [0, 1)."""
    def randn(self, shape: Shape, dtype: Any) -> Array: """Standard normal samples."""
    def randint(self, low: int, high: int, shape: Shape, dtype: Any) -> Array: """Integers in [low, high)."""
    def randperm(self, n: int, dtype: Any) -> Array: """A random permutation of 0..n-1."""

    # conversion and memory
    def to_numpy(self, x: Array) -> Any: """A host NumPy array with the same values."""
    def check_range(self, values: Array, low: int, high: int, error: Callable[[], Exception]) -> Array:
        """Refuse values outside [low, high) with ``error()``: at once on the host; on a device
        at the next read back to the host, as a RuntimeError (torch's device-side assert), the
        values returned clamped into range meanwhile. Returns the values to index with."""
    def astype(self, x: Array, dtype: Any) -> Array: """x converted to dtype (x itself when it already is)."""
    def copy(self, x: Array) -> Array: """A contiguous copy."""
    def contiguous(self, x: Array) -> Array: """x if C-contiguous, else a contiguous copy."""
    def is_contiguous(self, x: Array) -> bool: """Whether x is laid out in row-major order."""
    def strides(self, x: Array) -> Shape: """Strides in elements, as torch reports them."""
    def assign(self, x: Array, value: Array | float) -> None: """Write value (broadcast) into x, in place."""

    # elementwise, unary
    def neg(self, x: Array) -> Array: """-x"""
    def abs(self, x: Array) -> Array: """|x|"""
    def sign(self, x: Array) -> Array: """-1, 0 or 1"""
    def exp(self, x: Array) -> Array: """e^x"""
    def log(self, x: Array) -> Array: """ln x (-inf at 0, nan below)"""
    def sqrt(self, x: Array) -> Array: """√x"""
    def rsqrt(self, x: Array) -> Array: """1/√x"""
    def reciprocal(self, x: Array) -> Array: """1/x"""
    def sin(self, x: Array) -> Array: """sin x"""
    def cos(self, x: Array) -> Array: """cos x"""
    def tanh(self, x: Array) -> Array: """tanh x"""
    def sigmoid(self, x: Array) -> Array: """1/(1+e^-x), without overflow"""
    def relu(self, x: Array) -> Array: """max(x, 0): nan stays nan, as in torch"""
    def floor(self, x: Array) -> Array: """⌊x⌋"""
    def trunc(self, x: Array) -> Array: """x rounded toward zero"""
    def logical_not(self, x: Array) -> Array: """not x, as bool"""

    # fused activation gradients: the incoming gradient times the derivative, from the output y
    def tanh_backward(self, grad: Array, y: Array) -> Array: """grad·(1 - y²)"""
    def sigmoid_backward(self, grad: Array, y: Array) -> Array: """grad·y·(1 - y)"""
    def relu_backward(self, grad: Array, y: Array) -> Array: """0 where y <= 0, else grad (nan y passes grad)"""

    # special functions for the activations (nn.functional)
    def expm1(self, x: Array) -> Array: """eˣ - 1, accurate for small x"""
    def log1p(self, x: Array) -> Array: """ln(1 + x), accurate for small x"""
    def erf(self, x: Array) -> Array: """the error function 2/√π ∫₀ˣ e^(-t²) dt, to double precision"""

    # elementwise, binary (with broadcasting; either side may be a Python number)
    def add(self, a: Array, b: Array) -> Array: """a + b"""
    def sub(self, a: Array, b: Array) -> Array: """a - b"""
    def mul(self, a: Array, b: Array) -> Array: """a * b"""
    def div(self, a: Array, b: Array) -> Array: """a / b (true division)"""
    def floor_divide(self, a: Array, b: Array) -> Array: """⌊a / b⌋"""
    def pow(self, a: Array, b: Array) -> Array: """a ** b"""
    def maximum(self, a: Array, b: Array) -> Array: """elementwise max, nan wins"""
    def minimum(self, a: Array, b: Array) -> Array: """elementwise min, nan wins"""
    def compare(self, op: str, a: Array, b: Array) -> Array: """a op b as bool, op in eq ne lt le gt ge"""
    def logical(self, op: str, a: Array, b: Array) -> Array: """a op b as bool, op in and or xor"""
    def bitwise(self, op: str, a: Array, b: Array) -> Array: """a op b bit by bit, op in and or xor"""
    def bitwise_not(self, x: Array) -> Array: """~x bit by bit (logical not for bool)"""

    # elementwise, ternary
    def where(self, cond: Array, a: Array, b: Array) -> Array: """a where cond else b"""
    def clip(self, x: Array, low: Any, high: Any) -> Array: """min(max(x, low), high); None means no bound"""

    # reductions (axis None reduces everything)
    def sum(self, x: Array, axis: Axis, keepdims: bool) -> Array: """Σ over axis"""
    def amax(self, x: Array, axis: Axis, keepdims: bool) -> Array: """max over axis, nan wins"""
    def amin(self, x: Array, axis: Axis, keepdims: bool) -> Array: """min over axis, nan wins"""
    def argmax(self, x: Array, axis: int | None, keepdims: bool) -> Array: """index of the first max"""
    def argmin(self, x: Array, axis: int | None, keepdims: bool) -> Array: """index of the first min"""
    def any(self, x: Array) -> bool: """whether some element is true"""

    # softmax family (fused hot paths: one pass per row in the kernels; a 0-dim x is one row)
    def softmax(self, x: Array, axis: int) -> Array: """e^(x - max) / Σ e^(x - max) along axis"""
    def log_softmax(self, x: Array, axis: int) -> Array: """x - max - ln Σ e^(x - max) along axis"""
    def cross_entropy_forward(self, x: Array, target: Array, picked: Array) -> tuple[Array, Array, Array]:
        """(picked·(ln s - (x[n, target] - m)), m, ln s) per row of x (N, C); m = max, s = Σ e^(x - m); loss 0 where target < 0 (ignored)"""
    def cross_entropy_backward(self, x: Array, target: Array, row_max: Array, log_sum: Array, scale: Array) -> Array:
        """(e^((x - m) - ln s) - onehot(target))·scale per row of x (N, C), from the forward's m and ln s; no onehot where target < 0"""

    # normalisation statistics (fused hot path: batch, layer and group norm)
    def moments(self, x: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
        """mean and biased variance Σ(x - mean)²/n over axes (kept as size 1), computed stably"""
    def scale_shift(self, x: Array, scale: Array, shift: Array, axes: tuple[int, ...]) -> Array:
        """x·scale + shift (two roundings, as torch), scale and shift broadcast along axes"""
    def normalize_backward(self, grad: Array, x: Array, mean: Array, rstd: Array,
                           weight: Array | None, axes: tuple[int, ...],
                           param_shape: tuple[int, ...] | None,
                           needs: tuple[bool, bool, bool]) -> tuple[Array | None, ...]:
        """with x̂ = (x - mean)·rstd, h = grad·weight·rstd and means over axes: (h - mean(h) -
        x̂·mean(h·x̂), Σ grad·x̂, Σ grad), the last two summed to param_shape; None where not needs"""

    # linear algebra
    def matmul(self, a: Array, b: Array) -> Array: """matrix product with NumPy's (torch's) batching"""

    # convolution (torch's unfold/fold layout): x (N, C, H, W) ↔ columns (N, C·kh·kw, L), where
    # L = oh·ow sliding blocks in row-major order and column c·kh·kw + i·kw + j holds the pixel under
    # kernel offset (i, j) of channel c; pairs are (height, width), padding is zeros on both sides
    def im2col(self, x: Array, kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> Array: """unfold: the sliding blocks of x as columns"""
    def col2im(self, cols: Array, output_size: tuple[int, int], kernel_size: tuple[int, int],
               dilation: tuple[int, int], padding: tuple[int, int], stride: tuple[int, int]) -> Array: """fold: columns summed back into an (N, C, *output_size) array (overlaps add up)"""

    # shapes and views
    def reshape(self, x: Array, shape: Shape) -> Array: """x with a new shape (a copy when needed)"""
    def reshape_view(self, x: Array, shape: Shape) -> Array: """x with a new shape, sharing memory"""
    def transpose(self, x: Array, axes: Sequence[int]) -> Array: """permuted view"""
    def broadcast_to(self, x: Array, shape: Shape) -> Array: """read-only broadcast view"""
    def concatenate(self, xs: Sequence[Array], axis: int) -> Array: """join along an axis"""
    def stack(self, xs: Sequence[Array], axis: int) -> Array: """join along a new axis"""

    # indexing
    def getitem(self, x: Array, index: Any) -> Array: """x[index] with NumPy's indexing rules"""
    def setitem(self, x: Array, index: Any, value: Any) -> None: """x[index] = value, in place"""
    def add_at(self, x: Array, index: Any, values: Array) -> None: """x[index] += values, repeated indices add up"""
    def take(self, x: Array, index: Array, axis: int) -> Array: """index_select"""
    def gather(self, x: Array, axis: int, index: Array) -> Array: """out[i][j] = x[i][index[i][j]] (axis 1)"""
    def scatter_add(self, x: Array, axis: int, index: Array, src: Array) -> None: """x[i][index[i][j]] += src[i][j], in place"""

    # pooling (hot paths) on (N, C, H, W) arrays; 1-d pools are 2-d pools over a height of 1.
    # Pairs are (height, width); the caller gives the output size (torch's formula, ceil_mode included).
    def max_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, dilation: Shape,
                   out_size: Shape) -> tuple[Array, Array]:
        """max of each window (padding is -inf; the first maximum wins, NaN always wins) and its
        index, flat over H·W, as int64"""
    def max_pool2d_backward(self, grad: Array, indices: Array, input_size: Shape) -> Array:
        """zeros of shape (N, C, *input_size) with grad added at the flat indices (repeats add up)"""
    def avg_pool2d(self, x: Array, kernel: Shape, stride: Shape, padding: Shape, out_size: Shape,
                   count_include_pad: bool, divisor_override: int | None) -> Array:
        """Σ window / divisor (the window's size, padding counted or not, or divisor_override)"""
    def avg_pool2d_backward(self, grad: Array, input_size: Shape, kernel: Shape, stride: Shape,
                            padding: Shape, count_include_pad: bool,
                            divisor_override: int | None) -> Array:
        """each grad / divisor added to every input position of its window"""
    def adaptive_avg_pool2d(self, x: Array, out_size: Shape) -> Array:
        """mean over rows ⌊i·H/out⌋ ≤ h < ⌈(i+1)·H/out⌉ (likewise columns)"""
    def adaptive_avg_pool2d_backward(self, grad: Array, input_size: Shape) -> Array:
        """each grad / window size added to every input position of its adaptive window"""
    def adaptive_max_pool2d(self, x: Array, out_size: Shape) -> tuple[Array, Array]:
        """max of each adaptive window (the first maximum wins, NaN always wins) and its flat index"""

    # optimizer updates (fused hot paths, in place). Scalars are Python floats, cast once to the
    # parameter's dtype; the direction is g = ±grad (minus when maximize) + weight_decay·param.
    def sgd_update(self, param: Array, grad: Array, buf: Array | None, lr: float, weight_decay: float,
                   momentum: float, dampening: float, nesterov: bool,
                   maximize: bool) -> Array | None:
        """buf = momentum·buf + (1-dampening)·g (a copy of g when None); p -= lr·(nesterov ?
        g + momentum·buf : buf), or lr·g without momentum; returns buf."""
    def adam_update(self, param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array,
                    max_exp_avg_sq: Array | None, lr: float, beta1: float, beta2: float, eps: float,
                    weight_decay: float, decoupled_weight_decay: bool, maximize: bool,
                    step_size: float, bias_correction2_sqrt: float) -> None:
        """p *= 1 - lr·wd when decoupled; m = lerp(m, g, 1-β1); v = β2·v + (1-β2)·g²;
        v̂ = max(v̂, v) when given (else v); p -= step_size·m / (√v̂/bias_correction2_sqrt + eps)."""
    def rmsprop_update(self, param: Array, grad: Array, square_avg: Array, grad_avg: Array | None,
                       momentum_buffer: Array | None, lr: float, alpha: float, eps: float,
                       weight_decay: float, momentum: float, maximize: bool) -> None:
        """s = α·s + (1-α)·g²; avg = √(s - ḡ²) + eps with ḡ = lerp(ḡ, g, 1-α) when given, else
        √s + eps; p -= lr·buf with buf = momentum·buf + g/avg when given, else lr·g/avg."""
    def adagrad_update(self, param: Array, grad: Array, state_sum: Array, clr: float, eps: float,
                       weight_decay: float, maximize: bool) -> None:
        """sum += g²; p -= clr·g / (√sum + eps)."""
