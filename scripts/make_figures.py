"""Make every picture of the chapters, from minigrad itself: ``python scripts/make_figures.py``.

Computation graphs are built by running minigrad and drawn with ``minigrad.viz`` (DOT files, and
SVG when Graphviz's ``dot`` is installed); the pictures of chapter 02 are drawn with matplotlib
from the shapes, values and strides minigrad reports; those of chapters 05 and 06 plot what
minigrad's optimizers do (and, for 06 and 07, torch beside it, when torch is installed); chapter
07's im2col picture draws the columns of minigrad's own ``unfold``; chapter 08's chart plots the
results that ``minigrad bench --json`` recorded. Nothing is drawn by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

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


def _valley(p: minigrad.Tensor) -> minigrad.Tensor:
    """Chapter 05's loss surface: f(x, y) = x²/50 + y², a valley 7 times longer than wide."""
    return p[0] ** 2 / 50 + p[1] ** 2


OPTIMIZER_RUNS = (
    ("SGD, lr=0.9", lambda params: minigrad.optim.SGD(params, lr=0.9)),
    ("SGD + momentum 0.8, lr=0.2", lambda params: minigrad.optim.SGD(params, lr=0.2, momentum=0.8)),
    ("Adam, lr=0.5", lambda params: minigrad.optim.Adam(params, lr=0.5)),
)


def optimizer_paths(out: Path, steps: int = 40) -> list[Path]:
    """Chapter 05: the paths of SGD, momentum and Adam on the valley, run by minigrad.optim."""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    xs = minigrad.arange(200) * (6.5 / 199) - 5.0
    ys = minigrad.arange(200) * (4.0 / 199) - 2.0
    grid = minigrad.stack([xs.expand(200, 200), ys[:, None].expand(200, 200)])  # grid[:, j, i] = (x_i, y_j)
    ax.contour(xs.numpy(), ys.numpy(), _valley(grid).numpy(), colors="#bbbbbb", linewidths=0.8,
               levels=[0.01 * 1.6 ** k for k in range(15)])
    for label, make in OPTIMIZER_RUNS:
        point = minigrad.tensor([-4.5, 1.5], requires_grad=True)
        optimizer = make([point])
        path = [point.tolist()]
        for _ in range(steps):
            optimizer.zero_grad()
            _valley(point).backward()
            optimizer.step()
            path.append(point.tolist())
        final = _valley(point).item()
        ax.plot([p[0] for p in path], [p[1] for p in path], "o-", markersize=3, linewidth=1.2,
                label=f"{label} : f = {final:.2g} après {steps} pas")
    ax.plot([0.0], [0.0], "k*", markersize=10)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("f(x, y) = x²/50 + y², départ (-4,5 ; 1,5) : trois optimiseurs de minigrad.optim")
    ax.legend(loc="upper right", fontsize=9)
    fig.tight_layout()
    path = out / "chemins_optimiseurs.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


