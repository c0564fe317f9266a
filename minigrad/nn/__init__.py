"""``minigrad.nn``: modules, parameters, initialisation and the functional API, as in torch."""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import *  # noqa: F401,F403
