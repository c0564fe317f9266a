"""``minigrad.utils.data``: datasets, samplers, collation and the DataLoader, as in torch."""

from .collate import *  # noqa: F401,F403
from .dataloader import *  # noqa: F401,F403
from .dataset import *  # noqa: F401,F403
from .sampler import *  # noqa: F401,F403
