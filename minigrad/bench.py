"""``minigrad bench``: how much slower than torch is minigrad, workload by workload?

Each workload gives two callables doing the same work, one with minigrad and one with torch. The
runner times them in the same process, interleaved (minigrad, torch, minigrad, torch, ...) after a
warm-up, so that both see the same machine state, and reports the median and the min–max of each
and the ratio minigrad / torch of the medians. A new workload is one decorated function below::

    @workload("matmul", "64×64 @ 64×64, float32", unit="call")
    def matmul() -> Pair:
        ...
        return run_minigrad, run_torch

Times are divided by the workload's ``count`` (for example the number of ops in a chain) and
shown per ``unit``. ``build`` runs once, with the chosen minigrad backend as the default (the
tensors it creates live there); the two callables run many times and must leave their state as
they found it (reset ``.grad``, for example). This measures; it never changes minigrad.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import minigrad

Pair = tuple[Callable[[], Any], Callable[[], Any]]


@dataclass(frozen=True)
class Workload:
    """One benchmark: ``build()`` returns the (minigrad, torch) callables to time."""

    name: str
    description: str
    build: Callable[[], Pair]
    count: int = 1  # a measured time is divided by this ...
    unit: str = "call"  # ... and reported per this unit


WORKLOADS: dict[str, Workload] = {}


def workload(name: str, description: str, *, count: int = 1,
             unit: str = "call") -> Callable[[Callable[[], Pair]], Callable[[], Pair]]:
    """Register ``build`` as the workload ``name`` (a decorator)."""
    def register(build: Callable[[], Pair]) -> Callable[[], Pair]:
        WORKLOADS[name] = Workload(name, description, build, count, unit)
        return build
    return register


CHAIN_LENGTH = 100  # each link is tanh, mul, add: 300 forward ops


@workload("chain", f"8×8 float32: y = y.tanh() * w + x, {CHAIN_LENGTH} times, then "
          "y.sum().backward()", count=3 * CHAIN_LENGTH, unit="op")
def chain() -> Pair:
    """Per-op overhead: a long chain of tiny elementwise ops, forward and backward."""
    import torch

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((8, 8), dtype=np.float32) for _ in range(3)]

    def make(lib: Any) -> Callable[[], None]:
        y0, w, x = (lib.tensor(a, requires_grad=True) for a in arrays)

        def run() -> None:
            y = y0
            for _ in range(CHAIN_LENGTH):
                y = (y.tanh() * w) + x
            y.sum().backward()
            y0.grad = w.grad = x.grad = None
        return run

    return make(minigrad), make(torch)


@dataclass
class Result:
    """The timings of one workload, in seconds per unit."""

    workload: Workload
    minigrad: list[float]
    torch: list[float]

    @property
    def ratio(self) -> float:
        """minigrad's median time over torch's."""
        return statistics.median(self.minigrad) / statistics.median(self.torch)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        def summary(times: list[float]) -> dict[str, float]:
            return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
        return {"workload": self.workload.name, "description": self.workload.description,
                "unit": self.workload.unit, "count": self.workload.count, "repeat": len(self.torch),
                "minigrad": summary(self.minigrad), "torch": summary(self.torch),
                "ratio": self.ratio}


def _time_once(fn: Callable[[], Any], number: int) -> float:
    """The time of ``number`` calls of ``fn``, divided by ``number``."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def _calls_per_sample(fn: Callable[[], Any], target_s: float) -> int:
    """How many calls make one sample last about ``target_s`` (so that fast calls time well)."""
    return max(1, round(target_s / max(_time_once(fn, 1), 1e-9)))


def measure(work: Workload, backend: str, repeat: int, warmup: int = 3,
            target_s: float = 0.02, progress: Callable[[int], None] | None = None) -> Result:
    """Time ``work`` on minigrad and torch, interleaved, ``repeat`` samples each.

    A sample is the mean time of as many calls as last about ``target_s``, so that a fast call is
    not lost in the clock's resolution; min and max are over the samples.
    """
    with minigrad.use_backend(backend):
        run_minigrad, run_torch = work.build()
        for _ in range(warmup):
            run_minigrad()
            run_torch()
        n_minigrad = _calls_per_sample(run_minigrad, target_s)
        n_torch = _calls_per_sample(run_torch, target_s)
        mine: list[float] = []
        theirs: list[float] = []
        for i in range(repeat):
            mine.append(_time_once(run_minigrad, n_minigrad) / work.count)
            theirs.append(_time_once(run_torch, n_torch) / work.count)
            if progress is not None:
                progress(i + 1)
    return Result(work, mine, theirs)


def machine() -> dict[str, Any]:
    """The machine and the versions the figures come from."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "minigrad": minigrad.__version__}


def _seconds(t: float) -> str:
    """``t`` seconds with a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def format_table(results: list[Result], info: dict[str, Any], backend: str) -> str:
    """The human-readable report: header, then one row per workload."""
    lines = [f"machine: {info['cpu']}, {info['cores']} cores ({info['system']})",
             f"python {info['python']}, numpy {info['numpy']}, torch {info['torch']} "
             f"({info['torch_threads']} threads), minigrad {info['minigrad']} (backend {backend})",
             ""]
    header = ("workload", "per", "minigrad median [min–max]", "torch median [min–max]", "ratio")
    rows = [header]
    for r in results:
        def cell(times: list[float]) -> str:
            return (f"{_seconds(statistics.median(times))} "
                    f"[{_seconds(min(times))}–{_seconds(max(times))}]")
        rows.append((r.workload.name, r.workload.unit, cell(r.minigrad), cell(r.torch),
                     f"{r.ratio:.1f}×"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    lines.append("")
    lines.extend(f"{r.workload.name}: {r.workload.description} (repeat {len(r.torch)})"
                 for r in results)
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``minigrad bench``."""
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), metavar="NAME",
                        help=f"a workload to run (repeatable; default all: {', '.join(WORKLOADS)})")
    parser.add_argument("--repeat", type=int, default=20,
                        help="samples of each side, interleaved (default 20)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--backend", default=None, choices=minigrad.available_backends(),
                        help="minigrad backend (default: the current default, "
                             f"{minigrad.get_backend().name})")


def run(args: argparse.Namespace) -> int:
    """Run the chosen workloads and print the report; the exit status."""
    try:
        import torch  # noqa: F401 - the comparison needs it
    except ImportError:
        print("minigrad bench needs torch: pip install -e '.[test]'", file=sys.stderr)
        return 2
    if args.repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    backend = minigrad.get_backend(args.backend).name
    names = args.workload or list(WORKLOADS)
    results = []
    for k, name in enumerate(names, 1):
        def progress(i: int, name: str = name, k: int = k) -> None:
            print(f"\rbench {k}/{len(names)} {name}: {i}/{args.repeat}", end="",
                  file=sys.stderr, flush=True)
        progress(0)
        results.append(measure(WORKLOADS[name], backend, args.repeat, progress=progress))
    print(file=sys.stderr)
    info = machine()
    if args.json:
        print(json.dumps({"machine": info, "backend": backend,
                          "results": [r.as_dict() for r in results]}, indent=2))
    else:
        print(format_table(results, info, backend))
    return 0
