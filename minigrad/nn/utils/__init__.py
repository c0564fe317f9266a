"""``minigrad.nn.utils``: gradient clipping and parameter vectors."""

from .clip_grad import *  # noqa: F401,F403
