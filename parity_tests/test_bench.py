"""The benchmark command: ``minigrad bench`` runs every side, reports JSON and a table, and plots.

No timing is asserted (timings belong to the benchmark, not to tests): these check the runner's
structure on one tiny workload, with one sample.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

import minigrad
from minigrad.__main__ import main
from minigrad.bench import TARGETS, format_table, machine, measure, peak_memory
from minigrad.bench_workloads import CHAIN_LENGTH, MLP_SIZES, WORKLOADS


def test_json_has_every_side_and_ratio_and_the_plot_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``--json`` gives each side's median [min, max] and the ratios to torch and to numpy."""
    png = tmp_path / "bench.png"
    assert main(["bench", "--workload", "chain", "--repeat", "1", "--json", "--no-memory",
                 "--plot", str(png)]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    backends = minigrad.available_backends()
    assert report["backends"] == backends
    assert {"cpu", "cores", "numpy", "numba", "torch", "minigrad"} <= report["machine"].keys()
    (chain,) = report["results"]
    assert chain["workload"] == "chain" and chain["count"] == 3 * CHAIN_LENGTH
    assert chain["repeat"] == 1 and list(chain["times"]) == ["torch", *backends]
    for t in chain["times"].values():
        assert 0 < t["min_s"] <= t["median_s"] <= t["max_s"]
    torch_s = chain["times"]["torch"]["median_s"]
    assert chain["ratio_to_torch"] == pytest.approx(
        {b: chain["times"][b]["median_s"] / torch_s for b in backends})
    assert chain["ratio_to_numpy"] == pytest.approx(
        {b: chain["times"][b]["median_s"] / chain["times"]["numpy"]["median_s"]
         for b in backends if b != "numpy"})
    if "numba" in backends:
        target = chain["target"]
        assert target["max_ratio_to_torch"] == TARGETS["chain"]
        assert target["met"] == (chain["ratio_to_torch"]["numba"] <= TARGETS["chain"])
        assert report["machine"]["numba"]
    assert "peak_memory_bytes" not in chain  # --no-memory
    assert "bench 1/1 chain: 1/1" in err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_shows_times_and_ratios_of_every_backend() -> None:
    """The printed table has a column per side and a ratio column per backend."""
    backends = minigrad.available_backends()
    result = measure(WORKLOADS["chain"], backends, repeat=1, warmup=1)
    table = format_table([result], machine())
    assert all(f"{b}/torch" in table for b in backends)
    assert all(f"{b}/numpy" in table for b in backends if b != "numpy")
    assert "chain" in table.splitlines()[5]  # the first row under the times header


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="measured on Linux only")
def test_peak_memory_of_the_mlp_holds_its_weights() -> None:
    """The peak memory of the MLP's training step, measured in a fresh process, holds at least its
    float32 weights (the numpy side only: a child importing torch takes seconds)."""
    params = sum(a * b + b for a, b in itertools.pairwise(MLP_SIZES))
    assert peak_memory(WORKLOADS["mlp"], "numpy") > 4 * params


@pytest.mark.skipif("numba" not in minigrad.available_backends(), reason="numba is not installed")
def test_every_numba_kernel_is_cached() -> None:
    """Every Numba kernel of ``kernels`` caches on disk (``cache=True``), so that a warm start
    loads it instead of compiling it."""
    from minigrad.bench_startup import kernel_signatures

    minigrad.get_backend("numba")  # imports the kernel modules (compiles nothing)
    signatures = kernel_signatures()
    assert signatures["kernels"] > 0
    assert signatures["uncached"] == []