def _training_curves(histories: dict, legend_size: int | None) -> Any:
    """Loss (log scale) and test accuracy per epoch, one curve per entry of ``histories``."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for (name, history), style in zip(histories.items(), ("o-", "x--", "s:")):
        epochs_axis = range(1, len(history) + 1)
        left.plot(epochs_axis, [h[0] for h in history], style, label=name)
        right.plot(epochs_axis, [100 * h[1] for h in history], style, label=name)
    left.set_yscale("log")
    left.set_title("perte d'entraînement (entropie croisée, moyenne par époque)", fontsize=10)
    right.set_title("précision sur les 297 chiffres de test (%)", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("époque")
        ax.legend(fontsize=legend_size)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _digits_history(lib: Any, model: Any, data: tuple[np.ndarray, ...], epochs: int) -> list[list[float]]:
    """Train ``model`` (of ``lib``) on the digits with Adam; [train loss, test accuracy] per epoch."""
    x_train, y_train, x_test, y_test = (lib.tensor(a) for a in data)
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    history = []
    for epoch in range(epochs):
        order = np.random.default_rng([0, epoch]).permutation(len(data[0]))
        total = 0.0
        for start in range(0, len(order), 64):
            batch = lib.tensor(order[start:start + 64])
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        with lib.no_grad():
            accuracy = (model(x_test).argmax(dim=1) == y_test).sum().item() / len(data[3])
        history.append([total / len(data[0]), accuracy])
    return history


def digits_training_curves(out: Path, epochs: int = 15) -> list[Path]:
    """Chapter 06: loss and test accuracy of a 64-32-10 classifier on the digits, both libraries."""
    pixels, labels = minigrad.datasets.load_digits()
    x, y = pixels.numpy() / np.float32(16), labels.numpy()
    data = (x[:1500], y[:1500], x[1500:], y[1500:])
    minigrad.manual_seed(0)
    model = minigrad.nn.Sequential(minigrad.nn.Linear(64, 32), minigrad.nn.ReLU(), minigrad.nn.Linear(32, 10))
    initial = {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    histories = {"minigrad": _digits_history(minigrad, model, data, epochs)}
    try:
        import torch
    except ImportError:  # the figure then shows minigrad alone
        torch = None
    if torch is not None:
        torch.set_num_threads(1)  # tiny matrices: one thread is faster, and immune to a busy machine
        twin = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        twin.load_state_dict({name: torch.from_numpy(value) for name, value in initial.items()})
        histories["torch"] = _digits_history(torch, twin, data, epochs)
    fig = _training_curves(histories, legend_size=None)
    path = out / "chiffres_entrainement.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


WINDOW_COLOURS = ("#f4a582", "#fee08b", "#b8e186", "#c2a5cf")


def im2col_figure(out: Path) -> list[Path]:
    """Chapter 07: a 4×4 input, its four 3×3 sliding windows, and the 9×4 columns that
    ``minigrad.nn.functional.unfold`` makes of them (one column per window)."""
    x = minigrad.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    columns = minigrad.nn.functional.unfold(x, kernel_size=3)[0]  # (1·3·3, 4 windows)
    image = x[0, 0].tolist()
    fig = plt.figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(2, 4, width_ratios=[1, 1, 0.35, 1.6])
    for k in range(columns.shape[1]):
        ax = fig.add_subplot(grid[k // 2, k % 2])
        _grid(ax, image, f"fenêtre {k}")
        top, left = divmod(k, 2)  # the window's top-left pixel (stride 1, 2 windows a row)
        ax.add_patch(plt.Rectangle((left, 4 - top - 3), 3, 3, facecolor=WINDOW_COLOURS[k],
                                   edgecolor="black", linewidth=2.5, alpha=0.6))
    ax = fig.add_subplot(grid[:, 2])
    ax.annotate("", xy=(0.9, 0.5), xytext=(0.1, 0.5), arrowprops={"arrowstyle": "->", "lw": 2})
    ax.text(0.5, 0.58, "unfold", ha="center", fontsize=10)
    ax.axis("off")
    ax = fig.add_subplot(grid[:, 3])
    values = columns.tolist()
    _grid(ax, values, f"unfold(x, 3) : {tuple(columns.shape)}, une colonne par fenêtre")
    rows = len(values)
    for k in range(len(values[0])):
        ax.add_patch(plt.Rectangle((k, 0), 1, rows, facecolor=WINDOW_COLOURS[k], alpha=0.6,
                                   edgecolor="black", linewidth=1.5))
    for i in range(rows):
        ax.text(-0.1, rows - 0.5 - i, f"({i // 3},{i % 3})", ha="right", va="center", fontsize=7,
                color="#555555")
    ax.set_xlim(-0.8, len(values[0]) + 0.1)
    fig.suptitle("im2col : chaque fenêtre 3 × 3 de l'entrée 4 × 4 devient une colonne ; "
                 "la convolution devient poids (1, 9) @ colonnes (9, 4)", fontsize=10)
    fig.tight_layout()
    path = out / "im2col.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


def small_cnn(lib: Any) -> Any:
    """Chapter 07's CNN for the 8×8 digits, in ``lib``: 1×8×8 → 8×4×4 → 16×2×2 → 10."""
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))


