"""The cuda backend keeps a training step on the device, as torch does: no copy between the host
and the GPU in a whole step (a copy from the host waits for every queued kernel; a copy back
makes the host wait for the answer), and an index out of range is caught on the device and
reported at the next read back to the host (torch's device-side assert), with torch's message.

Copies are counted on Numba's own entry points (``cuda.to_device`` and the device array's
``copy_to_host``), so the count is the same in the simulator and on a GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from parity_tests.cuda_simulator import cuda, cuda_kernels_can_run, sample  # noqa: F401  (first)
import minigrad
from parity_tests.helpers import DEVICE_ASSERT, assert_close

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the simulator's NumPy scalars


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of host → device and device → host copies from now on."""
    from minigrad.backends import cuda_backend  # once the simulator is chosen

    counts = {"to_device": 0, "to_host": 0}
    to_device, to_host = cuda.to_device, cuda_backend.DeviceArray.copy_to_host

    def counting_to_device(*args: Any, **kwargs: Any) -> Any:
        counts["to_device"] += 1
        return to_device(*args, **kwargs)

    def counting_to_host(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["to_host"] += 1
        return to_host(self, *args, **kwargs)

    monkeypatch.setattr(cuda, "to_device", counting_to_device)
    monkeypatch.setattr(cuda_backend.DeviceArray, "copy_to_host", counting_to_host)
    return counts


def _mlp(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _cnn(nn: Any) -> Any:
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8, 3))


@pytest.mark.parametrize("make, optimizer, shape, target", [
    (_mlp, lambda p: minigrad.optim.Adam(p, lr=0.01), (5, 4), [0, 2, 1, 2, 0]),
    (_cnn, lambda p: minigrad.optim.SGD(p, lr=0.1, momentum=0.9), (2, 1, 4, 4), [1, 2]),
])
def test_a_training_step_copies_nothing_between_host_and_device(
        copies: dict[str, int], make: Callable, optimizer: Callable, shape: tuple, target: list) -> None:
    """zero_grad, forward, cross_entropy, backward and the optimizer step, twice (the second step
    has optimizer state): no copy either way; then ``loss.item()`` copies the loss back, equal to
    torch's after the same two steps."""
    torch.manual_seed(0)
    theirs = make(torch.nn)
    mine = make(minigrad.nn)
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    mine.cuda()
    step_mine = optimizer(mine.parameters())
    step_theirs = (torch.optim.Adam(theirs.parameters(), lr=0.01) if make is _mlp
                   else torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9))
    x_host = sample(shape, np.float32, seed=30)
    x, y = minigrad.tensor(x_host, device="cuda"), minigrad.tensor(target, device="cuda")
    copies.update(to_device=0, to_host=0)
    for _ in range(2):
        step_mine.zero_grad()
        loss = minigrad.nn.functional.cross_entropy(mine(x), y)
        loss.backward()
        step_mine.step()
    assert copies == {"to_device": 0, "to_host": 0}
    for _ in range(2):
        step_theirs.zero_grad()
        expected = F.cross_entropy(theirs(torch.tensor(x_host)), torch.tensor(target))
        expected.backward()
        step_theirs.step()
    # a few float32 roundings per step, in the kernels' order of summation rather than torch's
    assert_close(loss.item(), expected.item(), family="reduction", n=64)
    assert copies["to_host"] >= 1  # the counting sees the copy back


# name: the case, written once for both libraries (its result is read back on the host)
OUT_OF_RANGE: dict[str, Callable[[Any], Any]] = {
    "cross_entropy target": lambda lib: lib.nn.functional.cross_entropy(
        lib.zeros(3, 4), lib.tensor([0, 7, 1])),
    "nll_loss target": lambda lib: lib.nn.functional.nll_loss(lib.zeros(3, 4), lib.tensor([0, -2, 1])),
    "index_select": lambda lib: lib.ones(3, 2).index_select(0, lib.tensor([0, 3])),
    "gather": lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[0], [5]])),
    "tensor index": lambda lib: lib.ones(3)[lib.tensor([[0], [-4]])],
    "embedding": lambda lib: lib.nn.functional.embedding(lib.tensor([1, 4]), lib.ones(4, 2)),
    "binary_cross_entropy input": lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.5, 1.5]), lib.zeros(2)),
}


@pytest.mark.parametrize("name", list(OUT_OF_RANGE))
def test_an_index_out_of_range_fails_at_the_next_host_read(copies: dict[str, int], name: str) -> None:
    """The op returns without waiting for the GPU; the next copy back to the host raises
    torch's CUDA error class (RuntimeError, 'device-side assert triggered') with the message
    torch's CPU gives for the same input; the backend then works on."""
    case = OUT_OF_RANGE[name]
    with pytest.raises(Exception) as theirs:
        case(torch)
    with minigrad.use_backend("cuda"):
        result = case(minigrad)
        assert copies["to_host"] == 0  # nothing was read back yet
        with pytest.raises(RuntimeError) as mine:
            result.tolist()
        assert str(mine.value) == DEVICE_ASSERT + str(theirs.value).splitlines()[0]
        assert minigrad.ones(2).sum().item() == 2.0


def test_checks_that_pass_cost_one_flag_read(copies: dict[str, int]) -> None:
    """A hundred passing checks, then one read of a result: two copies back (the flag of the
    checks, then the value), and nothing is raised."""
    with minigrad.use_backend("cuda"):
        logits, target = minigrad.zeros(3, 4), minigrad.tensor([0, 3, 1])
        losses = [minigrad.nn.functional.cross_entropy(logits, target) for _ in range(100)]
        assert copies["to_host"] == 0
        expected = F.cross_entropy(torch.zeros(3, 4), torch.tensor([0, 3, 1]))
        assert_close(losses[-1].item(), expected.item())
        assert copies["to_host"] == 2


def test_synchronize_reports_a_failed_check() -> None:
    """``minigrad.cuda.synchronize()``, as ``torch.cuda.synchronize()``, waits for the GPU and
    raises a failed check (torch's CPU message for the same gather); then nothing is left."""
    with pytest.raises(RuntimeError) as theirs:
        OUT_OF_RANGE["gather"](torch)
    with minigrad.use_backend("cuda"):
        OUT_OF_RANGE["gather"](minigrad)
        with pytest.raises(RuntimeError) as mine:
            minigrad.cuda.synchronize()
        assert str(mine.value) == DEVICE_ASSERT + str(theirs.value)
        minigrad.cuda.synchronize()
