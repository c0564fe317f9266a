"""Step 2 of the five: the operations, one module per family.

Each family module lists its free functions in ``__all__`` and, in ``TENSOR_METHODS``, those that
are also Tensor methods under the same name (``minigrad.exp(t)`` and ``t.exp()``).
"""

from . import binary, broadcast, compare, elementwise, index, inplace, join, linalg, minmax, reduce, shape, softmax
from ._util import cast, wrap_dim  # noqa: F401 - used as minigrad.ops.cast and .wrap_dim
from .convert import CopyToBackend, ToBackend  # noqa: F401 - used by Tensor.to

# Listed before the star imports below, which rebind names such as ``softmax`` to functions.
FAMILIES = (elementwise, binary, compare, broadcast, reduce, minmax, shape, join, index, linalg, softmax, inplace)
TENSOR_METHODS = [name for family in FAMILIES for name in family.TENSOR_METHODS]
__all__ = ["wrap_dim", "TENSOR_METHODS"] + [name for family in FAMILIES for name in family.__all__]

from .binary import *  # noqa: E402,F401,F403
from .broadcast import *  # noqa: E402,F401,F403
from .compare import *  # noqa: E402,F401,F403
from .elementwise import *  # noqa: E402,F401,F403
from .reduce import *  # noqa: E402,F401,F403
from .minmax import *  # noqa: E402,F401,F403
from .index import *  # noqa: E402,F401,F403
from .inplace import *  # noqa: E402,F401,F403
from .join import *  # noqa: E402,F401,F403
from .linalg import *  # noqa: E402,F401,F403
from .shape import *  # noqa: E402,F401,F403
from .softmax import *  # noqa: E402,F401,F403
