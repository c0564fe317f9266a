"""The line fit: ``minigrad fit-line`` trains as torch does and prints the five steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
from minigrad.__main__ import main
from minigrad.demo_line import graph_nodes, make_data, train

from .helpers import assert_close


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_fit_line_trajectory_matches_torch(backend: str, seed: int) -> None:
    """Every loss and the final (w, b) of the five-steps loop equal torch's from the same start."""
    data = make_data(seed)
    w, b, losses = train(minigrad, data, epochs=100, lr=0.1)
    tw, tb, tlosses = train(torch, data, epochs=100, lr=0.1)
    n = data[0].size  # the loss and the gradients are means over the points
    assert_close(np.float32(losses), np.float32(tlosses), "reduction", n, what="losses")
    assert_close(np.float32([w, b]), np.float32([tw, tb]), "reduction", n, what="w, b")
    assert abs(w - 2) < 0.1 and abs(b - 1) < 0.1, "the fit did not reach the line y = 2x + 1"


def test_fit_line_command_prints_the_five_steps(backend: str, capsys: pytest.CaptureFixture) -> None:
    """``minigrad fit-line`` exits 0, shows steps 1 to 5 in order and compares with torch."""
    assert main(["fit-line", "--epochs", "20", "--backend", backend]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f"\n{step} ") for step in "12345"]
    assert positions == sorted(positions)
    x, y, w0, b0 = (torch.from_numpy(a) for a in make_data(0))
    w, b = w0.requires_grad_(), b0.requires_grad_()
    torch_graph = graph_nodes((((w * x + b) - y) ** 2).mean().grad_fn, {id(w): "w", id(b): "b"})
    assert f"{len(torch_graph)} nodes" in out, "the graph printed differs in size from torch's"
    assert "AccumulateGrad(w)" in out
    assert "largest difference minigrad - torch" in out
