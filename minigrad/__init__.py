"""minigrad: the five steps PyTorch takes behind the scenes, rebuilt in NumPy and proven equal.

1. build the graph (``tensor.py``, ``autograd/function.py``), 2. forward (``ops/``),
3. loss, 4. backward (``autograd/engine.py``), 5. update. The API mirrors torch's, so
``import minigrad as torch`` runs small PyTorch scripts.
"""

from .tensor import Size, Tensor, device  # noqa: I001 - Tensor first: the rest builds on it
from . import autograd, ops
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backends import available_backends, get_backend, set_backend, use_backend
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       manual_seed, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       randperm, tensor, zeros, zeros_like)
from .dtypes import bool_ as bool  # noqa: A001 - torch's name
from .dtypes import dtype, float32, float64, int64
from .generator import Generator
from .ops import *  # noqa: F401,F403

from . import cuda, datasets, nn, optim, utils  # noqa: E402 - they build on everything above
from .serialization import *  # noqa: E402,F401,F403

float = float32  # noqa: A001 - torch.float is float32
double = float64
long = int64

__version__ = "0.1.0"


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a minigrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()
