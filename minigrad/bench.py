"""``minigrad bench``: how fast is each minigrad backend next to torch, workload by workload?

The workloads are in ``minigrad/bench_workloads.py``. For each one, the runner builds one
callable per side (torch, then each minigrad backend asked for), warms every side up (this is
when the numba kernels compile: the warm-up is not timed), then takes the samples interleaved
(torch, numpy, numba, torch, numpy, numba, ...) so that every side sees the same machine state.
It reports each side's median and min–max, and the ratios of the medians: each backend over
torch and each backend over numpy. ``--startup`` measures the numba kernels' cold compile and a
warm start (``minigrad/bench_startup.py``). This measures; it never changes minigrad.

A workload with ``memory=True`` gets its peak memory measured too, each side in a fresh process
of its own: the growth of the process's resident set (Linux's ``VmHWM``, reset first) while the
callable is built and called a few times. tracemalloc would see NumPy's buffers but not torch's;
the memory the process really takes is fair to both, once two things that are not the
workload's data are kept out of it. One: the first run of a workload pages in library code and
sets up thread pools (and compiles or loads the numba kernels), so the child builds and runs it
once, drops it, and only then measures a second build. Two: glibc's malloc (behind both NumPy
and torch) keeps freed blocks for reuse, which would hide the second build; the child runs with
a fixed ``MALLOC_MMAP_THRESHOLD_`` so that every block of 64 KiB or more is mapped when
allocated and unmapped when freed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad

from . import bench_startup
from .bench_workloads import WORKLOADS, Workload

TORCH = "torch"
REFERENCE = "numpy"  # the backend the others are also compared with
TARGET_BACKEND = "numba"
TARGETS = {"chain": 1.0, "mlp": 1.0, "cnn": 1.5, "adam": 0.5, "cross_entropy": 1.0}  # numba/torch
MEMORY_CALLS = 5  # calls of the callable while the peak memory is measured


def _library(side: str) -> Any:
    """The module a side's workload is written with: torch, or minigrad for a backend."""
    if side == TORCH:
        import torch
        return torch
    return minigrad


def _on(side: str) -> contextlib.AbstractContextManager[Any]:
    """The default minigrad backend while ``side`` builds or runs (nothing to set for torch)."""
    return contextlib.nullcontext() if side == TORCH else minigrad.use_backend(side)


