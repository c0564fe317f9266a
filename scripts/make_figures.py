"""Make every picture of the chapters, from minigrad itself: ``python scripts/make_figures.py``.

Computation graphs are built by running minigrad and drawn with ``minigrad.viz`` (DOT files, and
SVG when Graphviz's ``dot`` is installed); the pictures of chapter 02 are drawn with matplotlib
from the shapes, values and strides minigrad reports. Nothing is drawn by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the non-interactive backend

import minigrad  # noqa: E402
from minigrad.viz import save_graph  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

PNG_METADATA = {"Software": None}  # keeps the files identical from one run to the next


def neuron_graph(out: Path) -> list[Path]:
    """Chapter 03: one neuron, its prediction and its squared-error loss."""
    x = minigrad.tensor([0.5, -1.0, 2.0])
    w = minigrad.tensor([0.1, 0.2, -0.3], requires_grad=True)
    b = minigrad.tensor(0.05, requires_grad=True)
    target = minigrad.tensor(1.0)
    z = (w * x).sum() + b
    prediction = z.tanh()
    loss = (prediction - target) ** 2
    names = {"w": w, "b": b, "z": z, "prediction": prediction, "loss": loss}
    return save_graph(loss, out / "graphe_neurone", names)


def shared_input_graph(out: Path) -> list[Path]:
    """Chapter 03: a value used twice, whose two gradients the engine adds up."""
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + x.exp()).sum()
    return save_graph(y, out / "graphe_accumulation", {"x": x, "y": y})


def _grid(ax: plt.Axes, values: list[list[float]], title: str) -> None:
    """Draw a matrix of values as a grid of labelled cells."""
    rows, cols = len(values), len(values[0])
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(plt.Rectangle((j, rows - 1 - i), 1, 1, facecolor="#cfe8fc", edgecolor="black"))
            ax.text(j + 0.5, rows - 0.5 - i, f"{values[i][j]:g}", ha="center", va="center")
    ax.set_xlim(-0.1, max(cols, 1) + 0.1)
    ax.set_ylim(-0.1, max(rows, 1) + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def broadcasting_figure(out: Path) -> list[Path]:
    """Chapter 02: (3, 1) + (1, 4) → (3, 4), each operand stretched along its size-1 dims."""
    a = minigrad.tensor([[0.0], [10.0], [20.0]])
    b = minigrad.tensor([[1.0, 2.0, 3.0, 4.0]])
    total = a + b
    shape = tuple(total.shape)
    fig, axes = plt.subplots(1, 5, figsize=(11, 2.6), gridspec_kw={"width_ratios": [1, 4, 4, 4, 4]})
    _grid(axes[0], a.tolist(), f"a {tuple(a.shape)}")
    _grid(axes[1], b.tolist(), f"b {tuple(b.shape)}")
    _grid(axes[2], a.expand(*shape).tolist(), f"a.expand{shape}\nstrides {a.expand(*shape).stride()}")
    _grid(axes[3], b.expand(*shape).tolist(), f"b.expand{shape}\nstrides {b.expand(*shape).stride()}")
    _grid(axes[4], total.tolist(), f"a + b {shape}")
    fig.tight_layout()
    path = out / "broadcasting.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


def strides_figure(out: Path) -> list[Path]:
    """Chapter 02: one block of memory read as a (2, 3) tensor and as its transpose."""
    x = minigrad.arange(6.0).reshape(2, 3)
    views = [("x", x), ("x.T", x.T)]
    fig, axes = plt.subplots(len(views) + 1, 1, figsize=(7, 5.2),
                             gridspec_kw={"height_ratios": [1, 2, 3]})
    memory = list(range(6))
    _grid(axes[0], [memory], "la mémoire : 6 valeurs float32 à la suite")
    for ax, (name, view) in zip(axes[1:], views):
        rows, cols = view.shape
        _grid(ax, view.tolist(), f"{name} : shape {tuple(view.shape)}, strides {view.stride()}")
        row_stride, col_stride = view.stride()
        for i in range(rows):
            for j in range(cols):
                offset = i * row_stride + j * col_stride
                ax.text(j + 0.95, rows - 0.95 - i, f"@{offset}", ha="right", va="bottom",
                        fontsize=7, color="#555555")
    fig.tight_layout()
    path = out / "strides.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


FIGURES = (neuron_graph, shared_input_graph, broadcasting_figure, strides_figure)


def main(argv: list[str] | None = None) -> list[Path]:
    """Make every figure into ``--out`` (``chapters/figures`` by default); the paths written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "chapters" / "figures",
                        help="folder for the pictures (created if missing)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = [path for make in FIGURES for path in make(args.out)]
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
