"""Numba's CUDA simulator for the CUDA kernel tests: switched on before ``numba.cuda`` is imported.

Numba reads ``NUMBA_ENABLE_CUDASIM`` once, when ``numba.cuda`` is first imported (importing
``numba`` alone, as the CPU kernels do, does not fix it). Importing this module first sets the
variable when no NVIDIA driver is present, so that the ``@cuda.jit`` kernels run in Python on the
CPU. ``USABLE`` says whether CUDA kernels can run in this process (a GPU or the simulator); when
``numba.cuda`` came in earlier without either, ``test_kernels_cuda_simulator.py`` runs the CUDA
kernel tests again in a fresh interpreter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from parity_tests.helpers import assert_close

if "numba.cuda" not in sys.modules and not Path("/proc/driver/nvidia/version").exists():
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    if "numba" in sys.modules:
        sys.modules["numba"].core.config.reload_config()

try:
    from numba import cuda
except ImportError:  # numba is not installed: nothing to test
    cuda = None

USABLE = cuda is not None and cuda.is_available()
SIMULATOR = USABLE and "simulator" in cuda.to_device.__module__
BOUNDS_CHECKED_RUN = os.environ.get("NUMBA_BOUNDSCHECK") == "1"


@pytest.fixture(autouse=True)
def cuda_kernels_can_run() -> Iterator[None]:
    """Skip unless CUDA kernels run here; in the simulator, switch threads often.

    The simulator's block manager polls its threads while they wait in ``syncthreads``; with
    Python's default switch interval (5 ms) each barrier costs milliseconds, with 0.1 ms a tenth."""
    if BOUNDS_CHECKED_RUN:
        pytest.skip("NUMBA_BOUNDSCHECK is a CPU-target option; the simulator indexes NumPy arrays, "
                    "which check bounds themselves")
    if not USABLE:
        pytest.skip("numba.cuda was imported without a GPU nor the simulator: "
                    "test_kernels_cuda_simulator.py runs these tests in a fresh interpreter")
    interval = sys.getswitchinterval()
    if SIMULATOR:
        sys.setswitchinterval(1e-4)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


DTYPES = [np.float32, np.float64]


def dev(array: np.ndarray):
    """A device copy of a host array."""
    return cuda.to_device(np.array(array, order="C"))


def check(result, expected: torch.Tensor, family: str = "elementwise", n: int = 1) -> None:
    """A device result equals torch's: same dtype, then assert_close on the host copy."""
    host = result.copy_to_host()
    assert host.dtype == expected.numpy().dtype, f"dtype {host.dtype}, torch gives {expected.dtype}"
    assert_close(host, expected, family=family, n=n)


def sample(shape: tuple[int, ...], dtype, seed: int = 0, special: bool = False) -> np.ndarray:
    """Standard normal values; with ``special``, zeros, a tie and a nan among them."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if special and values.size >= 5:
        flat = values.reshape(-1)
        flat[0], flat[1], flat[2], flat[3] = 0.0, np.nan, flat[-1], -0.0
    return values
