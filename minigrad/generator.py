"""``minigrad.Generator``: a random number source with its own state, as ``torch.Generator``.

The DataLoader's shuffling and ``random_split`` draw from a Generator, so that a seed fixes the
order of the batches without touching the global random state. Inside is NumPy's PCG64, so the
numbers differ from torch's (its Mersenne Twister): same seed, same API, other values.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

__all__ = ["Generator"]

DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()


class Generator:
    """A seeded source of random permutations and integers (NumPy's PCG64 inside)."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) not in ("cpu", "numpy"):
            raise NotImplementedError(f"minigrad.Generator lives on the CPU; device={device!r} "
                                      "is not supported")
        self.device = str(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (any int64 or uint64; negative seeds wrap as in torch)."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -2**63 <= seed < 2**64:
            raise ValueError(f"Overflow when unpacking long long: seed {seed} does not fit in 64 bits")
        self._seed = seed % 2**64
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        """The seed this generator was last started from."""
        return self._seed

    def seed(self) -> int:
        """Restart from a fresh non-deterministic seed, and return it."""
        self.manual_seed(int(np.random.SeedSequence().generate_state(1, np.uint64)[0]))
        return self._seed

    def get_state(self) -> dict:
        """The full state, as a dict of ints and strings (torch gives a ByteTensor instead)."""
        return {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, new_state: dict) -> Generator:
        """Continue from a state given by ``get_state``."""
        seed, inner = new_state["seed"], new_state["bit_generator"]
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = inner
        self._seed, self._rng = seed, rng
        return self

    def randperm(self, n: int) -> np.ndarray:
        """A random permutation of 0..n-1 as an int64 array."""
        return self._rng.permutation(operator.index(n)).astype(np.int64)

    def randint(self, high: int, size: int) -> np.ndarray:
        """``size`` integers drawn uniformly from [0, high) as an int64 array."""
        return self._rng.integers(0, high, size, dtype=np.int64)

    def randn(self, size: int) -> np.ndarray:
        """``size`` standard normal samples as a float64 array."""
        return self._rng.standard_normal(size)

    def __repr__(self) -> str:
        return f"<minigrad.Generator object at {id(self):#x}, initial_seed={self._seed}>"


def seeded_from_global() -> Generator:
    """A generator whose seed is drawn from the global random state (``minigrad.manual_seed``)."""
    from . import backends

    backend = backends.get_backend()
    seed = backend.to_numpy(backend.randint(0, 2**63 - 1, (), np.int64))
    return Generator().manual_seed(int(seed))
