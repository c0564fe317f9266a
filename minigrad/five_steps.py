"""``minigrad five-steps``: train an MLP on the 8×8 digits with minigrad and torch, side by side.

The model is 64-128-64-10 with ReLU (``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU``), trained
with cross-entropy. The training code is written once, against a module ``lib`` that is either
``minigrad`` or ``torch``: the APIs are the same. Both libraries start from identical weights
(minigrad initialises its model, torch loads minigrad's ``state_dict``) and see identical batches
(one permutation per epoch from a seeded NumPy generator, used by both).

On the first batch the five steps are shown as they happen, for both libraries: 1 the graph (its
size), 2 the forward output, 3 the loss, 4 the gradient norms, 5 the size of the update. Then a
progress bar per epoch and, per epoch, the loss and accuracy of both and the largest difference
between their parameters. Written to ``--out``: the loss curves (``loss.png``), the computation
graph of the first step (``graph.dot``, and ``graph.svg`` when Graphviz is installed) and a
checkpoint of the minigrad model and optimizer (``checkpoint.safetensors``).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

import minigrad

from .demo_line import graph_nodes
from .progress import ProgressBar
from .viz import save_graph

SIZES = (64, 128, 64, 10)  # input pixels, two hidden layers, ten classes
N_TRAIN = 1500  # of the 1,797 digits; the other 297 are the test set
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
              "adagrad": "Adagrad"}
Show = Callable[[str], None]


@dataclass
class Data:
    """The digits as float32 pixels in [0, 1] and int64 labels, split into train and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_data(rng: np.random.Generator) -> Data:
    """The 1,797 digits shuffled by ``rng``: the first ``N_TRAIN`` to train, the rest to test."""
    pixels, labels = minigrad.datasets.load_digits()
    x = pixels.numpy() / np.float32(16)  # pixel counts 0..16, float32
    y = labels.numpy()
    order = rng.permutation(len(x))
    train, test = order[:N_TRAIN], order[N_TRAIN:]
    return Data(x[train], y[train], x[test], y[test])


def build_model(lib: Any) -> Any:
    """``Linear(64, 128), ReLU, Linear(128, 64), ReLU, Linear(64, 10)`` in ``lib``."""
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(SIZES):
        if layers:
            layers.append(lib.nn.ReLU())
        layers.append(lib.nn.Linear(n_in, n_out))
    return lib.nn.Sequential(*layers)


def state_as_numpy(model: Any) -> dict[str, np.ndarray]:
    """The model's ``state_dict`` as NumPy arrays (copies)."""
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


