"""The chapters run: every ```python block of a chapter, in order, in one shared namespace.

One test per chapter, so that a failure names the chapter and the block (``chapters/02_tenseurs.md,
block 3, line 57``). Also tested here: ``minigrad.viz`` and the script that makes the pictures.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import minigrad
from minigrad.viz import save_graph, to_dot

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
FIGURE = re.compile(r"\]\((figures/[^)\s]+)\)")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line, code)`` of each ```python block, in order."""
    return [(text.count("\n", 0, m.start()) + 2, m.group(2))
            for m in FENCE.finditer(text) if m.group(1) == "python"]


def test_chapters_exist() -> None:
    assert CHAPTERS, "no chapter found in chapters/"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs(chapter: Path) -> None:
    """Each block runs after the ones before it; the chapter leaves the default backend as it was."""
    text = chapter.read_text(encoding="utf-8")
    fences = {m.group(1) for m in FENCE.finditer(text)}
    assert fences <= {"python"}, (
        f"{chapter.name}: only ```python blocks are allowed (every block runs), found {fences}")
    blocks = python_blocks(text)
    namespace: dict = {"__name__": f"chapter_{chapter.stem}"}
    with minigrad.use_backend(minigrad.get_backend().name):
        for number, (line, code) in enumerate(blocks, start=1):
            where = f"{chapter.relative_to(ROOT)}, block {number}, line {line}"
            exec(compile("\n" * (line - 1) + code, where, "exec"), namespace)  # noqa: S102


def test_figures_referenced_exist() -> None:
    """Every picture a chapter shows is in chapters/figures/ (made by scripts/make_figures.py)."""
    missing = [f"{c.name}: {ref}" for c in CHAPTERS
               for ref in FIGURE.findall(c.read_text(encoding="utf-8"))
               if not (ROOT / "chapters" / ref).is_file()]
    assert not missing, f"missing pictures (run scripts/make_figures.py): {missing}"


def test_make_figures_makes_every_referenced_picture(tmp_path: Path) -> None:
    """The script runs and makes every picture the chapters reference (the DOT file of an SVG
    when Graphviz is not installed)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_figures.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=120, env=env)
    made = {p.name for p in tmp_path.iterdir()}
    has_dot = shutil.which("dot") is not None
    expected = set()
    for chapter in CHAPTERS:
        for ref in FIGURE.findall(chapter.read_text(encoding="utf-8")):
            name = Path(ref).name
            expected.add(name if has_dot or not name.endswith(".svg") else name[:-4] + ".dot")
    assert expected <= made, f"not made by the script: {sorted(expected - made)}"


def test_to_dot_names_operations_and_leaves() -> None:
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    x = minigrad.tensor([3.0, 4.0], requires_grad=True)
    b = minigrad.tensor([0.5, 0.5], requires_grad=True)
    loss = (w * x + b).sum()
    dot = to_dot(loss, {"w": w, "x": x, "b": b, "loss": loss})
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for label in ("MulBackward", "AddBackward", "SumBackward", "w\\n(2,)", "x\\n(2,)", "b\\n(2,)",
                  "loss\\n()"):
        assert f'label="{label}"' in dot, f"{label} missing from\n{dot}"
    assert dot.count("shape=box") == 4  # three leaves and the output
    assert dot.count("shape=ellipse") == 3
    assert dot.count("->") == 6  # w, x → Mul; Mul, b → Add; Add → Sum; Sum → output


def test_to_dot_draws_a_shared_node_once() -> None:
    x = minigrad.tensor(2.0, requires_grad=True)
    y = x * x
    dot = to_dot(y, {"x": x})
    assert dot.count('label="x\\n()"') == 1
    assert dot.count("n1 -> n0;") == 2  # both edges of MulBackward come from the same leaf


def test_to_dot_of_a_deep_graph_needs_no_recursion() -> None:
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert to_dot(y).count("MulBackward") == 3000


def test_save_graph_writes_dot_and_svg(tmp_path: Path) -> None:
    x = minigrad.tensor([1.0], requires_grad=True)
    written = save_graph(x.exp(), tmp_path / "sub" / "g", {"x": x})
    assert written[0] == tmp_path / "sub" / "g.dot" and written[0].read_text().startswith("digraph")
    if shutil.which("dot"):
        assert written[1] == tmp_path / "sub" / "g.svg" and "<svg" in written[1].read_text()
    else:
        assert len(written) == 1
