"""The CUDA kernel tests again, in a fresh interpreter under Numba's simulator, when they could
not run in this one (``numba.cuda`` was imported here before the simulator could be switched on,
and there is no GPU). See ``parity_tests/cuda_simulator.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from parity_tests.cuda_simulator import BOUNDS_CHECKED_RUN, USABLE, cuda

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(cuda is None, reason="numba is not installed")
@pytest.mark.skipif(USABLE, reason="the CUDA kernel tests run in this interpreter")
@pytest.mark.skipif(BOUNDS_CHECKED_RUN, reason="NUMBA_BOUNDSCHECK does not apply to CUDA kernels")
def test_the_cuda_kernel_tests_pass_in_the_simulator() -> None:
    files = sorted(str(p) for p in (ROOT / "parity_tests").glob("test_kernels_cuda*.py")
                   if p.name != Path(__file__).name)
    environment = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *files],
                          capture_output=True, text=True, env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
