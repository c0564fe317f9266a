"""One repair to Numba's CUDA simulator, applied only when the simulator is the ``numba.cuda``
imported (``NUMBA_ENABLE_CUDASIM=1``); a real GPU never runs this file's code.

The simulator runs each thread of a block as a Python thread. ``cuda.shared.array(shape, dtype)``
must give every thread of the block the **same** array: the simulator keeps one array per call
site (file, line) in a dict, and the first thread to ask creates it, without a lock. Two threads
that ask at the same moment both find nothing, both create an array, and from then on each writes
a tile the other never reads: the block computes garbage, silently. With threads switching every
0.1 ms (the suite's setting) about 1 launch in 1,000 went wrong; a tiled matmul in CI was one.
The repair: the same lookup, under a lock.
"""

from __future__ import annotations

import sys
import threading

import numpy as np


def make_shared_arrays_thread_safe() -> None:
    """Replace the simulator's ``FakeCUDAShared.array`` by a locked lookup (idempotent)."""
    from numba.core import types
    from numba.cuda.simulator.kernelapi import FakeCUDAShared
    from numba.np import numpy_support

    if getattr(FakeCUDAShared.array, "thread_safe", False):
        return
    dynamic = FakeCUDAShared.array  # shape 0 (dynamic shared memory) needs no lookup
    lock = threading.Lock()

    def array(self: FakeCUDAShared, shape: int | tuple[int, ...], dtype: object) -> np.ndarray:
        """The block's array for the calling line, created once whichever thread comes first."""
        if shape == 0:
            return dynamic(self, shape, dtype)
        caller = sys._getframe(1)
        site = (caller.f_code.co_filename, caller.f_lineno)
        with lock:
            found = self._allocations.get(site)
            if found is None:
                if isinstance(dtype, types.Type):  # float32 as Numba types it
                    dtype = numpy_support.as_dtype(dtype)
                found = self._allocations[site] = np.empty(shape, dtype)
        return found

    array.thread_safe = True
    FakeCUDAShared.array = array
