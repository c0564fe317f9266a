"""The numba backend: the NumPy backend with its hot paths replaced by the Numba kernels of
``kernels/cpu``.

Arrays are NumPy arrays, so a tensor moves between ``numpy`` and ``numba`` without a copy. Each
mixin below comes from one file of ``kernels/cpu`` and overrides a few primitives; what no mixin
overrides is the NumPy reference, inherited from ``NumpyBackend``. Nothing compiles when this
module is imported: each kernel compiles on its first call and is cached on disk (``cache=True``).

The parallel kernels run on Numba's ``workqueue`` threads (unless ``NUMBA_THREADING_LAYER`` says
otherwise). Its default on Linux, OpenMP, keeps its threads spinning after each parallel loop, and
on a few cores they take the CPU away from the BLAS threads of the next matmul: on 2 cores the
MLP step of ``minigrad bench`` took 49 ms with OpenMP and 10 ms with workqueue (torch: 14-17 ms).
"""

from __future__ import annotations

import os

import numba

from kernels.cpu.conv import ConvKernels
from kernels.cpu.elementwise import ElementwiseKernels
from kernels.cpu.norm import NormKernels
from kernels.cpu.optim import OptimizerKernels
from kernels.cpu.pooling import PoolingKernels
from kernels.cpu.reduce import ReduceKernels
from kernels.cpu.softmax import SoftmaxKernels

from .numpy_backend import NumpyBackend

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"  # read when the first parallel kernel runs


class NumbaBackend(ConvKernels, ElementwiseKernels, NormKernels, OptimizerKernels,
                   PoolingKernels, ReduceKernels, SoftmaxKernels, NumpyBackend):
    """NumPy arrays on the host, hot paths in Numba."""

    name = "numba"
