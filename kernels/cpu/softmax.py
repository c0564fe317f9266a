"""The softmax family as Numba kernels: softmax, log-softmax and cross-entropy, one row at a time.

Every kernel works on a contiguous 2-d array ``(R, C)`` whose rows are the softmax's groups (the
mixin moves nothing: it reshapes an input whose softmax dim is last). Per row:

1. the maximum ``m`` (subtracted so that ``e^x`` never overflows: ``softmax(x) = softmax(x - m)``);
2. the sum ``s`` of ``e^(x - m)``, each exponential added as soon as it is computed (only softmax
   also writes it to its output; cross-entropy's forward and log-softmax keep nothing);
3. the outputs: ``e^(x - m)/s``, or ``(x - m) - ln s``, or a cross-entropy loss from ``m`` and
   ``ln s``, whose backward recomputes ``softmax = e^((x - m) - ln s)`` from the saved pair in
   one pass per row (exponential, times the scale, minus the onehot term).

A row of 1000 floats (4 KB) stays in the L1 cache between those passes: the full array crosses
memory once per kernel (cross-entropy's forward never writes its N×C log-probabilities).

Rules of every kernel in this file:

* **No races**: the parallel loop runs over rows (or blocks of rows); each writes only its own
  rows. The split does not change any row's arithmetic: results are bitwise the same every run.
* **Float32 in float32**, as torch on the CPU: the maximum and the sum run in ``LANES`` = 16
  independent lanes (torch's AVX-512 vector: lane j takes the elements j, j+16, ...; the lanes
  are added pairwise at the end), which also lets LLVM vectorize the loops without ``fastmath``.
* **A vectorizable exponential, inlined**: libm's ``expf``, called once per element, is a scalar
  call (≈2.4 ns); ``_exp32`` computes ``e^v`` for float32 with Cephes' polynomial and an exponent
  written as bits (≈1 ulp, as torch's Sleef), which LLVM turns into AVX-512 code once it is
  inlined in the loop. Float64 keeps libm's ``exp``; ``_exp`` picks one by ``isinstance``, which
  numba decides at compile time (a test of an array's ``itemsize`` is a runtime branch, left
  inside the loop). NaN stays NaN, ``e^-inf`` is 0, results below 2^-126 are flushed to 0 (torch
  keeps those subnormals: an absolute difference under 1.2e-38).
* **No buffers between the passes**: the exponentials go straight into the lanes (or the output);
  no row of exponentials or of exponent bits is written and read back.
* **No allocation in the loops**: each block allocates its 16 lanes once.

Speed (4096 × 1000 float32, one thread, ``NUMBA_NUM_THREADS=1``, medians on a busy 2-core
machine): cross-entropy forward 2.96 ms (the maximum ≈1.2 ms, the sum of exponentials ≈1.8 ms;
4.6 ms when the exponentials and their exponent bits went through row buffers), backward 1.8 ms
(2.5 ms in three passes over such buffers), softmax 3.4 ms (4.8), log-softmax 3.9 ms (5.7).
The maximum is not vectorized (LLVM keeps the 16 lanes in scalar registers: ``vmaxss``), the
sum of exponentials is (``vrndscaleps``/``vaddps`` on ``zmm``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

Array = np.ndarray
LANES = 16  # elements per vector register of AVX-512 float32: torch's lanes
BLOCK = 32  # rows per parallel iteration (each allocates its lanes once)
_JIT = dict(parallel=True, cache=True, error_model="numpy")

# Cephes' expf, with float32 constants (a Python float would turn float32 arithmetic into float64).
_LOG2E = np.float32(1.44269504088896341)
_LN2_HIGH = np.float32(0.693359375)  # ln 2 = HIGH + LOW; HIGH has few bits, so n·HIGH is exact
_LN2_LOW = np.float32(-2.12194440e-4)
_P0, _P1, _P2 = np.float32(1.9875691500e-4), np.float32(1.3981999507e-3), np.float32(8.3334519073e-3)
_P3, _P4, _P5 = np.float32(4.1665795894e-2), np.float32(1.6666665459e-1), np.float32(5.0000001201e-1)
_MIN_EXP = np.float32(-87.33654)  # ln 2^-126: below it e^v is flushed to 0
_HALF, _ONE, _ZERO = np.float32(0.5), np.float32(1.0), np.float32(0.0)


@njit(inline="always")
def _exp32(v: float) -> float:
    """e^v for a float32 v: Cephes' polynomial, 2^n written as the bits of a float32."""
    # e^v = 2^n · e^r with n = round(v / ln 2) and |r| ≤ ln 2 / 2: a polynomial in r, and 2^n
    # written directly as the bits of a float32 (exponent field n + 127, mantissa 0).
    clamped = v if v >= _MIN_EXP else _MIN_EXP  # NaN and -inf too: they never reach the bits
    n = np.floor(clamped * _LOG2E + _HALF)
    r = (clamped - n * _LN2_HIGH) - n * _LN2_LOW
    p = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * r * r + r + _ONE
    two_n = np.int32((np.int32(n) + np.int32(127)) << np.int32(23)).view(np.float32)
    return p * two_n if v >= _MIN_EXP else (_ZERO if v < _MIN_EXP else v)  # NaN stays NaN


