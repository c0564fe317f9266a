"""``minigrad.utils.data``: datasets and the DataLoader, as in torch."""

from .dataloader import *  # noqa: F401,F403
from .dataset import *  # noqa: F401,F403
