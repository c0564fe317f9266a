"""``scripts/gpu_checks.py`` without a GPU: its ``--simulate`` mode runs every part on tiny sizes in
Numba's CUDA simulator (torch's CPU standing in for torch CUDA) and writes the same report as on a
GPU, labelled as simulator figures. Each run is a fresh interpreter, as on the GPU machine."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gpu_checks.py"
RESULTS = ROOT / "scripts" / "gpu_checks_report.py"
pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                reason="the cuda backend (and its simulator) needs numba")


def run_script(*options: str, out: Path) -> dict:
    """Run the script in a fresh interpreter; its JSON report."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OUT", None)
    done = subprocess.run([sys.executable, str(SCRIPT), "--simulate", "--out", str(out), *options],
                          check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "gpu_checks.json").read_text(encoding="utf-8"))


def load_results_module():
    """``scripts/gpu_checks_report.py``, for its helpers (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("gpu_checks_report", RESULTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_simulated_run_reports_every_part_as_simulator_figures(tmp_path: Path) -> None:
    report = run_script("--skip-tests", out=tmp_path)
    assert report["mode"] == "simulator" and "NOT GPU figures" in report["label"]
    assert report["environment"]["status"] == "ok" and report["environment"]["gpu"] is None
    assert report["environment"]["torch_matmul_allow_tf32"] is False
    parts = report["parts"]
    assert set(parts) == {"compare", "matmul", "add", "mlp", "tests"}
    assert parts["tests"] == {"status": "skipped", "note": "--skip-tests"}
    assert all(parts[name]["status"] == "ok" for name in ("compare", "matmul", "add", "mlp")), parts

    compare = parts["compare"]
    names = " | ".join(check["name"] for check in compare["checks"])
    for op in ("matmul", "conv2d", "grad weight", "cross_entropy", "MLP", "after the step"):
        assert op in names
    assert all(check["ok"] for check in compare["checks"]) and compare["failed"] == []

    matmul, add, mlp = parts["matmul"], parts["add"], parts["mlp"]
    assert matmul["shape"] == [32, 32, 32] and matmul["check"]["ok"]
    assert matmul["ratio"] == pytest.approx(matmul["minigrad"]["tflops"] / matmul["torch"]["tflops"])
    assert add["elements"] == 2 ** 10 and add["check"]["ok"]
    assert add["torch_copy"]["bytes"] == 2 * 4 * 2 ** 10 and add["minigrad_add"]["bytes"] == 3 * 4 * 2 ** 10
    assert add["ratio"] == pytest.approx(add["minigrad_add"]["gbps"] / add["torch_copy"]["gbps"])
    assert mlp["sizes"] == [8, 16, 16, 4] and mlp["batch"] == 4
    for figures in (matmul["minigrad"], matmul["torch"], add["torch_copy"], mlp["minigrad"]):
        assert 0 < figures["min_s"] <= figures["median_s"] <= figures["max_s"]

    text = (tmp_path / "gpu_checks.txt").read_text(encoding="utf-8")
    figure_lines = [line for line in text.splitlines() if "/s" in line or " ms" in line]
    assert len(figure_lines) == 3 and all(line.startswith("[simulator]") for line in figure_lines)
    assert "not judged in the simulator" in text and "NOT MET" not in text and " met" not in text

    # the same report, as if from a GPU: judged against the targets, with the README's table
    named = {**report, "mode": "gpu", "label": "GPU: Some GPU",
             "environment": {**report["environment"], "gpu": "Some GPU"}}
    text = load_results_module().summary(named)
    assert "[simulator]" not in text and "target ≥ 0.5: NOT MET" in text
    assert "| matmul 32² float32 |" in text and "| add of 2^10 float32 |" in text
    assert "Some GPU; torch" in text


def test_simulated_parity_tests_are_counted(tmp_path: Path) -> None:
    tests = run_script("--only", "tests", out=tmp_path)["parts"]["tests"]
    assert tests["status"] == "ok" and tests["passed"] and not tests["timed_out"]
    assert tests["counts"]["passed"] >= 1 and tests["counts"]["failed"] == 0
    assert tests["env"]["MINIGRAD_TEST_BACKENDS"] == "cuda"
    assert (tmp_path / "parity_tests.log").is_file()


def test_an_exhausted_budget_skips_the_parts_with_a_note(tmp_path: Path) -> None:
    report = run_script("--budget-s", "0", out=tmp_path)
    assert report["environment"]["status"] == "ok"
    for part in report["parts"].values():
        assert part["status"] == "skipped" and part["note"].startswith("over budget")


def test_pytest_summary_lines_are_counted() -> None:
    counts = load_results_module().pytest_counts
    assert counts("....\n3 passed, 1 failed, 2 skipped in 4.50s\n") == {
        "passed": 3, "failed": 1, "skipped": 2}
    assert counts("== 1 failed, 2 errors in 0.12s ==") == {"failed": 1, "error": 2}
    assert counts("!!! KeyboardInterrupt !!!\n5 passed in 3.2s") == {"passed": 5}
    assert counts("....  [100%]") == {}


def test_junit_counts_subtract_the_failures_from_the_tests(tmp_path: Path) -> None:
    xml = tmp_path / "report.xml"
    xml.write_text('<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" '
                   'tests="10" time="1.0"/></testsuites>', encoding="utf-8")
    assert load_results_module().junit_counts(xml) == {"passed": 4, "failed": 2, "error": 1, "skipped": 3}
