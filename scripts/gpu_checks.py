"""The GPU checks of the cuda backend in one command: ``PYTHONPATH=. python scripts/gpu_checks.py``.

Parts, run in this order, each skipped with a note once the time budget (``--budget-s``) is spent:

1. ``environment``: the GPU, the versions; TF32 is switched off in torch, so that torch's float32
   matmuls and convolutions really are float32, as minigrad's kernels are.
2. ``compare``: minigrad's cuda ops against torch CUDA on the same data: a matmul, conv2d forward
   and backward, cross_entropy and its gradient, one MLP training step with Adam (the parity suite
   compares cuda with torch's CPU; this compares GPU with GPU).
3. ``matmul``, ``add``, ``mlp``: benchmarks on the same GPU, each a warm-up then the median of
   ``--repeats`` timed runs, a run ending when the device is synchronized:
   a 4096² float32 matmul in TFLOP/s against torch's (target: ≥ 0.5 of it); an elementwise add of
   2²⁶ float32 in GB/s (3·4·2²⁶ bytes moved) against torch's device-to-device copy (2·4·2²⁶ bytes;
   target: ≥ 0.7 of it); the MLP training step of ``minigrad/bench_workloads.py`` in ms.
4. ``tests``: the cuda parity suite in a subprocess (``MINIGRAD_TEST_BACKENDS=cuda``) with the
   time left; last, because its length is the one that is open-ended.

It writes ``gpu_checks.json``, ``gpu_checks.txt`` (its summary, by ``gpu_checks_report.py``, with
the README's table of a GPU run), ``parity_tests.log`` and ``parity_tests.xml`` to ``--out``
(default: ``$OUT``, else ``out/gpu_checks``). ``--simulate`` runs the same code on tiny sizes in
Numba's CUDA simulator with torch's CPU standing in for torch CUDA: a test of this script where
there is no GPU. Its figures are labelled simulator figures and never held against the targets.

minigrad is imported inside the functions, after ``main`` has chosen the simulator or the GPU:
``NUMBA_ENABLE_CUDASIM`` is read once, when minigrad and ``numba.cuda`` are first imported.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import torch
from gpu_checks_report import junit_counts, pytest_counts, summary  # beside this script

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["parity_tests/test_kernels_cuda*.py", "parity_tests/test_elementwise.py",
         "parity_tests/test_binary.py", "parity_tests/test_reduce.py", "parity_tests/test_linalg.py",
         "parity_tests/test_softmax.py", "parity_tests/test_losses.py", "parity_tests/test_conv.py",
         "parity_tests/test_pooling.py", "parity_tests/test_normalization.py",
         "parity_tests/test_optim.py"]
PYTEST_ARGS = "-x"  # pyproject's addopts adds -q; a second -q would hide the summary line
SIMULATE_TESTS, SIMULATE_PYTEST_ARGS = ["parity_tests/test_elementwise.py"], "-x -k 'exp and not expm1'"
MATMUL_TARGET, ADD_TARGET = 0.5, 0.7  # of torch's matmul throughput, of its copy bandwidth
SIMULATOR_LABEL = ("SIMULATOR: Numba's CUDA simulator on the CPU, torch's CPU standing in for "
                   "torch CUDA; tiny sizes; these are NOT GPU figures")


@dataclass(frozen=True)
class Sizes:
    """The sizes of every part: the issue's on a GPU, tiny ones in the simulator."""

    matmul: int  # side of the square float32 matmul benchmark
    add: int  # elements of the add benchmark
    mlp: tuple[int, ...]  # layer widths of the MLP step
    batch: int  # its batch size
    compare_matmul: tuple[int, int, int]  # M, K, N
    conv: tuple[int, int, int, int, int, int]  # batch, channels in, height, width, out, kernel side
    cross_entropy: tuple[int, int]  # rows, classes
    repeats: int
    warmup: int


GPU_SIZES = Sizes(4096, 2 ** 26, (784, 512, 512, 10), 256, (512, 1024, 256), (8, 16, 32, 32, 32, 3),
                  (256, 1000), repeats=20, warmup=3)
