"""Random numbers on the device: Numba's xoroshiro128+ generator, one state per thread.

xoroshiro128+ (Blackman and Vigna, 2018) is a sequential generator: a state of 128 bits, updated
by every draw. Thousands of threads cannot share one state, so each thread of a sampling launch
owns one (``STATES`` of them, kept on the device between launches, 16 bytes each). Thread t draws
the elements t, t + STATES, t + 2·STATES, ... of the output, one after the other from its own
state (a grid-stride loop): the values depend only on the seed and on the draws made before,
never on timing.

Seeding, on the device: ``manual_seed(s)`` gives state t Numba's own seeding of the value
s + t·φ (φ = 0x9E3779B97F4A7C15, the golden-ratio increment): SplitMix64 scrambles it into
128 bits, so neighbouring seeds give unrelated states. Numba's ``create_xoroshiro128p_states``
instead jumps each state 2⁶⁴ draws past the previous one, which guarantees streams that never
overlap, but it works on the host, state after state (3 ms a state in the simulator, where it
cannot compile); with a period of 2¹²⁸ - 1, independently seeded streams overlap with
negligible probability.

The draws are Numba's device functions: uniform floats from the top 24 (float32) or 53 (float64)
bits, normal samples by Box-Muller, integers from the raw 64 bits (``low + bits mod span``). The
values differ from torch's (torch's CUDA generator is Philox): only their distribution compares.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
from numba import cuda, int64, uint64
from numba.core.errors import NumbaDeprecationWarning

from .device import SIMULATOR, Array

with warnings.catch_warnings():  # in the simulator, Numba's module asks for its object mode
    warnings.simplefilter("ignore", NumbaDeprecationWarning)
    from numba.cuda.random import (init_xoroshiro128p_state, xoroshiro128p_dtype, xoroshiro128p_next,
                                   xoroshiro128p_normal_float32, xoroshiro128p_normal_float64,
                                   xoroshiro128p_uniform_float32, xoroshiro128p_uniform_float64)

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}

# In the simulator the generator runs on NumPy uint64 scalars, which warn when they wrap around
# (the GPU wraps silently, as the generator expects).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)
warnings.filterwarnings("ignore", category=RuntimeWarning, module="numba.cuda.random")

STATES = 1024 if SIMULATOR else 65536  # generators, one per thread of a sampling launch
THREADS = 256  # per block: STATES // THREADS blocks
_GOLDEN = 0x9E3779B97F4A7C15


@cuda.jit
def _seed_kernel(states, seed):
    """state t = Numba's SplitMix64 seeding of seed + t·φ."""
    t = cuda.grid(1)
    if t < states.size:
        init_xoroshiro128p_state(states, t, seed + uint64(t) * uint64(_GOLDEN))


# Numba's draws, by (distribution, dtype)
DRAWS = {("uniform", np.float32): xoroshiro128p_uniform_float32,
         ("uniform", np.float64): xoroshiro128p_uniform_float64,
         ("normal", np.float32): xoroshiro128p_normal_float32,
         ("normal", np.float64): xoroshiro128p_normal_float64}


@cache
def _sampling_kernel(distribution: str, dtype: type):
    draw = DRAWS[distribution, dtype]

    @cuda.jit
    def kernel(states, out):
        """out[i] = a draw from state i mod STATES (thread t draws its elements in turn)."""
        t = cuda.grid(1)
        if t < states.size:
            for i in range(t, out.size, states.size):
                out[i] = draw(states, t)
    return kernel


@cuda.jit
def _integer_kernel(states, out, low, span):
    """out[i] = low + (64 random bits mod span): a bias below span/2⁶⁴, negligible."""
    t = cuda.grid(1)
    if t < states.size:
        for i in range(t, out.size, states.size):
            out[i] = low + int64(xoroshiro128p_next(states, t) % span)


class XoroshiroGenerator:
    """The host side of the generator: the seed, and the states on the device (made on the
    first draw after ``manual_seed``)."""

    def __init__(self, seed: int = 0) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """Restart every stream from ``seed``."""
        self.seed = np.uint64(seed % 2**64)
        self.states: Array | None = None

    def _launch(self, kernel, out: Array, *args) -> Array:
        """Run a sampling kernel over out's elements, one thread per state."""
        if out.size:
            if self.states is None:
                self.states = cuda.device_array(STATES, dtype=xoroshiro128p_dtype)
                _seed_kernel[STATES // THREADS, THREADS](self.states, self.seed)
            kernel[STATES // THREADS, THREADS](self.states, out.reshape(out.size), *args)
        return out

    def rand(self, shape: tuple[int, ...], dtype: np.dtype) -> Array:
        """Uniform samples in [0, 1) (float32 or float64)."""
        kernel = _sampling_kernel("uniform", np.dtype(dtype).type)
        return self._launch(kernel, cuda.device_array(shape, dtype))

    def randn(self, shape: tuple[int, ...], dtype: np.dtype) -> Array:
        """Standard normal samples (float32 or float64)."""
        kernel = _sampling_kernel("normal", np.dtype(dtype).type)
        return self._launch(kernel, cuda.device_array(shape, dtype))

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: np.dtype) -> Array:
        """Integers in [low, high)."""
        return self._launch(_integer_kernel, cuda.device_array(shape, dtype), np.int64(low),
                            np.uint64(high - low))
