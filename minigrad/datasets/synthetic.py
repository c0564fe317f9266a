"""Small synthetic 2-D classification sets: two moons and n-armed spirals."""

from __future__ import annotations

import numpy as np

from ..creation import tensor
from ..dtypes import float32, int64
from ..generator import Generator, seeded_from_global
from ..tensor import Tensor

__all__ = ["make_moons", "make_spirals"]


def _generator(seed: int | None, generator: Generator | None) -> Generator:
    if seed is not None and generator is not None:
        raise ValueError("pass either seed or generator, not both")
    if generator is not None:
        return generator
    return seeded_from_global() if seed is None else Generator().manual_seed(seed)


def _check(n_samples: int, noise: float) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative int, but got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, but got {noise}")


def _shuffled(points: np.ndarray, labels: np.ndarray, rng: Generator) -> tuple[Tensor, Tensor]:
    """Points (float32) and labels (int64) in a random order."""
    order = rng.randperm(len(labels))
    return tensor(points[order], dtype=float32), tensor(labels[order], dtype=int64)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None,
               generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles, shuffled: ``(x, y)`` with x float32 (n, 2), y int64 in {0, 1}.

    Class 0 (n // 2 points): (cos t, sin t); class 1 (the rest): (1 - cos t, 1/2 - sin t),
    t evenly spaced in [0, π]; then N(0, noise²) added to each coordinate (as scikit-learn's).
    Without ``seed`` or ``generator`` the randomness follows ``minigrad.manual_seed``.
    """
    _check(n_samples, noise)
    rng = _generator(seed, generator)
    n_outer = n_samples // 2
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n_samples - n_outer)
    points = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], axis=1),
                             np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
    points = points + noise * rng.randn(2 * n_samples).reshape(n_samples, 2)
    labels = np.repeat([0, 1], [n_outer, n_samples - n_outer])
    return _shuffled(points, labels, rng)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = None,
                 generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """``n_classes`` interleaved spiral arms, shuffled: ``(x, y)``, x float32 (n, 2), y int64.

    Arm k has n // n_classes points (the first n % n_classes arms one more): radius r evenly
    spaced in [0, 1], angle θ = 4k + 4r + N(0, noise²), point (r sin θ, r cos θ) (CS231n's spirals).
    """
    _check(n_samples, noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive int, but got {n_classes!r}")
    rng = _generator(seed, generator)
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    radius = np.concatenate([np.linspace(0.0, 1.0, size) for size in sizes])
    labels = np.repeat(np.arange(n_classes), sizes)
    angle = 4.0 * labels + 4.0 * radius + noise * rng.randn(n_samples)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return _shuffled(points, labels, rng)