SIMULATOR_SIZES = Sizes(32, 2 ** 10, (8, 16, 16, 4), 4, (8, 16, 8), (1, 2, 4, 4, 3, 3), (4, 5),
                        repeats=1, warmup=0)
PARTS = ("compare", "matmul", "add", "mlp", "tests")
# the least time left for a part to start (the environment always runs)
PART_NEEDS_S = {"environment": 0, "compare": 20, "matmul": 20, "add": 20, "mlp": 30, "tests": 30}


def timed(run: Callable[[], Any], sync: Callable[[], None], repeats: int, warmup: int,
          most_s: float = 30.0) -> dict:
    """Median, min and max seconds of ``run`` after ``warmup`` calls; each timed call ends with
    ``sync()`` (the GPU finishes the work, not just its launch). Fewer repeats (3 at least) when
    they would take more than ``most_s`` seconds."""
    for _ in range(warmup):
        run()
    sync()
    times: list[float] = []
    while len(times) < repeats and (len(times) < 3 or sum(times) < most_s):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "repeats": len(times)}


def closeness(name: str, mine: Any, theirs: Any, family: str = "reduction", n: int = 1) -> dict:
    """How far a minigrad result is from torch's, and whether the parity suite's ``assert_close``
    (its tolerance ``family`` for a sum of ``n`` terms) accepts it."""
    from parity_tests.helpers import assert_close, to_numpy
    a, e = to_numpy(mine), to_numpy(theirs)
    entry: dict[str, Any] = {"name": name, "shape": list(e.shape), "family": family, "n": n}
    if a.shape == e.shape and a.size:
        entry["max_abs_diff"] = float(np.max(np.abs(a.astype(np.float64) - e)))
        entry["max_abs_torch"] = float(np.max(np.abs(e)))
    try:
        assert_close(mine, theirs, family=family, n=n, what=name)
        entry["ok"] = True
    except AssertionError as error:
        entry["ok"], entry["message"] = False, str(error).splitlines()[0]
    return entry


def mlp_layers(nn: Any, sizes: tuple[int, ...]) -> list[Any]:
    """Linear layers of ``sizes`` with a ReLU between two, as bench_workloads' MLP."""
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [nn.ReLU(), nn.Linear(n_in, n_out)] if layers else [nn.Linear(n_in, n_out)]
    return layers


