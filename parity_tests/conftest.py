"""Shared setup of the parity suite: hypothesis profiles and the backend every test runs on.

Profiles (``HYPOTHESIS_PROFILE`` chooses; ``dev`` is the default, ``ci`` when ``CI`` is set):

* ``dev``      — few examples, for a quick edit-test loop;
* ``ci``       — more examples, derandomized so that a CI run is reproducible;
* ``thorough`` — many examples, randomized: ``HYPOTHESIS_PROFILE=thorough pytest parity_tests``;
* ``simulator`` — three examples, for the cuda backend in Numba's CUDA simulator.
"""

from __future__ import annotations

import os
import sys

import pytest
import torch
from hypothesis import HealthCheck, settings

import minigrad
from parity_tests import background

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                     HealthCheck.too_slow,
                                                     HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=15, **_COMMON)
settings.register_profile("ci", max_examples=40, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
# the cuda backend in Numba's CUDA simulator, where each kernel runs in Python: a few examples
settings.register_profile("simulator", max_examples=3, derandomize=True, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

torch.set_num_threads(1)


def backends_under_test() -> list[str]:
    """Every backend minigrad knows; ``MINIGRAD_TEST_BACKENDS=numpy,numba`` narrows the list."""
    chosen = os.environ.get("MINIGRAD_TEST_BACKENDS")
    names = minigrad.available_backends()
    return [n for n in names if chosen is None or n in chosen.split(",")]


@pytest.fixture(params=backends_under_test())
def backend(request: pytest.FixtureRequest):
    """Run the test with this backend as minigrad's default. In Numba's CUDA simulator, tests
    marked ``heavy`` are skipped, and threads switch every 0.1 ms instead of Python's 5 ms: its
    block manager polls the threads that wait in ``syncthreads``, and each barrier would
    otherwise cost milliseconds. After a cuda test, a failed device-side check is raised there."""
    interval = sys.getswitchinterval()
    if request.param == "cuda" and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        if request.node.get_closest_marker("heavy"):
            pytest.skip("too heavy for the simulator, which runs each GPU thread as a Python thread")
        sys.setswitchinterval(1e-4)
    try:
        with minigrad.use_backend(request.param):
            yield request.param
        if request.param == "cuda":
            minigrad.cuda.synchronize()
    finally:
        sys.setswitchinterval(interval)


@pytest.fixture
def background_run(request: pytest.FixtureRequest) -> background.Finished:
    """The finished run of the test's ``@pytest.mark.background(command=...)`` (background.py)."""
    return background.finish(request.node.get_closest_marker("background").kwargs["command"])


def _skipped(item: pytest.Item) -> bool:
    """Whether a skip or a true boolean skipif marks the test."""
    return any(marker.name == "skip" or (marker.args and marker.args[0] is True)
               for marker in item.iter_markers() if marker.name in ("skip", "skipif"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``background`` go last, so that the rest of the suite runs while they run."""
    items.sort(key=lambda item: item.get_closest_marker("background") is not None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the background runs of the collected tests that will not be skipped."""
    if session.config.option.collectonly:
        return
    for item in session.items:
        marker = item.get_closest_marker("background")
        if marker is not None and not _skipped(item):
            background.start(marker.kwargs["command"])


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the background runs no test waited for (an interrupted session)."""
    background.stop_all()
