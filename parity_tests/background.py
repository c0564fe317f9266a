"""Long test runs in a fresh interpreter, started in the background as soon as collection ends.

A few tests run part of the suite again in a child ``pytest`` (the cuda backend in Numba's CUDA
simulator, the kernel tests under Numba's bounds checks): minutes each, on one core. Started when
the suite has been collected (``conftest.pytest_collection_finish``), they run beside the rest of
the suite on the machine's other cores, and their test only waits for the outcome.

A test opts in with ``@pytest.mark.background(command=...)``, ``command(scratch folder)`` giving
the child's arguments and environment; the ``background_run`` fixture hands the test the finished
run.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent

Command = Callable[[Path], tuple[list[str], dict[str, str]]]  # scratch folder → (argv, environment)


@dataclass
class Finished:
    """A child run: its exit status and what it printed (stdout and stderr, interleaved)."""

    returncode: int
    output: str


@dataclass
class _Running:
    process: subprocess.Popen
    log: IO[str]  # a file, not a pipe: a full pipe would stop the child until someone reads it
    scratch: tempfile.TemporaryDirectory


_running: dict[Command, _Running] = {}


def start(command: Command) -> None:
    """Start ``command`` unless it is running already."""
    if command in _running:
        return
    scratch = tempfile.TemporaryDirectory(prefix="minigrad-background-")
    args, environment = command(Path(scratch.name))
    log = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=environment,
                               cwd=ROOT)
    _running[command] = _Running(process, log, scratch)


def finish(command: Command) -> Finished:
    """Wait for ``command`` (started now if it was not) and return its outcome."""
    start(command)
    run = _running.pop(command)
    run.process.wait()
    run.log.seek(0)
    output = run.log.read()
    run.log.close()
    run.scratch.cleanup()
    return Finished(run.process.returncode, output)


def stop_all() -> None:
    """End the runs no test waited for (the session stopped early)."""
    for command in list(_running):
        _running[command].process.kill()
        finish(command)