@njit(inline="always")
def _exp(v: float) -> float:
    """e^v: ``_exp32`` for float32, libm's ``exp`` for float64 (``isinstance`` is decided at
    compile time; an array's ``itemsize`` would be a runtime test inside the loop)."""
    if isinstance(v, np.float32):
        return _exp32(v)
    return np.exp(v)


@njit(inline="always")
def _row_max(row: Array, lanes: Array) -> float:
    """max(row) in LANES running maxima (a NaN is skipped here, but makes the row's sum NaN)."""
    lanes[:] = -np.inf
    stop = row.size - row.size % LANES
    for start in range(0, stop, LANES):
        for j in range(LANES):
            v = row[start + j]
            lanes[j] = v if v > lanes[j] else lanes[j]
    for j in range(row.size - stop):
        v = row[stop + j]
        lanes[j] = v if v > lanes[j] else lanes[j]
    width = LANES // 2
    while width:
        for j in range(width):
            lanes[j] = lanes[j + width] if lanes[j + width] > lanes[j] else lanes[j]
        width //= 2
    return lanes[0]


@njit(inline="always")
def _row_sum_exp(row: Array, m: float, lanes: Array, out: Array) -> float:
    """Σ e^(row - m) in LANES partial sums, then added pairwise (torch's order for AVX-512);
    writes each e^(row[c] - m) to ``out[c]`` where ``out`` has the row's length (softmax)."""
    lanes[:] = 0
    keep = out.size == row.size
    stop = row.size - row.size % LANES
    for start in range(0, stop, LANES):
        for j in range(LANES):
            e = _exp(row[start + j] - m)
            lanes[j] += e
            if keep:
                out[start + j] = e
    for j in range(row.size - stop):
        e = _exp(row[stop + j] - m)
        lanes[j] += e
        if keep:
            out[stop + j] = e
    width = LANES // 2
    while width:
        for j in range(width):
            lanes[j] += lanes[j + width]
        width //= 2
    return lanes[0]