def _resident_kib(name: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (the peak) of this process, in KiB, from /proc."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(name + ":"))


def _peak_memory_child(name: str, side: str) -> None:
    """In a fresh process: print the peak growth of the resident set, in bytes, while ``name``'s
    callable for ``side`` is built and called ``MEMORY_CALLS`` times (after a first run)."""
    make = WORKLOADS[name].make
    with _on(side):
        run = make(_library(side))
        run()  # pages in the code, sets up thread pools, loads kernels: not the workload's data
        del run
        gc.collect()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident set
        start = _resident_kib("VmRSS")
        run = make(_library(side))
        for _ in range(MEMORY_CALLS):
            run()
        print(1024 * (_resident_kib("VmHWM") - start))


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that imports this very minigrad."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(minigrad.__file__)))
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def peak_memory(work: Workload, side: str) -> int | None:
    """The peak memory of ``work``'s callable for ``side`` in bytes, measured in a fresh process;
    None where /proc cannot tell (not Linux)."""
    if not os.path.exists("/proc/self/clear_refs"):
        return None
    code = "import sys; from minigrad.bench import _peak_memory_child; _peak_memory_child(*sys.argv[1:])"
    done = subprocess.run([sys.executable, "-c", code, work.name, side], capture_output=True,
                          text=True, env=child_env(MALLOC_MMAP_THRESHOLD_=str(64 * 1024)),
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measuring the peak memory of {work.name} on {side} failed:\n"
                           f"{done.stderr[-3000:]}")
    return int(done.stdout.split()[-1])


@dataclass
class Result:
    """The timings of one workload, in seconds per unit, for each side (torch first)."""

    workload: Workload
    times: dict[str, list[float]]
    memory: dict[str, int] = field(default_factory=dict)  # peak bytes per side, when measured

    @property
    def backends(self) -> list[str]:
        """The minigrad backends measured."""
        return [side for side in self.times if side != TORCH]

    def median(self, side: str) -> float:
        """The median time of ``side``."""
        return statistics.median(self.times[side])

    def ratios(self, base: str) -> dict[str, float]:
        """Each backend's median over ``base``'s (``base`` itself left out); {} without it."""
        if base not in self.times:
            return {}
        return {b: self.median(b) / self.median(base) for b in self.backends if b != base}

    def target(self) -> dict[str, Any] | None:
        """The issue's target for this workload (a numba/torch ratio) and whether it is met."""
        ratio = self.ratios(TORCH).get(TARGET_BACKEND)
        if self.workload.name not in TARGETS or ratio is None:
            return None
        limit = TARGETS[self.workload.name]
        return {"backend": TARGET_BACKEND, "max_ratio_to_torch": limit, "met": ratio <= limit}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        result: dict[str, Any] = {
            "workload": self.workload.name, "description": self.workload.description,
            "unit": self.workload.unit, "count": self.workload.count,
            "repeat": len(self.times[TORCH]),
            "times": {side: {"median_s": statistics.median(t), "min_s": min(t), "max_s": max(t)}
                      for side, t in self.times.items()},
            "ratio_to_torch": self.ratios(TORCH), "ratio_to_numpy": self.ratios(REFERENCE)}
        if self.target() is not None:
            result["target"] = self.target()
        if self.memory:
            result["peak_memory_bytes"] = self.memory
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


def measure(work: Workload, backends: list[str], repeat: int, warmup: int = 3,
            target_s: float = 0.02, progress: Callable[[str], None] | None = None) -> Result:
    """Time ``work`` on torch and on each backend, interleaved, ``repeat`` samples each.

    A sample is the mean time of as many calls as last about ``target_s``, so that a fast call is
    not lost in the clock's resolution; min and max are over the samples.
    """
    sides = [TORCH, *backends]
    runs: dict[str, Callable[[], Any]] = {}
    calls: dict[str, int] = {}
    for side in sides:
        if progress is not None:
            progress(f"warm-up {side}")
        with _on(side):
            runs[side] = work.make(_library(side))
            for _ in range(warmup):
                runs[side]()
            calls[side] = _calls_per_sample(runs[side], target_s)
    times: dict[str, list[float]] = {side: [] for side in sides}
    for i in range(repeat):
        for side in sides:
            with _on(side):
                times[side].append(_time_once(runs[side], calls[side]) / work.count)
        if progress is not None:
            progress(f"{i + 1}/{repeat}")
    return Result(work, times)


def machine() -> dict[str, Any]:
    """The machine and the versions the figures come from."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        numba_version: str | None = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        numba_version = None
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "numba": numba_version,
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "minigrad": minigrad.__version__}


def _seconds(t: float) -> str:
    """``t`` seconds with a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    """``rows`` (the first is the header) as left-aligned text columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]


def format_table(results: list[Result], info: dict[str, Any]) -> str:
    """The human-readable report: the machine, the times, the ratios, the peak memories."""
    backends = results[0].backends
    versions = (f"python {info['python']}, numpy {info['numpy']}, numba {info['numba'] or 'absent'}, "
                f"torch {info['torch']} ({info['torch_threads']} threads), minigrad {info['minigrad']}")
    lines = [f"machine: {info['cpu']}, {info['cores']} cores ({info['system']})", versions, "",
             "times: median [min–max] per unit"]

    def cell(times: list[float]) -> str:
        return f"{_seconds(statistics.median(times))} [{_seconds(min(times))}–{_seconds(max(times))}]"
    lines += _columns([("workload", "per", TORCH, *backends)] + [
        (r.workload.name, r.workload.unit, *(cell(t) for t in r.times.values())) for r in results])
    over_numpy = [b for b in backends if b != REFERENCE] if REFERENCE in backends else []
    header = (*(f"{b}/torch" for b in backends), *(f"{b}/{REFERENCE}" for b in over_numpy))
    targets = any(r.target() is not None for r in results)
    rows = [("workload", *header, *([f"target {TARGET_BACKEND}/torch"] if targets else []))]
    for r in results:
        target = r.target()
        goal = "" if target is None else (f"≤ {target['max_ratio_to_torch']}×: "
                                          + ("met" if target["met"] else "NOT met"))
        ratios = [*r.ratios(TORCH).values(), *(r.ratios(REFERENCE)[b] for b in over_numpy)]
        rows.append((r.workload.name, *(f"{x:.2f}×" for x in ratios), *([goal] if targets else [])))
    lines += ["", "ratios of the medians", *_columns(rows), ""]
    lines.extend(f"{r.workload.name}: {r.workload.description} (repeat {len(r.times[TORCH])})"
                 for r in results)
    measured = [r for r in results if r.memory]
    if measured:
        lines += ["", (f"peak memory: growth of the resident set while the callable is built and "
                       f"called {MEMORY_CALLS} times, each side in a fresh process, after a "
                       "first run (minigrad/bench.py says how)")]
        for r in measured:
            torch_bytes = r.memory[TORCH]
            lines.append(f"{r.workload.name}: torch {torch_bytes / 2**20:.1f} MiB, " + ", ".join(
                f"{b} {r.memory[b] / 2**20:.1f} MiB ({r.memory[b] / torch_bytes:.2f}×)"
                for b in r.backends))
    return "\n".join(lines)


def plot(results: list[Result], info: dict[str, Any], path: str) -> None:
    """Write a bar chart of each backend's median over torch's, per workload, to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    backends = results[0].backends
    width = 0.8 / len(backends)
    fig, ax = plt.subplots(figsize=(1.6 * len(results) + 2, 4.5))
    for k, backend in enumerate(backends):
        xs = [i + (k - (len(backends) - 1) / 2) * width for i in range(len(results))]
        ratios = [r.ratios(TORCH)[backend] for r in results]
        bars = ax.bar(xs, [x - 1 for x in ratios], width, bottom=1, label=backend)  # from 1 up or down
        ax.bar_label(bars, labels=[f"{x:.2g}×" for x in ratios], fontsize=8)
    targeted = [(i, r) for i, r in enumerate(results) if r.target() is not None]
    for n, (i, r) in enumerate(targeted):  # over the target backend's bar
        x = i + (backends.index(TARGET_BACKEND) - (len(backends) - 1) / 2) * width
        ax.hlines(TARGETS[r.workload.name], x - 0.6 * width, x + 0.6 * width, colors="black",
                  linestyles="dotted", label=f"target ({TARGET_BACKEND})" if n == 0 else None)
    ax.axhline(1.0, color="black", linewidth=1, label="torch")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda y, _: f"{y:g}×"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xticks(range(len(results)), [r.workload.name for r in results])
    ax.set_ylabel("median time / torch's (log scale; below 1: faster)")
    ax.set_title(f"minigrad's backends against torch {info['torch']}: {info['cpu']}, "
                 f"{info['cores']} cores", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``minigrad bench``."""
    parser.add_argument("--workload", action="append", choices=list(WORKLOADS), metavar="NAME",
                        help=f"a workload to run (repeatable; default all: {', '.join(WORKLOADS)})")
    parser.add_argument("--backend", action="append", choices=minigrad.available_backends(),
                        help="a minigrad backend to time (repeatable; default all: "
                             f"{', '.join(minigrad.available_backends())})")
    parser.add_argument("--repeat", type=int, default=20,
                        help="samples of each side, interleaved (default 20)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--plot", metavar="PATH",
                        help="write a bar chart (PNG) of the ratios to torch")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory measurements (a fresh process per side)")
    parser.add_argument("--startup", action="store_true",
                        help="also measure the numba kernels' cold compile and a warm start")
    parser.add_argument("--startup-only", action="store_true",
                        help="measure the startup only, no workload")


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
    backends = list(dict.fromkeys(args.backend or minigrad.available_backends()))
    names = [] if args.startup_only else list(dict.fromkeys(args.workload or WORKLOADS))
    results = []
    for k, name in enumerate(names, 1):
        def progress(what: str, name: str = name, k: int = k) -> None:
            print(f"\rbench {k}/{len(names)} {name}: {what:<14}", end="", file=sys.stderr,
                  flush=True)
        result = measure(WORKLOADS[name], backends, args.repeat, progress=progress)
        if result.workload.memory and not args.no_memory:
            for side in result.times:
                progress(f"memory {side}")
                peak = peak_memory(result.workload, side)
                if peak is not None:
                    result.memory[side] = peak
        results.append(result)
        print(file=sys.stderr)
    startup = None
    if args.startup or args.startup_only:
        startup = bench_startup.measure_startup(
            child_env(), lambda what: print(f"startup: {what}", file=sys.stderr, flush=True))
    info = machine()
    if args.plot and results:
        plot(results, info, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        report: dict[str, Any] = {"machine": info, "backends": backends,
                                  "results": [r.as_dict() for r in results]}
        if startup is not None:
            report["startup"] = startup
        print(json.dumps(report, indent=2))
        return 0
    if results:
        print(format_table(results, info))
    if startup is not None:
        print(("\n" if results else "") + bench_startup.format_startup(startup))
    return 0
