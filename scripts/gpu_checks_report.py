"""The results of ``scripts/gpu_checks.py``: pytest's counts (from its JUnit XML, or its summary
line), the text summary of the JSON report, and the Markdown table of the GPU figures for the
README (never written for a simulator run)."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree


def junit_counts(path: Path) -> dict[str, int]:
    """passed, failed, error and skipped from pytest's JUnit XML (written on an interrupt too)."""
    suite = ElementTree.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    counts = {key: int(suite.get(attribute, 0)) for key, attribute in (
        ("tests", "tests"), ("failed", "failures"), ("error", "errors"), ("skipped", "skipped"))}
    passed = counts.pop("tests") - counts["failed"] - counts["error"] - counts["skipped"]
    return {"passed": passed, **counts}


def pytest_counts(output: str) -> dict[str, int]:
    """The counts of pytest's last summary line ('3 passed, 1 failed, 2 skipped in 4.5s')."""
    pattern = r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)"
    for line in reversed(output.splitlines()):
        found = re.findall(pattern, line)
        if found and re.search(r" in [\d.]+s", line):
            return {("error" if word.startswith("error") else word): int(count)
                    for count, word in found}
    return {}


def summary(report: dict) -> str:
    """The human-readable report: what ran where, the figures against the targets."""
    env, parts = report["environment"], report["parts"]
    simulated = report["mode"] == "simulator"
    tag = "[simulator] " if simulated else ""
    lines = [f"minigrad GPU checks: {report['label']}", ""]
    if env.get("status") == "ok":
        lines.append(f"torch {env['torch']} (CUDA {env['torch_cuda']}), numba {env['numba']}, "
                     f"numba-cuda {env['numba_cuda']}, numpy {env['numpy']}, Python {env['python']}")
        lines.append(f"TF32: torch.backends.cuda.matmul.allow_tf32={env['torch_matmul_allow_tf32']}, "
                     f"torch.backends.cudnn.allow_tf32={env['cudnn_allow_tf32']}")
    else:
        lines.append(f"environment: {env['status']}: {env.get('error')}")
    lines.append(f"total {report['elapsed_s']} s of a {report['budget_s']} s budget")
    lines.append("")

    def status(name: str) -> str | None:
        part = parts[name]
        if part["status"] == "ok":
            return None
        return f"{name}: {part['status']}: {part.get('note') or part.get('error')}"

    def verdict(ratio: float, target: float) -> str:
        if simulated:
            return f"target ≥ {target} not judged in the simulator"
        return f"target ≥ {target}: {'met' if ratio >= target else 'NOT MET'}"

    compare = parts["compare"]
    lines.append(status("compare") or (
        f"{tag}compare, minigrad cuda vs {compare['against']}: {compare['passed']}/"
        f"{len(compare['checks'])} within the parity tolerance"
        + "".join(f"\n  FAILED {name}" for name in compare["failed"])))
    matmul = parts["matmul"]
    lines.append(status("matmul") or (
        f"{tag}matmul {matmul['shape'][0]}² float32: minigrad {matmul['minigrad']['tflops']:.3g} "
        f"TFLOP/s, torch {matmul['torch']['tflops']:.3g} TFLOP/s: ratio {matmul['ratio']:.3g} "
        f"({verdict(matmul['ratio'], matmul['target'])}); result "
        f"{'ok' if matmul['check']['ok'] else 'DIFFERS'}"))
    add = parts["add"]
    lines.append(status("add") or (
        f"{tag}add of {add['elements']} float32: minigrad {add['minigrad_add']['gbps']:.4g} GB/s, "
        f"torch copy {add['torch_copy']['gbps']:.4g} GB/s (torch add {add['torch_add']['gbps']:.4g} "
        f"GB/s): ratio {add['ratio']:.3g} ({verdict(add['ratio'], add['target'])}); result "
        f"{'ok' if add['check']['ok'] else 'DIFFERS'}"))
    mlp = parts["mlp"]
    lines.append(status("mlp") or (
        f"{tag}MLP step {'-'.join(map(str, mlp['sizes']))} batch {mlp['batch']} Adam: minigrad "
        f"{mlp['minigrad']['ms_per_step']:.3g} ms, torch {mlp['torch']['ms_per_step']:.3g} ms: "
        f"{mlp['time_ratio']:.3g}× torch's time"))
    tests = parts["tests"]
    if tests["status"] == "ok":
        counts = ", ".join(f"{v} {k}" for k, v in tests["counts"].items()) or "no summary line"
        lines.append(f"parity tests (cuda): {counts} in {tests['duration_s']} s, exit "
                     f"{tests['returncode']}{', STOPPED at the time limit' if tests['timed_out'] else ''}"
                     f": {'PASSED' if tests['passed'] else 'NOT PASSED'} (log: {tests['log']})")
    else:
        lines.append(status("tests"))
    if not simulated and env.get("status") == "ok":
        lines += ["", "For the README (Markdown):", "", *readme_table(report)]
    return "\n".join(lines) + "\n"


def readme_table(report: dict) -> list[str]:
    """The figures of a GPU run as Markdown rows, the GPU and the versions named."""
    env, parts = report["environment"], report["parts"]
    rows = ["| check | minigrad (cuda) | torch (CUDA, TF32 off) | ratio | target |",
            "|---|---|---|---|---|"]
    matmul, add, mlp = parts["matmul"], parts["add"], parts["mlp"]
    if matmul["status"] == "ok":
        rows.append(f"| matmul {matmul['shape'][0]}² float32 | {matmul['minigrad']['tflops']:.3g} "
                    f"TFLOP/s | {matmul['torch']['tflops']:.3g} TFLOP/s | {matmul['ratio']:.2f} "
                    f"| ≥ {matmul['target']} |")
    if add["status"] == "ok":
        rows.append(f"| add of 2^{add['elements'].bit_length() - 1} float32 | "
                    f"{add['minigrad_add']['gbps']:.4g} GB/s | copy {add['torch_copy']['gbps']:.4g} "
                    f"GB/s (add {add['torch_add']['gbps']:.4g} GB/s) | {add['ratio']:.2f} | "
                    f"≥ {add['target']} of the copy |")
    if mlp["status"] == "ok":
        rows.append(f"| MLP step {'-'.join(map(str, mlp['sizes']))}, batch {mlp['batch']}, Adam | "
                    f"{mlp['minigrad']['ms_per_step']:.3g} ms | {mlp['torch']['ms_per_step']:.3g} ms "
                    f"| {mlp['time_ratio']:.2f}× the time | |")
    note = (f"{env['gpu']}; torch {env['torch']} (CUDA {env['torch_cuda']}), numba {env['numba']}, "
            f"numba-cuda {env['numba_cuda']}; medians of up to {report['sizes']['repeats']} runs after "
            f"{report['sizes']['warmup']} warm-up runs, each ended by a device synchronization "
            "(`scripts/gpu_checks.py`).")
    return [*rows, "", note]
