"""``minigrad fit-line``: fit y = 2x + 1 with plain tensors, showing the five steps as they happen.

The training loop below is written once, against a module ``lib`` that is either ``minigrad`` or
``torch``: the APIs are the same. On the first iteration it prints what each of the five steps
does; then the loss every few epochs. When torch is importable, the same loop runs again in torch,
from the same data and the same initial values, and the two final (w, b) are compared.
"""

from __future__ import annotations

import argparse
import sys
from collections import deque
from typing import Any, Callable

import numpy as np

import minigrad

Show = Callable[[str], None]


def make_data(seed: int, n: int = 64, noise: float = 0.1) -> tuple[np.ndarray, ...]:
    """Points of y = 2x + 1 + noise, x in [-1, 1], and initial (w, b): float32 arrays."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    y = (2.0 * x + 1.0 + noise * rng.standard_normal(n)).astype(np.float32)
    w0, b0 = rng.standard_normal(2).astype(np.float32)
    return x, y, np.array(w0), np.array(b0)


def graph_nodes(root: Any, names: dict[int, str]) -> list[tuple[str, list[str]]]:
    """The nodes reachable from ``root`` via ``next_functions`` (breadth first), each with its inputs."""
    def label(node: Any) -> str:
        variable = getattr(node, "variable", None)  # an AccumulateGrad knows its leaf
        if variable is None:
            return node.name()
        return f"{node.name()}({names.get(id(variable), '?')})"

    seen, order, queue = {id(root)}, [], deque([root])
    while queue:
        node = queue.popleft()
        inputs = [child for child, _ in node.next_functions if child is not None]
        order.append((label(node), [label(n) for n in inputs]))
        for n in inputs:
            if id(n) not in seen:
                seen.add(id(n))
                queue.append(n)
    return order


def _preview(t: Any, k: int = 4) -> str:
    """The first ``k`` values of a 1-D tensor, rounded."""
    values = t.detach().numpy()
    head = ", ".join(f"{v:.3f}" for v in values[:k])
    return f"[{head}, ...] ({values.size} values)" if values.size > k else f"[{head}]"


def train(lib: Any, data: tuple[np.ndarray, ...], epochs: int, lr: float,
          show: Show | None = None) -> tuple[float, float, list[float]]:
    """Gradient descent on the MSE of w·x + b with ``lib`` (minigrad or torch): w, b, losses."""
    x_np, y_np, w0, b0 = data
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    losses = []
    for epoch in range(epochs):
        prediction = w * x + b  # step 2 (forward), recording step 1 (the graph) as it goes
        loss = ((prediction - y) ** 2).mean()  # step 3: the loss, written with tensor ops
        loss.backward()  # step 4: dloss/dw and dloss/db land in w.grad and b.grad
        if show is not None and epoch == 0:
            nodes = graph_nodes(loss.grad_fn, {id(w): "w", id(b): "b"})
            width = max(len(name) for name, _ in nodes)
            edges = "".join(f"\n             {name:<{width}} -> {', '.join(inputs)}" if inputs
                            else f"\n             {name}" for name, inputs in nodes)
            show(f"1 graph    recorded while steps 2 and 3 ran: {len(nodes)} nodes, each with the "
                 f"nodes of its inputs (grad_fn.next_functions):{edges}")
            show(f"2 forward  prediction = w * x + b with w = {w.item():.4f}, b = {b.item():.4f}: "
                 f"{_preview(prediction)}")
            show(f"3 loss     mean((prediction - y) ** 2) = {loss.item():.6f}")
            show(f"4 backward loss.backward(): w.grad = {w.grad.item():.6f}, "
                 f"b.grad = {b.grad.item():.6f}")
        with lib.no_grad():  # step 5: the update is not part of the graph
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
        if show is not None and epoch == 0:
            show(f"5 update   under no_grad(): w -= {lr} * w.grad -> w = {w.item():.6f}, "
                 f"b -= {lr} * b.grad -> b = {b.item():.6f}")
        losses.append(loss.item())
    return w.item(), b.item(), losses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``minigrad fit-line``."""
    parser.add_argument("--epochs", type=int, default=100, help="gradient steps (default 100)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and initial values")
    parser.add_argument("--backend", default=None, choices=minigrad.available_backends(),
                        help="minigrad backend (default: the current default, "
                             f"{minigrad.get_backend().name})")
    parser.add_argument("--no-torch", action="store_true",
                        help="skip the comparison with torch")


def run(args: argparse.Namespace) -> int:
    """Fit the line with minigrad, then with torch, and compare; the exit status."""
    if args.epochs < 1:
        print("--epochs must be at least 1", file=sys.stderr)
        return 2
    data = make_data(args.seed)
    backend = minigrad.get_backend(args.backend).name
    print(f"fitting y = 2x + 1 (+ noise) on {data[0].size} points, {args.epochs} epochs, "
          f"lr {args.lr}, seed {args.seed}, minigrad backend {backend}")
    print("first iteration, the five steps:")
    with minigrad.use_backend(backend):
        w, b, losses = train(minigrad, data, args.epochs, args.lr, show=print)
    every = max(1, args.epochs // 10)
    for epoch in range(0, args.epochs, every):
        print(f"epoch {epoch:4d}  loss {losses[epoch]:.6f}")
    if (args.epochs - 1) % every:
        print(f"epoch {args.epochs - 1:4d}  loss {losses[-1]:.6f}")
    print(f"minigrad: w = {w:.6f}, b = {b:.6f}  (the line: w = 2, b = 1)")
    if args.no_torch:
        return 0
    try:
        import torch
    except ImportError:
        print("torch is not installed: no comparison (pip install -e '.[test]')")
        return 0
    tw, tb, _ = train(torch, data, args.epochs, args.lr)
    print(f"torch:    w = {tw:.6f}, b = {tb:.6f}")
    print(f"largest difference minigrad - torch: {max(abs(w - tw), abs(b - tb)):.3g}")
    return 0
