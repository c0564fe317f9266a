"""Random numbers on the device: a counter-based generator (SplitMix64), one thread per element.

A sequential generator (a state updated by every draw) does not suit thousands of threads: each
thread would need its own state, kept between launches (Numba's xoroshiro128+ keeps one per
thread and jumps them 2⁶⁴ draws apart: seconds to set up in the simulator). A **counter-based**
generator, the design of torch's own CUDA generator (Philox), has no state: the number drawn for
element i is a hash of (seed, counter + i). Thread i computes its element alone, whatever the
grid, so the result does not depend on the launch sizes, and no two threads share anything. The
host keeps the seed and the counter, and moves the counter past the numbers of each launch.

The hash is SplitMix64's finaliser (Steele, Lea and Flood, 2014): add the golden-ratio increment,
then xor-shift-multiply three times; its 64 output bits pass BigCrush. Uniform floats take its 53
(float64) or 24 (float32) top bits divided by 2⁵³ or 2²⁴: exactly representable, in [0, 1).
Normal samples use Box-Muller on two uniforms: √(-2 ln u₁)·cos(2π u₂) with u₁ in (0, 1].
The values differ from torch's (another generator): only their distribution is comparable.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numba import cuda, int64, uint64

from .device import Array, blocks_for, threads_for

# Numba's CUDA simulator reads this module's globals in every call of one of its device functions,
# from many threads at once; the first NumPy warning raised here (say 0·inf in a simulated kernel)
# would add ``__warningregistry__`` to those globals in the middle of such a read. It exists from
# the start instead.
__warningregistry__: dict = {}

# In the simulator the hash runs on NumPy uint64 scalars, which warn when they wrap around (the
# GPU wraps silently, as the hash expects).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

_GOLDEN = 0x9E3779B97F4A7C15


@cuda.jit(device=True)
def _hash(seed, counter):
    """SplitMix64 of the counter in the stream ``seed``: 64 well-mixed bits."""
    z = seed + counter * uint64(_GOLDEN)
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return z ^ (z >> uint64(31))


@cuda.jit(device=True)
def _uniform(seed, counter, bits):
    """A float64 in [0, 1) from the top ``bits`` bits of the hash."""
    return (_hash(seed, counter) >> uint64(64 - bits)) / float(uint64(1) << uint64(bits))


@cuda.jit
def _uniform_kernel(out, seed, start, bits):
    """out[i] = uniform number ``start + i`` of the stream."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _uniform(seed, uint64(start) + uint64(i), bits)


@cuda.jit
def _normal_kernel(out, seed, start, bits):
    """out[i] = √(-2 ln u₁)·cos(2π u₂), u₁ = 1 - uniform 2·(start+i), u₂ = uniform 2·(start+i)+1."""
    i = cuda.grid(1)
    if i < out.size:
        counter = uint64(2) * (uint64(start) + uint64(i))
        u1 = 1.0 - _uniform(seed, counter, bits)
        u2 = _uniform(seed, counter + uint64(1), bits)
        out[i] = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@cuda.jit
def _integer_kernel(out, seed, start, low, span):
    """out[i] = low + hash(start + i) mod span (a bias below span/2⁶⁴: negligible)."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = low + int64(_hash(seed, uint64(start) + uint64(i)) % uint64(span))


class CounterGenerator:
    """The host side of the generator: the seed and how many numbers were drawn so far."""

    def __init__(self, seed: int = 0) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """Restart the stream ``seed`` from its first number."""
        self.seed = np.uint64(seed % 2**64)
        self.counter = 0

    def _launch(self, kernel, out: Array, per_element: int, *args) -> Array:
        """Run kernel over out's elements from the current counter, then move the counter past
        the ``per_element`` numbers each element used."""
        if out.size:
            start = -(-self.counter // per_element)  # the first unused group of numbers
            threads = threads_for(out.size)
            kernel[blocks_for(out.size, threads), threads](
                out.reshape(out.size), self.seed, np.uint64(start), *args)
            self.counter = per_element * (start + out.size)
        return out

    def rand(self, shape: tuple[int, ...], dtype: np.dtype) -> Array:
        """Uniform samples in [0, 1)."""
        bits = 24 if np.dtype(dtype) == np.float32 else 53
        return self._launch(_uniform_kernel, cuda.device_array(shape, dtype), 1, bits)

    def randn(self, shape: tuple[int, ...], dtype: np.dtype) -> Array:
        """Standard normal samples."""
        bits = 24 if np.dtype(dtype) == np.float32 else 53
        return self._launch(_normal_kernel, cuda.device_array(shape, dtype), 2, bits)

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: np.dtype) -> Array:
        """Integers in [low, high)."""
        return self._launch(_integer_kernel, cuda.device_array(shape, dtype), 1, np.int64(low),
                            np.uint64(high - low))
