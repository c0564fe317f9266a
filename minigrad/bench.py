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

A workload that also gives ``memory`` (a function of the library, minigrad or torch, returning
that library's callable) gets its peak memory measured too, each library in a fresh process of
its own: the growth of the process's resident set (Linux's ``VmHWM``, reset first) while the
callable is built and called a few times. tracemalloc would see NumPy's buffers but not torch's;
the memory the process really takes is fair to both, once two things that are not the
workload's data are kept out of it. One: the first run of a workload pages in library code and
sets up thread pools, so the child builds and runs it once, drops it, and only then measures a
second build. Two: glibc's malloc (behind both NumPy and torch) keeps freed blocks for reuse,
which would hide the second build; the child runs with a fixed ``MALLOC_MMAP_THRESHOLD_`` so
that every block of 64 KiB or more is mapped when allocated and unmapped when freed.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
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
    memory: Callable[[Any], Callable[[], Any]] | None = None  # lib -> its callable, for peak memory


WORKLOADS: dict[str, Workload] = {}


def workload(name: str, description: str, *, count: int = 1, unit: str = "call",
             memory: Callable[[Any], Callable[[], Any]] | None = None
             ) -> Callable[[Callable[[], Pair]], Callable[[], Pair]]:
    """Register ``build`` as the workload ``name`` (a decorator)."""
    def register(build: Callable[[], Pair]) -> Callable[[], Pair]:
        WORKLOADS[name] = Workload(name, description, build, count, unit, memory)
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


MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 256


def mlp_step(lib: Any) -> Callable[[], None]:
    """One training step of the MLP in ``lib`` (minigrad or torch), on a fixed random batch
    (each call trains a little further: its cost does not depend on the values)."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((MLP_BATCH, MLP_SIZES[0]), dtype=np.float32))
    y = lib.tensor(rng.integers(0, MLP_SIZES[-1], MLP_BATCH))
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(MLP_SIZES):
        if layers:
            layers.append(lib.nn.ReLU())
        layers.append(lib.nn.Linear(n_in, n_out))
    model = lib.nn.Sequential(*layers)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    criterion = lib.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    return step


@workload("mlp", f"{'-'.join(map(str, MLP_SIZES))} MLP with ReLU, float32, batch {MLP_BATCH}: "
          "zero_grad, forward, cross_entropy, backward, Adam step", unit="step", memory=mlp_step)
def mlp() -> Pair:
    """A whole training step of a mid-sized MLP: big matmuls, an optimizer over 670k parameters."""
    import torch

    return mlp_step(minigrad), mlp_step(torch)


CNN_BATCH = 64
CNN_SIDE = 28


def cnn_step(lib: Any) -> Callable[[], None]:
    """One training step of the CNN in ``lib`` (minigrad or torch), on a fixed random batch of
    1×28×28 images (each call trains a little further: its cost does not depend on the values)."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((CNN_BATCH, 1, CNN_SIDE, CNN_SIDE), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, CNN_BATCH))
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    return step


@workload("cnn", f"Conv2d 1→16 5×5 pad 2, ReLU, MaxPool 2, Conv2d 16→32 5×5 pad 2, ReLU, "
          f"MaxPool 2, Linear 1568→10, float32, batch {CNN_BATCH} of {CNN_SIDE}×{CNN_SIDE}: "
          "zero_grad, forward, cross_entropy, backward, SGD step (momentum 0.9)", unit="step",
          memory=cnn_step)
def cnn() -> Pair:
    """A whole training step of a small CNN: im2col convolutions, pooling, their backward."""
    import torch

    return cnn_step(minigrad), cnn_step(torch)


MEMORY_CALLS = 5  # calls of the callable while the peak memory is measured


def _resident_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (the peak) of this process, in KiB, from /proc."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def _peak_memory_child(name: str, library: str, backend: str) -> None:
    """In a fresh process: print the peak growth of the resident set, in bytes, while ``name``'s
    callable for ``library`` is built and called ``MEMORY_CALLS`` times (after a first run)."""
    lib: Any = minigrad
    if library == "torch":
        import torch
        lib = torch
    with minigrad.use_backend(backend):
        run = WORKLOADS[name].memory(lib)
        run()  # pages in the code, sets up thread pools: not the workload's data
        del run
        gc.collect()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident set
        start = _resident_kib("VmRSS")
        run = WORKLOADS[name].memory(lib)
        for _ in range(MEMORY_CALLS):
            run()
        print(1024 * (_resident_kib("VmHWM") - start))


def peak_memory(work: Workload, library: str, backend: str) -> int | None:
    """The peak memory of ``work``'s callable for ``library`` in bytes, measured in a fresh
    process; None where /proc cannot tell (not Linux)."""
    if work.memory is None or not os.path.exists("/proc/self/clear_refs"):
        return None
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(minigrad.__file__)))
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(64 * 1024), "PYTHONPATH": os.pathsep.join(
        filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    code = "import sys; from minigrad.bench import _peak_memory_child; _peak_memory_child(*sys.argv[1:])"
    done = subprocess.run([sys.executable, "-c", code, work.name, library, backend],
                          capture_output=True, text=True, env=env, check=True)
    return int(done.stdout.split()[-1])


@dataclass
class Result:
    """The timings of one workload, in seconds per unit."""

    workload: Workload
    minigrad: list[float]
    torch: list[float]
    memory: tuple[int, int] | None = None  # peak bytes of minigrad and torch, when measured

    @property
    def ratio(self) -> float:
        """minigrad's median time over torch's."""
        return statistics.median(self.minigrad) / statistics.median(self.torch)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        def summary(times: list[float]) -> dict[str, float]:
            return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
        result = {"workload": self.workload.name, "description": self.workload.description,
                  "unit": self.workload.unit, "count": self.workload.count,
                  "repeat": len(self.torch), "minigrad": summary(self.minigrad),
                  "torch": summary(self.torch), "ratio": self.ratio}
        if self.memory is not None:
            result["peak_memory_bytes"] = {"minigrad": self.memory[0], "torch": self.memory[1],
                                           "ratio": self.memory[0] / self.memory[1]}
        return result


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
    measured = [r for r in results if r.memory is not None]
    if measured:
        lines += ["", (f"peak memory: growth of the resident set while the callable is built and "
                       f"called {MEMORY_CALLS} times, each library in a fresh process, after a "
                       "first run (minigrad/bench.py says how)")]
        lines.extend(f"{r.workload.name}: minigrad {r.memory[0] / 2**20:.1f} MiB, torch "
                     f"{r.memory[1] / 2**20:.1f} MiB, ratio {r.memory[0] / r.memory[1]:.2f}×"
                     for r in measured)
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``minigrad bench``."""
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), metavar="NAME",
                        help=f"a workload to run (repeatable; default all: {', '.join(WORKLOADS)})")
    parser.add_argument("--repeat", type=int, default=20,
                        help="samples of each side, interleaved (default 20)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory measurements (two fresh processes per workload)")
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
        result = measure(WORKLOADS[name], backend, args.repeat, progress=progress)
        if not args.no_memory:
            mine, theirs = (peak_memory(result.workload, lib, backend) for lib in ("minigrad", "torch"))
            result.memory = None if mine is None or theirs is None else (mine, theirs)
        results.append(result)
    print(file=sys.stderr)
    info = machine()
    if args.json:
        print(json.dumps({"machine": info, "backend": backend,
                          "results": [r.as_dict() for r in results]}, indent=2))
    else:
        print(format_table(results, info, backend))
    return 0
