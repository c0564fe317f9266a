"""``minigrad bench --startup``: how long the numba kernels take to compile cold, and to start warm.

Two kinds of fresh child process share one temporary ``NUMBA_CACHE_DIR``, empty at first:

1. **cold**: the child builds each workload of ``STARTUP_WORKLOADS`` on the numba backend and
   times its first call (the kernels it needs compile, then it runs) and its second call (it
   runs). The time spent in the first calls is the compile time (an upper bound: it includes one
   run of each workload); the first minus the second call is the compile alone, nearly.
2. **warm**: with the cache now filled, the parent times ``subprocess.run`` of a child that
   imports minigrad, sets the numba backend, builds the MLP, runs one training step and exits:
   from the interpreter's start to its first training step (and its exit), ``WARM_RUNS`` times.

Numba writes the cache of a ``cache=True`` kernel to ``NUMBA_CACHE_DIR`` when it is set (instead
of ``__pycache__`` beside the kernel file). Each child checks it on the kernels themselves: every
Numba dispatcher of the ``kernels`` package says where its cache is, how many signatures it
compiled and how many it loaded from the cache; the warm child should have compiled none.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

COLD_TARGET_S = 30.0  # all kernels compile cold in at most this
WARM_TARGET_S = 2.0  # a warm start reaches its first training step in at most this
STARTUP_WORKLOADS = ("mlp", "cnn", "adam", "cross_entropy")
WARM_RUNS = 3


def kernel_signatures() -> dict[str, Any]:
    """Over the Numba kernels loaded from the ``kernels`` package: the signatures compiled in this
    process, those loaded from the cache, the kernels without ``cache=True`` and, when
    NUMBA_CACHE_DIR is set, those caching elsewhere."""
    from numba.core.dispatcher import Dispatcher

    cache_dir = os.environ.get("NUMBA_CACHE_DIR")
    seen: set[int] = set()
    compiled = loaded = 0
    uncached: list[str] = []
    astray: list[str] = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("kernels."):
            continue
        for attr, kernel in vars(module).items():
            if (not isinstance(kernel, Dispatcher) or id(kernel) in seen
                    or kernel.targetoptions.get("inline") == "always"):
                continue  # a helper inlined into its callers is compiled (and cached) with them
            seen.add(id(kernel))
            hits = sum(kernel.stats.cache_hits.values())
            compiled += len(kernel.overloads) - hits
            loaded += hits
            path = kernel.stats.cache_path
            if path is None:
                uncached.append(f"{name}.{attr}")
            elif cache_dir and not os.path.abspath(path).startswith(os.path.abspath(cache_dir)):
                astray.append(f"{name}.{attr} (cache: {path})")
    return {"kernels": len(seen), "compiled": compiled, "loaded_from_cache": loaded,
            "uncached": uncached, "outside_cache_dir": astray}


def _call_time(fn: Callable[[], Any]) -> float:
    """The time of one call of ``fn``, in seconds."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cold_child(import_s: float) -> None:
    """In a fresh process with an empty cache: print, as JSON, the time of the backend's import
    and of the first and second call of each workload of ``STARTUP_WORKLOADS`` on numba."""
    import minigrad
    from minigrad.bench_workloads import WORKLOADS

    report: dict[str, Any] = {"import_s": import_s, "workloads": {},
                              "backend_import_s": _call_time(lambda: minigrad.get_backend("numba"))}
    for name in STARTUP_WORKLOADS:
        with minigrad.use_backend("numba"):
            step = WORKLOADS[name].make(minigrad)
            first, second = _call_time(step), _call_time(step)
        report["workloads"][name] = {"first_call_s": first, "second_call_s": second}
    report["signatures"] = kernel_signatures()
    print(json.dumps(report))


def _warm_child(import_s: float) -> None:
    """In a fresh process with a filled cache (minigrad imported in ``import_s``): set numba,
    build the MLP, run one training step; print, as JSON, the time of each part and the kernels'
    signatures."""
    import minigrad
    from minigrad.bench_workloads import mlp_step

    backend_s = _call_time(lambda: minigrad.set_backend("numba"))
    start = time.perf_counter()
    step = mlp_step(minigrad)
    build_s = time.perf_counter() - start
    step_s = _call_time(step)
    print(json.dumps({"import_s": import_s, "backend_import_s": backend_s, "build_s": build_s, "first_step_s": step_s,
                      "signatures": kernel_signatures()}))