@njit(**_JIT)
def softmax_rows(x: Array, out: Array) -> None:
    """out[r] = e^(x[r] - m) · (1 / Σ e^(x[r] - m)), row by row (torch multiplies by the reciprocal)."""
    rows, cols = x.shape
    for block in prange((rows + BLOCK - 1) // BLOCK):
        lanes = np.empty(LANES, x.dtype)
        for r in range(block * BLOCK, min(rows, (block + 1) * BLOCK)):
            inverse = _ONE / _row_sum_exp(x[r], _row_max(x[r], lanes), lanes, out[r])
            for c in range(cols):
                out[r, c] *= inverse


@njit(**_JIT)
def log_softmax_rows(x: Array, out: Array) -> None:
    """out[r] = (x[r] - m) - ln Σ e^(x[r] - m), row by row (torch's order of the subtractions)."""
    rows, cols = x.shape
    for block in prange((rows + BLOCK - 1) // BLOCK):
        lanes, nothing = np.empty(LANES, x.dtype), np.empty(0, x.dtype)
        for r in range(block * BLOCK, min(rows, (block + 1) * BLOCK)):
            m = _row_max(x[r], lanes)
            log_sum = np.log(_row_sum_exp(x[r], m, lanes, nothing))
            for c in range(cols):
                out[r, c] = (x[r, c] - m) - log_sum


@njit(**_JIT)
def cross_entropy_forward_rows(x: Array, target: Array, picked: Array, loss: Array,
                               row_max: Array, log_sum: Array) -> None:
    """loss[r] = picked[r]·(ln s - (x[r, t] - m)) = -picked[r]·log_softmax(x)[r, t], t = target[r]
    (0 where t < 0: an ignored row); keeps m and ln s of each row for the backward."""
    rows, cols = x.shape
    for block in prange((rows + BLOCK - 1) // BLOCK):
        lanes, nothing = np.empty(LANES, x.dtype), np.empty(0, x.dtype)
        for r in range(block * BLOCK, min(rows, (block + 1) * BLOCK)):
            m = _row_max(x[r], lanes)
            row_log_sum = np.log(_row_sum_exp(x[r], m, lanes, nothing))
            row_max[r], log_sum[r] = m, row_log_sum
            t = target[r]
            loss[r] = picked[r] * (row_log_sum - (x[r, t] - m)) if t >= 0 else 0


@njit(**_JIT)
def cross_entropy_backward_rows(x: Array, target: Array, row_max: Array, log_sum: Array,
                                scale: Array, grad: Array) -> None:
    """grad[r] = (softmax(x)[r] - onehot(target[r]))·scale[r], softmax = e^((x - m) - ln s)
    (no onehot where target[r] < 0)."""
    rows, cols = x.shape
    for r in prange(rows):
        m, row_log_sum, s = row_max[r], log_sum[r], scale[r]
        for c in range(cols):
            grad[r, c] = _exp((x[r, c] - m) - row_log_sum) * s
        if target[r] >= 0:
            grad[r, target[r]] -= s


class SoftmaxKernels:
    """The softmax-family primitives of the numba backend (see ``minigrad/backends/base.py``)."""

    def softmax(self, x: Array, axis: int) -> Array:
        out = _along_rows(softmax_rows, x, axis)
        return super().softmax(x, axis) if out is None else out

    def log_softmax(self, x: Array, axis: int) -> Array:
        out = _along_rows(log_softmax_rows, x, axis)
        return super().log_softmax(x, axis) if out is None else out

    def cross_entropy_forward(self, x: Array, target: Array, picked: Array) -> tuple[Array, Array, Array]:
        if x.dtype.kind != "f" or x.size == 0:
            return super().cross_entropy_forward(x, target, picked)
        rows = x.shape[0]
        loss, row_max, log_sum = (np.empty(rows, x.dtype) for _ in range(3))
        cross_entropy_forward_rows(np.ascontiguousarray(x), _indices(target),
                                   np.ascontiguousarray(picked, x.dtype), loss, row_max, log_sum)
        return loss, row_max, log_sum

    def cross_entropy_backward(self, x: Array, target: Array, row_max: Array, log_sum: Array,
                               scale: Array) -> Array:
        if x.dtype.kind != "f" or x.size == 0:
            return super().cross_entropy_backward(x, target, row_max, log_sum, scale)
        grad = np.empty(x.shape, x.dtype)
        cross_entropy_backward_rows(np.ascontiguousarray(x), _indices(target), row_max, log_sum,
                                    np.ascontiguousarray(scale, x.dtype).reshape(-1), grad)
        return grad


def _along_rows(kernel: Any, x: Array, axis: int) -> Array | None:
    """``kernel(rows, out)`` over the rows of x (axis last), or None where it does not apply."""
    rows = _as_rows(x, axis)
    if rows is None:
        return None
    out = np.empty(rows.shape, x.dtype)
    kernel(rows, out)
    return out.reshape(x.shape)


def _as_rows(x: Array, axis: int) -> Array | None:
    """x as contiguous rows (R, C) along ``axis``, or None where the NumPy reference is as fast:
    a 0-dim or empty x, an integer one, or an axis that is not the last (its copy would cost
    more than the kernel saves)."""
    if x.ndim == 0 or x.size == 0 or x.dtype.kind != "f" or axis not in (-1, x.ndim - 1):
        return None
    return np.ascontiguousarray(x).reshape(-1, x.shape[-1])


def _indices(target: Array) -> Array:
    """The targets as a flat contiguous int64 array (one signature per float dtype)."""
    return np.ascontiguousarray(target, np.int64).reshape(-1)
