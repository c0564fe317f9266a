"""Built-in data sets: the real 8×8 handwritten digits (shipped, offline) and synthetic 2-D sets."""

from .digits import *  # noqa: F401,F403
from .synthetic import *  # noqa: F401,F403
from .digits import __all__ as _digits_all
from .synthetic import __all__ as _synthetic_all

__all__ = _digits_all + _synthetic_all