class Checks:
    """One run: the options, the sizes, the clock, and each part as a method returning a dict."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.simulate = args, args.simulate
        sizes = SIMULATOR_SIZES if args.simulate else GPU_SIZES
        self.sizes = Sizes(**{**asdict(sizes), "repeats": args.repeats or sizes.repeats})
        self.device = torch.device("cpu" if args.simulate else "cuda")
        self.start = time.perf_counter()
        self.rng = np.random.default_rng(0)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def log(self, message: str) -> None:
        print(f"[{self.elapsed():6.1f} s] {message}", flush=True)

    def sync(self) -> None:
        """Wait for the GPU (torch's and Numba's work share the device's primary context)."""
        if not self.simulate:
            from numba import cuda
            torch.cuda.synchronize()
            cuda.synchronize()

    def normal(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape, dtype=np.float32)

    def pair(self, array: np.ndarray, grad: bool = False) -> tuple[Any, torch.Tensor]:
        """The same values as a minigrad cuda tensor and a torch tensor on torch's device."""
        import minigrad
        theirs = torch.from_numpy(array).to(self.device).requires_grad_(grad)
        return minigrad.tensor(array, device="cuda", requires_grad=grad), theirs

    def run_part(self, name: str, part: Callable[[], dict]) -> dict:
        """``part()`` with its duration; skipped when the budget has too little left, its
        traceback recorded when it fails."""
        left = self.args.budget_s - self.elapsed()
        if PART_NEEDS_S[name] and left < PART_NEEDS_S[name]:
            self.log(f"{name}: skipped, {left:.0f} s left of the budget")
            return {"status": "skipped", "note": f"over budget: {left:.0f} s left of "
                    f"{self.args.budget_s:.0f} s, the part needs {PART_NEEDS_S[name]} s at least"}
        self.log(f"{name} ...")
        start = time.perf_counter()
        try:
            result = {"status": "ok", **part()}
        except Exception as error:  # noqa: BLE001 - any failure is reported, the run goes on
            result = {"status": "error", "error": repr(error),
                      "traceback": traceback.format_exc()[-3000:]}
        result["elapsed_s"] = round(time.perf_counter() - start, 2)
        self.log(f"{name}: {result['status']} in {result['elapsed_s']} s")
        return result

    def environment(self) -> dict:
        """The GPU, the versions, the TF32 switches (off)."""
        import importlib.metadata

        import numba

        import minigrad
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        minigrad.get_backend("cuda")  # RuntimeError, saying why, where the backend cannot run
        from kernels.cuda.device import SIMULATOR
        if SIMULATOR != self.simulate:
            raise RuntimeError(f"numba.cuda is {'' if SIMULATOR else 'not '}the simulator")
        info: dict[str, Any] = {
            "python": platform.python_version(), "torch": torch.__version__,
            "torch_cuda": torch.version.cuda, "numba": numba.__version__, "numpy": np.__version__,
            "minigrad_backends": minigrad.available_backends(), "cpu": platform.processor(),
            "torch_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
            "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "numba_cuda_simulator": SIMULATOR}
        try:
            info["numba_cuda"] = importlib.metadata.version("numba-cuda")
        except importlib.metadata.PackageNotFoundError:
            info["numba_cuda"] = None
        if self.simulate:
            info["gpu"] = None
            return info
        from numba import cuda
        properties, name = torch.cuda.get_device_properties(0), cuda.get_current_device().name
        info.update(gpu=torch.cuda.get_device_name(0), gpu_memory_gib=round(
            properties.total_memory / 2 ** 30, 1), multiprocessors=properties.multi_processor_count,
            compute_capability=f"{properties.major}.{properties.minor}",
            numba_gpu=name.decode() if isinstance(name, bytes) else name)
        return info

    def compare(self) -> dict:
        """minigrad cuda against torch on its device, float32, the same data."""
        import minigrad
        F, TF = minigrad.nn.functional, torch.nn.functional
        checks = []
        m, k, n = self.sizes.compare_matmul
        (a, ta), (b, tb) = self.pair(self.normal(m, k)), self.pair(self.normal(k, n))
        checks.append(closeness(f"matmul {m}×{k} @ {k}×{n}", a @ b, ta @ tb, n=k))

        batch, c_in, height, width, c_out, side = self.sizes.conv
        (x, tx), (w, tw) = (self.pair(self.normal(batch, c_in, height, width), grad=True),
                            self.pair(self.normal(c_out, c_in, side, side), grad=True))
        (bias, tbias), (g, tg) = (self.pair(self.normal(c_out), grad=True),
                                  self.pair(self.normal(batch, c_out, height, width)))
        y, ty = F.conv2d(x, w, bias, padding=side // 2), TF.conv2d(tx, tw, tbias, padding=side // 2)
        y.backward(g)
        ty.backward(tg)
        name = f"conv2d {batch}×{c_in}×{height}×{width}, {c_out}×{c_in}×{side}×{side}, padding {side // 2}"
        checks += [closeness(f"{name}: output", y, ty, n=c_in * side * side),
                   closeness(f"{name}: grad input", x.grad, tx.grad, n=c_out * side * side),
                   closeness(f"{name}: grad weight", w.grad, tw.grad, n=batch * height * width),
                   closeness(f"{name}: grad bias", bias.grad, tbias.grad, n=batch * height * width)]

        rows, classes = self.sizes.cross_entropy
        (z, tz), (t, tt) = (self.pair(self.normal(rows, classes), grad=True),
                            self.pair(self.rng.integers(0, classes, rows)))
        loss, tloss = F.cross_entropy(z, t), TF.cross_entropy(tz, tt)
        loss.backward()
        tloss.backward()
        # the gradient is (softmax - one-hot) / rows: times rows (a power of two, exact) it is
        # softmax - one-hot, each value an exp over a sum computed once: elementwise tolerance
        checks += [closeness(f"cross_entropy {rows}×{classes}: loss", loss, tloss, n=rows * classes),
                   closeness(f"cross_entropy {rows}×{classes}: grad × {rows}", z.grad * rows,
                             tz.grad * rows, family="elementwise")]
        checks += self.mlp_step_checks()
        failed = [c["name"] for c in checks if not c["ok"]]
        return {"checks": checks, "passed": len(checks) - len(failed), "failed": failed,
                "against": "torch CPU (simulator run)" if self.simulate else "torch CUDA, TF32 off"}

    def mlp_step_checks(self) -> list[dict]:
        """One Adam step of the MLP from torch's initial weights: loss, gradients, new weights."""
        import minigrad
        sizes, batch = self.sizes.mlp, self.sizes.batch
        torch.manual_seed(0)
        theirs = torch.nn.Sequential(*mlp_layers(torch.nn, sizes))
        mine = minigrad.nn.Sequential(*mlp_layers(minigrad.nn, sizes))
        mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        mine.to("cuda")
        theirs.to(self.device)
        (x, tx), (y, ty) = self.pair(self.normal(batch, sizes[0])), self.pair(
            self.rng.integers(0, sizes[-1], batch))
        optimizer, toptimizer = (minigrad.optim.Adam(mine.parameters(), lr=1e-3),
                                 torch.optim.Adam(theirs.parameters(), lr=1e-3))
        loss = minigrad.nn.functional.cross_entropy(mine(x), y)
        tloss = torch.nn.functional.cross_entropy(theirs(tx), ty)
        loss.backward()
        tloss.backward()
        name = f"MLP {'-'.join(map(str, sizes))} batch {batch}, Adam step"
        checks = [closeness(f"{name}: loss", loss, tloss, n=batch * sizes[-1])]
        named = dict(theirs.named_parameters())
        # a gradient is a mean over the batch: times batch (a power of two, exact) it is a sum of
        # `batch` terms of order 1, the scale the tolerances are written for
        checks += [closeness(f"{name}: grad {key} × {batch}", p.grad * batch,
                             named[key].grad * batch, n=batch) for key, p in mine.named_parameters()]
        optimizer.step()
        toptimizer.step()
        # Adam's first step moves each weight by about lr = 1e-3 (g / (|g| + eps)); a gradient
        # near eps amplifies its rounding, hence the gradients' tolerance (n = batch) here too
        return checks + [closeness(f"{name}: {key} after the step", p, named[key], n=batch)
                         for key, p in mine.named_parameters()]

    def matmul(self) -> dict:
        """TFLOP/s of an n×n float32 matmul, minigrad's tiled kernel and torch's."""
        side = self.sizes.matmul
        (a, ta), (b, tb) = self.pair(self.normal(side, side)), self.pair(self.normal(side, side))
        check = closeness("result", a @ b, ta @ tb, n=side)
        flops = 2 * side ** 3
        mine = timed(lambda: a @ b, self.sync, self.sizes.repeats, self.sizes.warmup)
        theirs = timed(lambda: torch.matmul(ta, tb), self.sync, self.sizes.repeats, self.sizes.warmup)
        for figures in (mine, theirs):
            figures["tflops"] = flops / figures["median_s"] / 1e12
        return {"shape": [side, side, side], "dtype": "float32", "flops": flops, "check": check,
                "minigrad": mine, "torch": theirs, "ratio": mine["tflops"] / theirs["tflops"],
                "target": MATMUL_TARGET, "measures": "minigrad.matmul on cuda tensors (kernels/"
                "cuda/matmul.py) against torch.matmul, TF32 off, throughput ratio"}

    def add(self) -> dict:
        """GB/s of minigrad's elementwise add against torch's device-to-device copy (and add)."""
        count = self.sizes.add
        (a, ta), (b, tb) = self.pair(self.normal(count)), self.pair(self.normal(count))
        check = closeness("result", a + b, ta + tb, family="exact")
        destination = torch.empty_like(ta)
        repeats, warmup = self.sizes.repeats, self.sizes.warmup
        add_bytes, copy_bytes = 3 * 4 * count, 2 * 4 * count
        mine = timed(lambda: a + b, self.sync, repeats, warmup)
        copy = timed(lambda: destination.copy_(ta), self.sync, repeats, warmup)
        theirs = timed(lambda: ta + tb, self.sync, repeats, warmup)
        for figures, moved in ((mine, add_bytes), (copy, copy_bytes), (theirs, add_bytes)):
            figures["bytes"], figures["gbps"] = moved, moved / figures["median_s"] / 1e9
        return {"elements": count, "dtype": "float32", "check": check, "minigrad_add": mine,
                "torch_copy": copy, "torch_add": theirs, "ratio": mine["gbps"] / copy["gbps"],
                "target": ADD_TARGET, "measures": "minigrad a + b on cuda tensors (3·4·n bytes) "
                "against torch's dst.copy_(src) on the device (2·4·n bytes), bandwidth ratio"}

    def mlp(self) -> dict:
        """ms per training step of bench_workloads' MLP, minigrad cuda and torch."""
        import minigrad
        from minigrad import bench_workloads
        sizes = {"MLP_SIZES": self.sizes.mlp, "MLP_BATCH": self.sizes.batch}
        with mock.patch.multiple(bench_workloads, **sizes):  # the sizes, or tiny ones
            with minigrad.use_backend("cuda"):
                mine = bench_workloads.mlp_step(minigrad)
            with self.device:  # torch's tensors and parameters on its device
                theirs = bench_workloads.mlp_step(torch)
        figures = [timed(step, self.sync, self.sizes.repeats, self.sizes.warmup)
                   for step in (mine, theirs)]
        for f in figures:
            f["ms_per_step"] = 1e3 * f["median_s"]
        return {"sizes": list(self.sizes.mlp), "batch": self.sizes.batch, "minigrad": figures[0],
                "torch": figures[1], "time_ratio": figures[0]["median_s"] / figures[1]["median_s"],
                "measures": "bench_workloads.mlp_step: zero_grad, forward, cross_entropy, "
                "backward, Adam step; time ratio (above 1: minigrad slower)"}

    def tests(self) -> dict:
        """The cuda parity suite in a subprocess, stopped (SIGINT, then SIGKILL) at the limit."""
        args = self.args
        if not self.simulate:
            torch.cuda.empty_cache()  # the subprocess gets the memory the benchmarks used
        names = args.tests or (SIMULATE_TESTS if self.simulate else TESTS)
        files = [match for name in names for match in (sorted(glob.glob(name, root_dir=ROOT))
                                                       if "*" in name else [name])]
        flags = args.pytest_args or (SIMULATE_PYTEST_ARGS if self.simulate else PYTEST_ARGS)
        junit = args.out / "parity_tests.xml"
        junit.unlink(missing_ok=True)
        command = [sys.executable, "-m", "pytest", *files, *shlex.split(flags), f"--junitxml={junit}"]
        env = {**os.environ, "MINIGRAD_TEST_BACKENDS": "cuda",
               "HYPOTHESIS_PROFILE": args.hypothesis_profile,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        env.pop("NUMBA_ENABLE_CUDASIM", None)
        if self.simulate:
            env["NUMBA_ENABLE_CUDASIM"] = "1"
        limit = args.budget_s - self.elapsed() - 15  # leaves time to stop it and write the report
        if args.tests_timeout_s:
            limit = min(limit, args.tests_timeout_s)
        log_path = args.out / "parity_tests.log"
        start = time.perf_counter()
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            timed_out = False
            try:
                process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                timed_out = True
                process.send_signal(signal.SIGINT)  # pytest then prints its summary so far
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        output = log_path.read_text(encoding="utf-8", errors="replace")
        counts = junit_counts(junit) if junit.is_file() else pytest_counts(output)
        return {"command": shlex.join(command), "env": {k: env[k] for k in (
                    "MINIGRAD_TEST_BACKENDS", "HYPOTHESIS_PROFILE")} | (
                    {"NUMBA_ENABLE_CUDASIM": "1"} if self.simulate else {}),
                "limit_s": round(limit, 1), "timed_out": timed_out,
                "returncode": process.returncode, "counts": counts,
                "passed": process.returncode == 0 and not timed_out,
                "duration_s": round(time.perf_counter() - start, 1),
                "counts_from": "JUnit XML" if junit.is_file() else "summary line",
                "log": log_path.name, "tail": output[-3000:]}


def parse(argv: list[str] | None) -> argparse.Namespace:
    default_out = Path(os.environ["OUT"]) if os.environ.get("OUT") else ROOT / "out" / "gpu_checks"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_out,
                        help="folder of the report (default: $OUT, else out/gpu_checks)")
    parser.add_argument("--budget-s", type=float, default=420.0,
                        help="total time; parts that would start later are skipped (default 420)")
    parser.add_argument("--simulate", action="store_true",
                        help="tiny sizes in Numba's CUDA simulator, torch CPU for torch CUDA")
    parser.add_argument("--skip-tests", action="store_true", help="do not run the parity suite")
    parser.add_argument("--tests", nargs="+", help="test files, node ids or globs (default: the "
                        "cuda-relevant parity files)")
    parser.add_argument("--pytest-args", help=f"pytest flags (default: '{PYTEST_ARGS}'; pyproject "
                        "adds -q)")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run these parts only")
    parser.add_argument("--hypothesis-profile", default="dev", help="dev, ci or thorough")
    parser.add_argument("--tests-timeout-s", type=float,
                        help="stop the parity suite after this long (default: the budget left)")
    parser.add_argument("--repeats", type=int, help="timed runs per benchmark (default 20; 1 simulated)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the parts, write the report; exit status 0 when every part that ran passed."""
    args = parse(argv)
    os.environ.pop("NUMBA_ENABLE_CUDASIM", None)  # read when minigrad and numba.cuda come in
    if args.simulate:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        sys.setswitchinterval(1e-4)  # the simulator's threads wait at barriers by polling
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", message=".*(under-utilization|[Hh]ost array).*")
    args.out.mkdir(parents=True, exist_ok=True)
    checks = Checks(args)
    mode = "simulator" if args.simulate else "gpu"
    report: dict[str, Any] = {"mode": mode, "argv": sys.argv[1:] if argv is None else argv,
                              "budget_s": args.budget_s, "sizes": asdict(checks.sizes)}
    checks.log(f"gpu_checks ({mode}) → {args.out}")
    gpu_missing = not args.simulate and not torch.cuda.is_available()
    environment = ({"status": "error", "error": "torch sees no CUDA GPU; --simulate runs the "
                    "checks in Numba's CUDA simulator"} if gpu_missing
                   else checks.run_part("environment", checks.environment))
    report["environment"] = environment
    report["label"] = (SIMULATOR_LABEL if args.simulate
                       else f"GPU: {environment.get('gpu', 'none found')}")
    checks.log(report["label"])
    if environment["status"] == "ok":
        checks.log(", ".join(f"{key} {environment[key]}" for key in (
            "torch", "torch_cuda", "numba", "numba_cuda", "numpy", "python")))
    report["parts"] = {}
    for name in PARTS:
        if environment["status"] != "ok":
            report["parts"][name] = {"status": "skipped", "note": "no environment"}
        elif name == "tests" and args.skip_tests:
            report["parts"][name] = {"status": "skipped", "note": "--skip-tests"}
        elif args.only and name not in args.only:
            report["parts"][name] = {"status": "skipped", "note": "not in --only"}
        else:
            report["parts"][name] = checks.run_part(name, getattr(checks, name))
    report["elapsed_s"] = round(checks.elapsed(), 1)
    as_json = json.dumps(report, indent=2, ensure_ascii=False)
    (args.out / "gpu_checks.json").write_text(as_json + "\n", encoding="utf-8")
    text = summary(report)
    (args.out / "gpu_checks.txt").write_text(text, encoding="utf-8")
    print(text, end="")
    results = report["parts"].values()
    failed = (environment["status"] != "ok" or any(p["status"] == "error" for p in results)
              or not all(c["ok"] for c in report["parts"]["compare"].get("checks", []))
              or report["parts"]["tests"].get("passed") is False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
