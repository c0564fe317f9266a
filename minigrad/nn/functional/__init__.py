"""``minigrad.nn.functional`` (torch's ``F``): activations, functional layers and losses."""

from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .cross_entropy import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