@dataclass
class Side:
    """One library's half of the run: its model, optimizer, loss and history."""

    name: str
    lib: Any
    model: Any
    optimizer: Any
    criterion: Any
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0  # time spent in ``step``

    def forward(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        """Steps 2 and 3 (recording step 1): the logits and the loss of one batch."""
        logits = self.model(self.lib.tensor(x))
        return logits, self.criterion(logits, self.lib.tensor(y))

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One training step on a batch, the five steps in a row; the loss."""
        start = time.perf_counter()
        self.optimizer.zero_grad()
        _, loss = self.forward(x, y)
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        self.seconds += time.perf_counter() - start
        return self.losses[-1]

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """The mean loss and the accuracy on ``(x, y)``, without recording a graph."""
        with self.lib.no_grad():
            logits, loss = self.forward(x, y)
            predicted = logits.argmax(dim=1).numpy()
        return loss.item(), float((predicted == y).mean())

    def parameters(self) -> dict[str, np.ndarray]:
        """The current parameters as NumPy arrays (copies)."""
        return {name: p.detach().numpy().copy() for name, p in self.model.named_parameters()}


def make_sides(seed: int, optimizer: str, lr: float, use_torch: bool = True) -> list[Side]:
    """minigrad's side, and torch's from the same initial weights when ``use_torch``."""
    libs: list[Any] = [minigrad]
    if use_torch:
        import torch
        libs.append(torch)
    minigrad.manual_seed(seed)
    sides: list[Side] = []
    for lib in libs:
        model = build_model(lib)
        if sides:  # torch starts from minigrad's initial weights
            weights = state_as_numpy(sides[0].model)
            model.load_state_dict({k: lib.from_numpy(v) for k, v in weights.items()})
        opt = getattr(lib.optim, OPTIMIZERS[optimizer])(model.parameters(), lr=lr)
        sides.append(Side(lib.__name__, lib, model, opt, lib.nn.CrossEntropyLoss()))
    return sides


def largest_difference(sides: list[Side]) -> float:
    """The largest |minigrad - torch| over every parameter (0 with a single side)."""
    if len(sides) < 2:
        return 0.0
    mine, theirs = sides[0].parameters(), sides[1].parameters()
    return max(float(np.abs(mine[k] - theirs[k]).max()) for k in mine)


def _vector(values: Any, k: int = 5) -> str:
    """The first ``k`` values of a 1-D tensor."""
    return "[" + ", ".join(f"{v:+.4f}" for v in values.detach().numpy()[:k]) + ", ...]"


def _per_parameter(sides: list[Side], norms: list[dict[str, float]], show: Show) -> None:
    """A table: one row per parameter, one column per library."""
    show("             parameter   " + "".join(f"{s.name:>12}" for s in sides))
    for name in norms[0]:
        show(f"             {name:<12}" + "".join(f"{n[name]:12.6f}" for n in norms))


def first_batch(sides: list[Side], x: np.ndarray, y: np.ndarray, out: Path, show: Show) -> None:
    """The first training step, showing each of the five steps for every side (graph saved)."""
    names = {s.name: {id(p): n for n, p in s.model.named_parameters()} for s in sides}
    outputs = []
    for side in sides:
        side.optimizer.zero_grad()
        outputs.append(side.forward(x, y))
    together = f", {' and '.join(s.name for s in sides)} side by side" if len(sides) > 1 else ""
    show(f"the five steps on the first batch ({len(x)} images){together}:")
    show("1 graph    recorded while steps 2 and 3 ran, walking grad_fn.next_functions from the loss:")
    for side, (_, loss) in zip(sides, outputs):
        nodes = graph_nodes(loss.grad_fn, names[side.name])
        kinds = sorted({label.split("(")[0] for label, _ in nodes})
        show(f"             {side.name:<9}{len(nodes):3d} nodes: {', '.join(kinds)}")
    logits, loss = outputs[0]
    save_graph(loss, out / "graph", {"logits": logits, "loss": loss,
                                     **dict(sides[0].model.named_parameters())})
    show("2 forward  logits = model(x), those of the first image:")
    for side, (logits, _) in zip(sides, outputs):
        show(f"             {side.name:<9}{_vector(logits[0])}")
    show("3 loss     cross_entropy(logits, y), the mean over the batch:")
    for side, (_, loss) in zip(sides, outputs):
        show(f"             {side.name:<9}{loss.item():.7f}")
    show("4 backward loss.backward(): the norm of each parameter's gradient, ‖p.grad‖:")
    for _, loss in outputs:
        loss.backward()
    grads = [{n: float(np.linalg.norm(p.grad.numpy())) for n, p in s.model.named_parameters()}
             for s in sides]
    _per_parameter(sides, grads, show)
    before = [s.parameters() for s in sides]
    for side in sides:
        side.optimizer.step()
    show(f"5 update   optimizer.step() ({type(sides[0].optimizer).__name__}): the size of each "
         "change, ‖p_after - p_before‖:")
    changes = [{n: float(np.linalg.norm(v - old[n])) for n, v in s.parameters().items()}
               for s, old in zip(sides, before)]
    _per_parameter(sides, changes, show)
    for side, (_, loss) in zip(sides, outputs):
        side.losses.append(loss.item())


def train(sides: list[Side], data: Data, rng: np.random.Generator, epochs: int, batch_size: int,
          out: Path, show: Show) -> list[dict[str, Any]]:
    """Train every side on the same batches; one summary per epoch."""
    n = len(data.x_train)
    history = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)  # the same batches for every side
        bar = ProgressBar((n + batch_size - 1) // batch_size, f"epoch {epoch}/{epochs}")
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            x, y = data.x_train[batch], data.y_train[batch]
            if epoch == 1 and start == 0:
                first_batch(sides, x, y, out, show)
            else:
                for side in sides:
                    side.step(x, y)
            bar.update(**{f"loss {s.name}": s.losses[-1] for s in sides})
        bar.close()
        if epoch == 1:
            show("per epoch (" + " | ".join(s.name for s in sides) + "): the mean training loss, "
                 "the test loss and accuracy, the training time" + (
                     ", the largest |minigrad - torch| over the parameters"
                     if len(sides) > 1 else ""))
        steps = len(range(0, n, batch_size))
        summary: dict[str, Any] = {"epoch": epoch, "max_param_diff": largest_difference(sides)}
        for side in sides:
            test_loss, accuracy = side.evaluate(data.x_test, data.y_test)
            summary[side.name] = {"train_loss": float(np.mean(side.losses[-steps:])),
                                  "test_loss": test_loss, "test_accuracy": accuracy,
                                  "seconds": side.seconds - sum(h[side.name]["seconds"]
                                                                for h in history)}
        history.append(summary)
        cell = {key: " | ".join(format(summary[s.name][key], form) for s in sides)
                for key, form in (("train_loss", ".4f"), ("test_loss", ".4f"),
                                  ("test_accuracy", "6.1%"), ("seconds", ".2f"))}
        diff = (f"  largest parameter difference {summary['max_param_diff']:.1e}"
                if len(sides) > 1 else "")
        show(f"epoch {epoch:3d}  train loss {cell['train_loss']}  test loss {cell['test_loss']}  "
             f"test accuracy {cell['test_accuracy']}  time {cell['seconds']} s{diff}")
    return history


def plot_losses(sides: list[Side], steps_per_epoch: int, path: Path) -> Path:
    """The training loss of each side, step by step, and their difference: a PNG."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    figure = Figure(figsize=(10, 4), layout="constrained")
    curves, gap = figure.subplots(1, 2)
    steps = np.arange(1, len(sides[0].losses) + 1)
    for side, style in zip(sides, ("-", "--")):
        curves.plot(steps, side.losses, style, linewidth=1, label=side.name)
    curves.set(xlabel=f"step ({steps_per_epoch} per epoch)", ylabel="cross-entropy (batch)",
               yscale="log", title="training loss")
    curves.legend()
    if len(sides) > 1:
        difference = np.abs(np.array(sides[0].losses) - np.array(sides[1].losses))
        differs = difference > 0  # equal losses have no place on a log scale
        gap.plot(steps[differs], difference[differs], ".", markersize=3)
        gap.set(xlabel=f"step ({np.count_nonzero(~differs)} steps with equal losses not shown)",
                ylabel="|loss minigrad - loss torch|", yscale="log",
                title="how far apart: float32 rounding")
    else:
        gap.set_axis_off()
        gap.text(0.5, 0.5, "torch not run (--no-torch)", ha="center", va="center")
    figure.savefig(path, dpi=100)
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``minigrad five-steps``."""
    parser.add_argument("--epochs", type=int, default=20, help="passes over the data (default 20)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per batch (default 32)")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    parser.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS),
                        help="the optimizer of both libraries (default adam)")
    parser.add_argument("--backend", default=None, choices=minigrad.available_backends(),
                        help="minigrad backend (default: the current default, "
                             f"{minigrad.get_backend().name})")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the initial weights, the split and the batches (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out/five_steps"),
                        help="where to write the loss curves, the graph and the checkpoint "
                             "(default out/five_steps)")
    parser.add_argument("--no-torch", action="store_true", help="skip torch: minigrad alone")


def run(args: argparse.Namespace) -> int:
    """Train both libraries side by side, write the outputs; the exit status."""
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            print(f"--{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    use_torch = not args.no_torch
    if use_torch:
        try:
            import torch
            torch.set_num_threads(1)  # so tiny a model gains nothing from threads, only waits
        except ImportError:
            print("torch is not installed: minigrad alone (pip install -e '.[test]' to compare)")
            use_torch = False
    backend = minigrad.get_backend(args.backend).name
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    with minigrad.use_backend(backend):
        data = load_data(rng)
        sides = make_sides(args.seed, args.optimizer, args.lr, use_torch)
        print(f"digits: {len(data.x_train)} images to train, {len(data.x_test)} to test; MLP "
              f"{'-'.join(map(str, SIZES))} with ReLU; {OPTIMIZERS[args.optimizer]} lr {args.lr}, "
              f"batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}; minigrad backend "
              f"{backend}" + ("; torch from the same initial weights, on the same batches"
                              if use_torch else ""))
        history = train(sides, data, rng, args.epochs, args.batch_size, out, print)
        checkpoint = out / "checkpoint.safetensors"
        minigrad.save({"model": sides[0].model.state_dict(),
                       "optimizer": sides[0].optimizer.state_dict()}, checkpoint)
    steps_per_epoch = len(range(0, len(data.x_train), args.batch_size))
    written = [plot_losses(sides, steps_per_epoch, out / "loss.png"), checkpoint,
               *sorted(out.glob("graph.*"))]
    last = history[-1]
    print("test accuracy: " + ", ".join(f"{s.name} {100 * last[s.name]['test_accuracy']:.1f}%"
                                        for s in sides)
          + f" after {args.epochs} epochs ({time.perf_counter() - started:.1f} s)")
    print("written: " + ", ".join(str(p) for p in written))
    return 0
