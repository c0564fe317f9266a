"""Pictures of the computation graph: what ``backward`` will walk, drawn with Graphviz.

``to_dot(loss)`` describes the graph that produced ``loss`` in Graphviz's DOT language: one box per
leaf (the tensors you created, with their name and shape), one ellipse per operation (the
``grad_fn`` nodes, such as ``MulBackward``), arrows in the direction of the forward pass, and the
output highlighted. ``save_graph`` writes the DOT file and, when Graphviz's ``dot`` program is
installed, renders it to SVG.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .autograd.function import AccumulateGrad, Node
from .tensor import Tensor

_LEAF_STYLE = 'shape=box, style="rounded,filled", fillcolor="lightblue"'
_OP_STYLE = 'shape=ellipse, style=filled, fillcolor="lightgrey"'
_OUTPUT_STYLE = 'shape=box, style="rounded,filled", fillcolor="darkolivegreen1", penwidth=2'


def _quote(text: str) -> str:
    """``text`` as a DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(tensor: Tensor) -> str:
    """A shape as Python prints a tuple: ``(3, 2)``, ``(3,)``, ``()`` for a scalar."""
    shape = tensor.shape
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _leaf_label(tensor: Tensor, names: dict[int, str]) -> str:
    """The name (when given) and the shape of a tensor."""
    name = names.get(id(tensor))
    return f"{name}\n{_shape(tensor)}" if name else _shape(tensor)


def to_dot(tensor: Tensor, names: dict[str, Tensor] | None = None) -> str:
    """The DOT description of the graph that produced ``tensor``.

    ``names`` maps a display name to a tensor: leaves get it in their box, intermediate results
    in the ellipse of the operation that produced them.
    """
    by_id = {id(t): name for name, t in (names or {}).items()}
    by_output = {(t.grad_fn, t._output_nr): name for name, t in (names or {}).items()
                 if t.grad_fn is not None and t is not tensor}
    lines = ["digraph minigrad {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=11];']
    ids: dict[Node, str] = {}

    def node_id(node: Node) -> str:
        if node not in ids:
            ids[node] = f"n{len(ids)}"
        return ids[node]

    root = tensor.grad_fn
    stack = [root] if root is not None else []
    seen = set(stack)
    while stack:
        node = stack.pop()
        if isinstance(node, AccumulateGrad):
            label = _leaf_label(node.variable, by_id)
            lines.append(f"  {node_id(node)} [label={_quote(label)}, {_LEAF_STYLE}];")
        else:
            results = [name for (producer, _), name in by_output.items() if producer is node]
            label = "\n".join([node.name(), *results])
            lines.append(f"  {node_id(node)} [label={_quote(label)}, {_OP_STYLE}];")
        for child, _ in node.next_functions:
            if child is None:
                continue
            lines.append(f"  {node_id(child)} -> {node_id(node)};")
            if child not in seen:
                seen.add(child)
                stack.append(child)

    lines.append(f"  output [label={_quote(_leaf_label(tensor, by_id))}, {_OUTPUT_STYLE}];")
    if root is not None:
        lines.append(f"  {node_id(root)} -> output;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_graph(tensor: Tensor, path: str | Path, names: dict[str, Tensor] | None = None) -> list[Path]:
    """Write ``path.dot``, and ``path.svg`` when Graphviz's ``dot`` is installed; the paths written."""
    base = Path(path)
    dot_path = base.with_name(base.name + ".dot")
    dot_path.parent.mkdir(parents=True, exist_ok=True)
    dot_path.write_text(to_dot(tensor, names), encoding="utf-8")
    written = [dot_path]
    program = shutil.which("dot")
    if program is not None:
        svg_path = base.with_name(base.name + ".svg")
        subprocess.run([program, "-Tsvg", str(dot_path), "-o", str(svg_path)], check=True)
        written.append(svg_path)
    return written