def _run_child(function: str, env: dict[str, str]) -> dict[str, Any]:
    """Run ``function`` of this module in a fresh interpreter, given the time minigrad took to
    import; the JSON it printed."""
    code = ("import time; start = time.perf_counter(); import minigrad.bench_startup as startup; "
            f"startup.{function}(time.perf_counter() - start)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {function} process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def measure_startup(env: dict[str, str], progress: Callable[[str], None]) -> dict[str, Any]:
    """The cold compile and the warm start of the numba backend, each in fresh processes run
    with ``env`` plus a temporary NUMBA_CACHE_DIR."""
    import minigrad

    if "numba" not in minigrad.available_backends():
        return {"skipped": "numba is not installed"}
    with tempfile.TemporaryDirectory(prefix="minigrad-numba-cache-") as cache_dir:
        env = {**env, "NUMBA_CACHE_DIR": cache_dir}
        progress(f"cold compile of {', '.join(STARTUP_WORKLOADS)} on numba (empty cache)")
        cold = _run_child("_cold_child", env)
        cold["cache_index_files"] = sum(name.endswith(".nbi") for _, _, names in
                                        os.walk(cache_dir) for name in names)
        first_calls = sum(w["first_call_s"] for w in cold["workloads"].values())
        cold["first_calls_s"] = first_calls
        cold["compile_s"] = sum(w["first_call_s"] - w["second_call_s"]
                                for w in cold["workloads"].values())
        cold["target_s"], cold["met"] = COLD_TARGET_S, first_calls <= COLD_TARGET_S
        runs = []
        for i in range(WARM_RUNS):
            progress(f"warm start {i + 1}/{WARM_RUNS}")
            start = time.perf_counter()
            warm = _run_child("_warm_child", env)
            warm["total_s"] = time.perf_counter() - start
            runs.append(warm)
    total = statistics.median(r["total_s"] for r in runs)
    return {"cold": cold, "warm": {"runs": runs, "median_total_s": total,
                                   "target_s": WARM_TARGET_S, "met": total <= WARM_TARGET_S}}


def format_startup(startup: dict[str, Any]) -> str:
    """The human-readable report of ``measure_startup``."""
    if "skipped" in startup:
        return f"startup: skipped ({startup['skipped']})"
    cold, warm = startup["cold"], startup["warm"]
    met = {True: "met", False: "NOT met"}
    parts = ", ".join(f"{name} {w['first_call_s']:.2f} s (then {w['second_call_s']:.3f} s)"
                      for name, w in cold["workloads"].items())
    signatures = cold["signatures"]
    lines = [
        "startup of the numba backend (fresh processes, a temporary NUMBA_CACHE_DIR)",
        (f"cold compile: {cold['first_calls_s']:.2f} s in the first calls (target ≤ "
        f"{cold['target_s']:g} s: {met[cold['met']]}); first minus second calls "
        f"{cold['compile_s']:.2f} s; importing the backend {cold['backend_import_s']:.2f} s"),
        f"  first calls: {parts}",
        (f"  {signatures['compiled']} signatures of {signatures['kernels']} kernels compiled, "
        f"{cold['cache_index_files']} cache index files written to NUMBA_CACHE_DIR")]
    totals = ", ".join(f"{r['total_s']:.2f}" for r in warm["runs"])
    last = warm["runs"][-1]
    lines += [
        (f"warm start: {warm['median_total_s']:.2f} s (median of {totals} s) from launching python "
        f"to its exit after one MLP training step (target ≤ {warm['target_s']:g} s: "
        f"{met[warm['met']]})"),
        (f"  in the last: import minigrad {last['import_s']:.2f} s, numba backend "
        f"{last['backend_import_s']:.2f} s, build {last['build_s']:.3f} s, first step "
        f"{last['first_step_s']:.3f} s; {last['signatures']['loaded_from_cache']} signatures "
        f"loaded from the cache, {last['signatures']['compiled']} compiled")]
    if signatures["uncached"]:
        lines.append(f"  kernels without cache=True: {', '.join(signatures['uncached'])}")
    if signatures["outside_cache_dir"]:
        lines.append("  kernels caching outside NUMBA_CACHE_DIR: "
                     + ", ".join(signatures["outside_cache_dir"]))
    return "\n".join(lines)