def cnn_digits_curves(out: Path, epochs: int = 10) -> list[Path]:
    """Chapter 07: loss and test accuracy of the small CNN on the digits images, both libraries
    from the same weights, beside chapter 06's 64-32-10 MLP (minigrad)."""
    pixels, labels = minigrad.datasets.load_digits(images=True)
    x, y = pixels.numpy().reshape(-1, 1, 8, 8) / np.float32(16), labels.numpy()
    data = (x[:1500], y[:1500], x[1500:], y[1500:])
    minigrad.manual_seed(0)
    model = small_cnn(minigrad)
    initial = {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    histories = {"CNN, minigrad": _digits_history(minigrad, model, data, epochs)}
    try:
        import torch
    except ImportError:  # the figure then shows minigrad alone
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        twin = small_cnn(torch)
        twin.load_state_dict({name: torch.from_numpy(value) for name, value in initial.items()})
        histories["CNN, torch"] = _digits_history(torch, twin, data, epochs)
    mlp = minigrad.nn.Sequential(minigrad.nn.Flatten(), minigrad.nn.Linear(64, 32),
                                 minigrad.nn.ReLU(), minigrad.nn.Linear(32, 10))
    histories["MLP du chapitre 06, minigrad"] = _digits_history(minigrad, mlp, data, epochs)
    fig = _training_curves(histories, legend_size=8)
    path = out / "cnn_chiffres.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


BENCH_RESULTS = ROOT / "chapters" / "figures" / "bench_results.json"
"""Recorded by ``python -m minigrad bench --json > chapters/figures/bench_results.json``."""


def bench_ratios_chart(out: Path, results: Path = BENCH_RESULTS) -> list[Path]:
    """Chapter 08: each backend's median time over torch's, per workload (log scale), with the
    backend's min–max over torch's median as whiskers and torch's own min–max as a grey band,
    from the results ``minigrad bench --json`` recorded; nothing when there are none yet."""
    import json
    import sys

    from matplotlib import ticker

    if not results.is_file():
        print(f"bench_ratios_chart: {results} not found; record it with "
              f"python -m minigrad bench --json > {results}", file=sys.stderr)
        return []
    report = json.loads(results.read_text(encoding="utf-8"))
    workloads, backends = report["results"], report["backends"]
    width = 0.8 / len(backends)
    fig, ax = plt.subplots(figsize=(1.5 * len(workloads) + 2.5, 4.8))
    for i, work in enumerate(workloads):
        torch_times = work["times"]["torch"]
        base = torch_times["median_s"]
        ax.fill_between([i - 0.45, i + 0.45], torch_times["min_s"] / base, torch_times["max_s"] / base,
                        color="#dddddd", zorder=0, label="torch : min–max" if i == 0 else None)
        if "target" in work:
            ax.hlines(work["target"]["max_ratio_to_torch"], i - 0.45, i + 0.45, colors="black",
                      linestyles="dotted", label="objectif (numba)" if i == 0 else None)
    for k, backend in enumerate(backends):
        xs = [i + (k - (len(backends) - 1) / 2) * width for i in range(len(workloads))]
        ratios = [work["ratio_to_torch"][backend] for work in workloads]
        spread = [[r - work["times"][backend]["min_s"] / work["times"]["torch"]["median_s"]
                   for r, work in zip(ratios, workloads)],
                  [work["times"][backend]["max_s"] / work["times"]["torch"]["median_s"] - r
                   for r, work in zip(ratios, workloads)]]
        bars = ax.bar(xs, [r - 1 for r in ratios], width, bottom=1, label=backend,
                      yerr=spread, error_kw={"elinewidth": 1, "capsize": 2})  # from 1 up or down
        ax.bar_label(bars, labels=[f"{r:.2g}×" for r in ratios], fontsize=8, padding=2)
    ax.axhline(1.0, color="black", linewidth=1, label="torch")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xticks(range(len(workloads)), [work["workload"] for work in workloads])
    ax.set_ylabel("temps médian / celui de torch\n(échelle log ; sous 1 : plus rapide)")
    machine = report["machine"]
    ax.set_title(f"minigrad face à torch {machine['torch']} : {machine['cpu']}, "
                 f"{machine['cores']} cœurs, numba {machine['numba']}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "bench_ratios.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


def _tile_panel(ax: plt.Axes, cells: dict[tuple[int, int], str], size: int, tile: int,
                title: str) -> None:
    """A size×size matrix: coloured cells, thin cell lines, thick lines between tiles."""
    for i in range(size):
        for j in range(size):
            ax.add_patch(plt.Rectangle((j, size - 1 - i), 1, 1, edgecolor="#999999", linewidth=0.5,
                                       facecolor=cells.get((i, j), "white")))
    for k in range(0, size + 1, tile):
        ax.plot([k, k], [0, size], color="black", linewidth=2)
        ax.plot([0, size], [k, k], color="black", linewidth=2)
    ax.set_xlim(-0.2, size + 0.2)
    ax.set_ylim(-0.2, size + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def tiled_matmul_picture(out: Path, size: int = 8, tile: int = 4) -> list[Path]:
    """Chapter 09: C = A·B by tiles. The block that computes one tile of C (row band by, column
    band bx) walks along K; at step s its thread (ty, tx) loads A[row, s·tile + tx] and
    B[s·tile + ty, col] into shared memory, the indices of the chapter's kernel."""
    by, bx = 1, 0  # the highlighted output tile
    steps = size // tile
    colours = WINDOW_COLOURS[:steps]
    a_cells: dict[tuple[int, int], str] = {}
    b_cells: dict[tuple[int, int], str] = {}
    for s in range(steps):
        for ty in range(tile):
            for tx in range(tile):
                row, col = by * tile + ty, bx * tile + tx
                a_cells[(row, s * tile + tx)] = colours[s]
                b_cells[(s * tile + ty, col)] = colours[s]
    c_cells = {(by * tile + ty, bx * tile + tx): "#e41a1c" for ty in range(tile)
               for tx in range(tile)}
    fig = plt.figure(figsize=(8.5, 8))
    grid = fig.add_gridspec(2, 2)
    legend = fig.add_subplot(grid[0, 0])
    legend.axis("off")
    lines = [f"C ({size}×{size}) en tuiles de {tile}×{tile} : un bloc de {tile}×{tile} fils par tuile",
             f"la tuile rouge (bloc by={by}, bx={bx}) lit la bande de lignes de A",
             "et la bande de colonnes de B, une tuile à la fois :"]
    for s in range(steps):
        lines.append(f"étape {s} : A[{by * tile}:{(by + 1) * tile}, {s * tile}:{(s + 1) * tile}]"
                     f" et B[{s * tile}:{(s + 1) * tile}, {bx * tile}:{(bx + 1) * tile}]"
                     " → mémoire partagée")
    for k, text in enumerate(lines):
        colour = colours[k - 3] if k >= 3 else "white"
        legend.text(0.0, 0.9 - 0.12 * k, text, fontsize=9, va="center",
                    bbox={"facecolor": colour, "edgecolor": "none"} if k >= 3 else None)
    _tile_panel(fig.add_subplot(grid[0, 1]), b_cells, size, tile, "B (K × N)")
    _tile_panel(fig.add_subplot(grid[1, 0]), a_cells, size, tile, "A (M × K)")
    _tile_panel(fig.add_subplot(grid[1, 1]), c_cells, size, tile, "C = A·B (M × N)")
    fig.suptitle("Produit matriciel par tuiles : chaque élément de A et de B chargé une fois par bloc",
                 fontsize=11)
    fig.tight_layout()
    path = out / "tiled_matmul.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return [path]


FIGURES = (neuron_graph, shared_input_graph, broadcasting_figure, strides_figure, optimizer_paths,
           digits_training_curves, im2col_figure, cnn_digits_curves, bench_ratios_chart,
           tiled_matmul_picture)


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
