"""A LeNet-like CNN trained 30 steps in minigrad and in torch: the same losses, the same weights.

Conv2d → ReLU → MaxPool2d → Conv2d → BatchNorm2d → ReLU → MaxPool2d → Flatten → Linear, on the
8×8 digits (N×1×8×8, scaled to [0, 1]). torch draws the initial weights; minigrad loads them with
``load_state_dict``; both see the same batches in the same order and take SGD steps with momentum.
Every layer of issue 4 that a small CNN needs runs here forward, backward and through an
optimizer, so a wrong gradient anywhere shows up as a loss that drifts away from torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minigrad
from parity_tests.helpers import assert_close

STEPS = 30
BATCH = 32
LR = 0.1
# Tolerance on the 30 losses, relative to torch's loss. Both libraries compute in float32 but add
# in different orders (im2col + BLAS against torch's convolution kernels, reduction trees), so the
# first loss already differs by a few ulps, and every step feeds such differences into the next
# weights, which the next forward pass carries through five layers: the bound grows with the step,
# STEP0_RTOL at step 0 plus STEP_RTOL a step (7.8e-6 at step 29). Calibration: torch float32
# against torch float64 from the same weights, 6 seeds, lr 0.05 and 0.1, stays under 9.2e-8 at
# step 0 and 1.3e-6 at step 29 (each float32 library is about that far from the exact result, so
# the two are at most about twice as far from each other). Measured, minigrad against torch over 4
# seeds: at most 0.08 of the bound without BatchNorm, 0.37 with it (BatchNorm divides by the
# batch's standard deviation, which amplifies small differences). A momentum or a learning rate
# off by 0.1%, a biased variance in BatchNorm's normalisation or a max-pooling gradient sent to
# the wrong element of its window is 10 to 1,000 times over.
STEP0_RTOL = 2e-6
STEP_RTOL = 2e-7
# Parameters and running statistics after 30 steps: the same calibration measured gaps up to
# 1.4e-6 between float32 and float64 weights (of magnitude up to ~1); 2e-5 absolute plus 1e-4
# relative leaves a margin of ~10 (minigrad against torch, 4 seeds: at most 0.1 of this bound).
# BatchNorm's running variance uses the unbiased variance (÷ (n − 1), n = 32·4·4 = 512 here):
# the biased one would be 0.2% off, 20 times the bound (checked: it fails on 4.running_var).
PARAM_RTOL = 1e-4
PARAM_ATOL = 2e-5


def lenet(lib: Any, batch_norm: bool) -> Any:
    """The CNN in ``lib`` (minigrad or torch): 1×8×8 → 6×8×8 → 6×4×4 → 16×4×4 → 16×2×2 → 10."""
    nn = lib.nn
    layers = [nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
              nn.Conv2d(6, 16, 3, padding=1)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(16))
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as float32 N×1×8×8 images in [0, 1], and their labels."""
    x, y = minigrad.datasets.load_digits(images=True)
    return x.numpy().reshape(-1, 1, 8, 8) / np.float32(16), y.numpy()


def train(lib: Any, model: Any, x: np.ndarray, y: np.ndarray, order: np.ndarray) -> list[float]:
    """``STEPS`` SGD steps (momentum 0.9) on the batches ``order`` gives; the losses."""
    optimizer = lib.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    losses = []
    for step in range(STEPS):
        batch = order[step * BATCH:(step + 1) * BATCH]
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x[batch])), lib.tensor(y[batch]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("batch_norm", [False, True], ids=["conv-pool", "conv-pool-batchnorm"])
def test_lenet_trains_as_torch(backend: str, batch_norm: bool) -> None:
    """30 steps from torch's initial weights: equal losses, weights, running statistics and
    evaluation outputs (eval mode: BatchNorm normalises with its running statistics)."""
    x, y = digits()
    torch.manual_seed(0)
    theirs = lenet(torch, batch_norm)
    mine = lenet(minigrad, batch_norm)
    mine.load_state_dict(theirs.state_dict())
    assert list(mine.state_dict()) == list(theirs.state_dict())
    order = np.random.default_rng(0).permutation(1500)

    mine_losses = np.array(train(minigrad, mine, x, y, order))
    their_losses = np.array(train(torch, theirs, x, y, order))
    bound = (STEP0_RTOL + STEP_RTOL * np.arange(STEPS)) * np.abs(their_losses)
    worst = int(np.argmax(np.abs(mine_losses - their_losses) / bound))
    assert np.all(np.abs(mine_losses - their_losses) <= bound), (
        f"step {worst}: minigrad loss {mine_losses[worst]:.8f}, torch {their_losses[worst]:.8f}")
    # It learns (a network stuck at its initial loss would make equal losses a weak check): over
    # 4 seeds the mean loss of the last 5 steps falls from ~2.3 to 1.98-2.19 without BatchNorm
    # (plain SGD, 30 steps) and to 0.33-0.59 with it.
    assert their_losses[-5:].mean() < their_losses[:5].mean() - 0.05, "the CNN did not learn"

    their_state = theirs.state_dict()
    for name, value in mine.state_dict().items():
        expected = their_state[name].numpy()
        if name.endswith("num_batches_tracked"):
            assert value.item() == expected.item() == STEPS, name
            continue
        np.testing.assert_allclose(value.detach().numpy(), expected, rtol=PARAM_RTOL,
                                   atol=PARAM_ATOL, err_msg=name)

    mine.eval()
    theirs.eval()
    with minigrad.no_grad(), torch.no_grad():
        mine_logits = mine(minigrad.tensor(x[1500:]))
        their_logits = theirs(torch.tensor(x[1500:]))
    # The logits are the trained network's output: the weights' tolerance carried through it.
    np.testing.assert_allclose(mine_logits.numpy(), their_logits.numpy(), rtol=PARAM_RTOL,
                               atol=10 * PARAM_ATOL)
    assert_close(mine_logits.argmax(dim=1), their_logits.argmax(dim=1), family="exact")

