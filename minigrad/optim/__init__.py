"""``minigrad.optim`` (step 5 of the five): optimizers and learning-rate schedulers."""

from . import lr_scheduler  # noqa: F401
from .adagrad import *  # noqa: F401,F403
from .adam import *  # noqa: F401,F403
from .optimizer import *  # noqa: F401,F403
from .rmsprop import *  # noqa: F401,F403
from .sgd import *  # noqa: F401,F403
