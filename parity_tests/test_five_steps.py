"""The main job: ``minigrad five-steps`` trains the digits MLP as torch does, and writes its outputs.

The training comparison runs the code of ``minigrad/five_steps.py`` with real torch on one side
and minigrad on the other, from the same initial weights and the same batches.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import minigrad
from minigrad.__main__ import main
from minigrad.five_steps import SIZES, build_model, load_data, make_sides

STEPS = 50
BATCH = 30  # 50 batches of 30: one pass over the 1,500 training images
# Tolerance on the 50 losses, relative to the loss. Both libraries compute in float32 but add in
# different orders (BLAS blocking, reduction trees), so the first loss already differs by an ulp
# or two (1.2e-7 relative; the sums have at most 128 terms). Every step feeds such differences
# into the next weights (a gradient a few ulps off moves a weight by lr times that), and the next
# forward pass carries them through three layers, so the gap can only grow with the step: the
# bound is STEP0_RTOL at step 0 plus STEP_RTOL a step, 1.5e-5 at step 49. Measured over 8 seeds
# with SGD (lr 0.5, the most chaotic): at most 0.28 of the bound (4e-6 at step 46); Adam (lr 1e-2)
# stays under 7e-7. An lr off by 0.1% on minigrad's side exceeds the bound 7,000-fold by step 3.
STEP0_RTOL = 5e-6
STEP_RTOL = 2e-7


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("adam", 1e-2)])
def test_fifty_steps_equal_losses(backend: str, optimizer: str, lr: float) -> None:
    """50 training steps from the same weights on the same batches: the same 50 losses."""
    rng = np.random.default_rng(3)
    data = load_data(rng)
    sides = make_sides(seed=3, optimizer=optimizer, lr=lr)
    order = rng.permutation(len(data.x_train))
    for step in range(STEPS):
        batch = order[step * BATCH:(step + 1) * BATCH]
        for side in sides:
            side.step(data.x_train[batch], data.y_train[batch])
    mine, theirs = (np.array(side.losses) for side in sides)
    bound = (STEP0_RTOL + STEP_RTOL * np.arange(STEPS)) * np.abs(theirs)
    worst = int(np.argmax(np.abs(mine - theirs) / bound))
    assert np.all(np.abs(mine - theirs) <= bound), (
        f"step {worst}: minigrad loss {mine[worst]:.8f}, torch {theirs[worst]:.8f}")
    assert theirs[-10:].mean() < 0.75 * theirs[:10].mean(), "the digits MLP did not learn"


def test_initial_weights_and_keys_are_torchs(backend: str) -> None:
    """minigrad's model has torch's parameter names and shapes, and torch's starts from its weights."""
    mine, theirs = (side.model for side in make_sides(seed=0, optimizer="sgd", lr=0.1))
    assert list(mine.state_dict()) == list(build_model(torch).state_dict())
    for (name, p), (t_name, t) in zip(mine.named_parameters(), theirs.named_parameters()):
        assert name == t_name and tuple(p.shape) == tuple(t.shape)
        np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
    assert [tuple(p.shape) for p in mine.parameters()][::2] == [
        (n_out, n_in) for n_in, n_out in itertools.pairwise(SIZES)]


def test_command_shows_the_five_steps_and_writes_outputs(backend: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    """``minigrad five-steps`` (1 epoch) prints steps 1 to 5 in order and writes its four files."""
    assert main(["five-steps", "--epochs", "1", "--backend", backend, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f"\n{step} ") for step in "12345"]
    assert positions == sorted(positions)
    assert "epoch   1" in out and "largest parameter difference" in out
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    checkpoint = minigrad.load(tmp_path / "checkpoint.safetensors")
    model = build_model(torch)
    model.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                           for k, v in checkpoint["model"].items()})


def test_default_command_is_five_steps(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Without a subcommand, ``minigrad`` runs ``five-steps`` (options pass through)."""
    assert main(["--epochs", "1", "--batch-size", "500", "--out", str(tmp_path)]) == 0
    assert "the five steps on the first batch" in capsys.readouterr().out


def test_runs_without_torch(tmp_path: Path) -> None:
    """Where torch cannot be imported, ``minigrad five-steps`` trains minigrad alone."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from minigrad.__main__ import main\n"
            f"sys.exit(main(['five-steps', '--epochs', '1', '--out', {str(tmp_path)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "torch is not installed" in done.stdout and "epoch   1" in done.stdout
    assert (tmp_path / "loss.png").exists() and (tmp_path / "checkpoint.safetensors").exists()
