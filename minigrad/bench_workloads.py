"""The workloads of ``minigrad bench``: the same work written once, for minigrad and for torch.

A workload is a function of the library (the ``minigrad`` or the ``torch`` module) that builds its
data and returns the callable to time. The runner builds it once per side: for torch, and for
each minigrad backend inside ``minigrad.use_backend(name)`` (so the tensors it creates live
there). The callable runs many times and must leave its state as it found it (reset ``.grad``, for
example); a training step may train a little further each time, since its cost does not depend on
the values. A new workload is one decorated function::

    @workload("matmul", "1024×1024 @ 1024×1024, float32", unit="call")
    def matmul(lib: Any) -> Callable[[], Any]:
        ...
        return run

Times are divided by ``count`` (the number of ops of a chain, for example) and shown per ``unit``.
``memory=True`` asks for the peak-memory measurement too (``minigrad/bench.py`` says how).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Make = Callable[[Any], Callable[[], Any]]


@dataclass(frozen=True)
class Workload:
    """One benchmark: ``make(lib)`` returns the callable to time with the library ``lib``."""

    name: str
    description: str
    make: Make
    count: int = 1  # a measured time is divided by this ...
    unit: str = "call"  # ... and reported per this unit
    memory: bool = False  # whether its peak memory is measured too


WORKLOADS: dict[str, Workload] = {}


def workload(name: str, description: str, *, count: int = 1, unit: str = "call",
             memory: bool = False) -> Callable[[Make], Make]:
    """Register ``make`` as the workload ``name`` (a decorator)."""
    def register(make: Make) -> Make:
        WORKLOADS[name] = Workload(name, description, make, count, unit, memory)
        return make
    return register


CHAIN_LENGTH = 100  # each link is tanh, mul, add: 300 forward ops


@workload("chain", f"8×8 float32: y = y.tanh() * w + x, {CHAIN_LENGTH} times, then "
          "y.sum().backward()", count=3 * CHAIN_LENGTH, unit="op")
def chain(lib: Any) -> Callable[[], None]:
    """Per-op overhead: a long chain of tiny elementwise ops, forward and backward."""
    rng = np.random.default_rng(0)
    y0, w, x = (lib.tensor(rng.standard_normal((8, 8), dtype=np.float32), requires_grad=True)
                for _ in range(3))

    def run() -> None:
        y = y0
        for _ in range(CHAIN_LENGTH):
            y = (y.tanh() * w) + x
        y.sum().backward()
        y0.grad = w.grad = x.grad = None
    return run


MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 256


@workload("mlp", f"{'-'.join(map(str, MLP_SIZES))} MLP with ReLU, float32, batch {MLP_BATCH}: "
          "zero_grad, forward, cross_entropy, backward, Adam step", unit="step", memory=True)
def mlp_step(lib: Any) -> Callable[[], None]:
    """A whole training step of a mid-sized MLP: big matmuls, an optimizer over 670k parameters."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((MLP_BATCH, MLP_SIZES[0]), dtype=np.float32))
    y = lib.tensor(rng.integers(0, MLP_SIZES[-1], MLP_BATCH))
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(MLP_SIZES):
        if layers:
            layers.append(lib.nn.ReLU())
        layers.append(lib.nn.Linear(n_in, n_out))
    model = lib.nn.Sequential(*layers)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    criterion = lib.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    return step


CNN_BATCH = 64
CNN_SIDE = 28


@workload("cnn", f"Conv2d 1→16 5×5 pad 2, ReLU, MaxPool 2, Conv2d 16→32 5×5 pad 2, ReLU, "
          f"MaxPool 2, Linear 1568→10, float32, batch {CNN_BATCH} of {CNN_SIDE}×{CNN_SIDE}: "
          "zero_grad, forward, cross_entropy, backward, SGD step (momentum 0.9)", unit="step",
          memory=True)
def cnn_step(lib: Any) -> Callable[[], None]:
    """A whole training step of a small CNN: convolutions, pooling, their backward."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((CNN_BATCH, 1, CNN_SIDE, CNN_SIDE), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, CNN_BATCH))
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    return step


ADAM_SIZE = 1_000_000


@workload("adam", f"Adam (lr 1e-3) step over one {ADAM_SIZE:,}-element float32 parameter whose "
          ".grad is set: the step only", unit="step", memory=True)
def adam_step(lib: Any) -> Callable[[], Any]:
    """An optimizer step alone: a few passes over 1M parameters, bound by memory bandwidth."""
    rng = np.random.default_rng(0)
    param = lib.tensor(rng.standard_normal(ADAM_SIZE, dtype=np.float32), requires_grad=True)
    param.grad = lib.tensor(rng.standard_normal(ADAM_SIZE, dtype=np.float32))
    return lib.optim.Adam([param], lr=1e-3).step


CE_ROWS, CE_CLASSES = 4096, 1000


@workload("cross_entropy", f"F.cross_entropy(x, y).backward(), x {CE_ROWS}×{CE_CLASSES} float32 "
          "requiring grad, integer targets", unit="call", memory=True)
def cross_entropy(lib: Any) -> Callable[[], None]:
    """Softmax cross-entropy forward and backward: log-softmax, gather, their gradients."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((CE_ROWS, CE_CLASSES), dtype=np.float32),
                   requires_grad=True)
    y = lib.tensor(rng.integers(0, CE_CLASSES, CE_ROWS))
    functional = lib.nn.functional

    def run() -> None:
        functional.cross_entropy(x, y).backward()
        x.grad = None
    return run


MATMUL_SIDE = 1024


@workload("matmul", f"{MATMUL_SIDE}×{MATMUL_SIDE} @ {MATMUL_SIDE}×{MATMUL_SIDE}, float32, "
          "forward only", unit="call")
def matmul(lib: Any) -> Callable[[], Any]:
    """One large matrix product: the BLAS (or the kernel) alone, no autograd."""
    rng = np.random.default_rng(0)
    a, b = (lib.tensor(rng.standard_normal((MATMUL_SIDE, MATMUL_SIDE), dtype=np.float32))
            for _ in range(2))

    def run() -> Any:
        return a @ b
    return run
