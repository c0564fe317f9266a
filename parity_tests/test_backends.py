"""Choosing and swapping backends: the global default, per-tensor moves, device mismatches, lazy
kernels, and the kernel tests again under Numba's bounds checks.

torch has one CPU device, so these tests check minigrad's rules for moving between its backends
(a move between host backends is a view; gradients flow back to the source backend), and that an
op mixing two backends raises what torch raises for two devices: a RuntimeError naming both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import minigrad
from parity_tests.background import Finished
from parity_tests.conftest import backends_under_test
from parity_tests.helpers import assert_close

ROOT = Path(__file__).resolve().parent.parent
PAIRS = [(a, b) for a in backends_under_test() for b in backends_under_test() if a != b]


def run_python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (the repository on its path); its stdout."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environment, cwd=ROOT, check=True)
    return done.stdout


def test_importing_minigrad_imports_no_kernel_compiler() -> None:
    """``import minigrad`` and work on the default backend never import Numba (nor compile)."""
    out = run_python("import sys, minigrad\n"
                     "(minigrad.randn(3, requires_grad=True) * 2).sum().backward()\n"
                     "print('numba' in sys.modules, minigrad.get_backend().name)",
                     MINIGRAD_BACKEND="numpy")
    assert out.split() == ["False", "numpy"]


@pytest.mark.parametrize("name", backends_under_test())
def test_the_environment_variable_chooses_the_default(name: str) -> None:
    out = run_python("import minigrad; print(minigrad.get_backend().name, minigrad.randn(2).device)",
                     MINIGRAD_BACKEND=name)
    assert out.split() == [name, name]


def test_an_unknown_backend_is_refused_with_the_known_names() -> None:
    with pytest.raises(RuntimeError, match="unknown minigrad backend 'tpu'.*'numpy'"):
        minigrad.set_backend("tpu")
    with pytest.raises(RuntimeError, match="unknown minigrad backend"):
        minigrad.zeros(2).to("tpu")


@pytest.mark.parametrize("source,target", PAIRS)
def test_to_moves_a_tensor_without_copying_and_the_gradient_comes_back(source: str, target: str) -> None:
    """y = x.to(target) holds x's values in x's memory on the target backend; y's gradient reaches
    x on x's backend, as torch's ToCopyBackward brings a gradient back from another device."""
    values = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x = minigrad.tensor(values, device=source, requires_grad=True)
    y = x.to(target)
    assert str(y.device) == target and str(x.device) == source
    assert np.shares_memory(y.detach().numpy(), x.detach().numpy())
    assert y.grad_fn.name() == "ToBackendBackward"
    (y.tanh() * 3).sum().backward()
    expected = torch.tensor(values, requires_grad=True)
    (expected.tanh() * 3).sum().backward()
    assert str(x.grad.device) == source
    assert_close(x.grad, expected.grad, family="elementwise")
    assert x.to(source) is x


@pytest.mark.parametrize("source,target", PAIRS)
def test_a_moved_tensor_shares_the_version_counter(source: str, target: str) -> None:
    """The move is a view: changing one side in place is seen by the other's saved tensors."""
    x = minigrad.ones(3, device=source)
    y = x.to(target)
    y.add_(1)
    assert x.tolist() == [2.0, 2.0, 2.0] and x._version == y._version == 1


@pytest.mark.parametrize("source,target", PAIRS)
def test_mixing_backends_in_one_op_is_a_device_mismatch(source: str, target: str) -> None:
    a, b = minigrad.ones(2, device=source), minigrad.ones(2, device=target)
    for op in (lambda: a + b, lambda: minigrad.matmul(a, b), lambda: minigrad.cat([a, b])):
        with pytest.raises(RuntimeError, match=f"same device.*{source}.*{target}"):
            op()


@pytest.mark.parametrize("source,target", PAIRS)
def test_copy_takes_values_from_another_backend(source: str, target: str) -> None:
    """``copy_`` is how torch's load_state_dict fills a parameter from another device's tensor."""
    a = minigrad.zeros(2, 2, device=source)
    a.copy_(minigrad.tensor([1.0, 2.0], device=target))
    assert str(a.device) == source and a.tolist() == [[1.0, 2.0], [1.0, 2.0]]


@pytest.mark.parametrize("source,target", PAIRS)
def test_a_module_moves_with_its_optimizer_state(source: str, target: str) -> None:
    """``Module.to`` keeps the Parameter objects (the optimizer built before still holds them);
    a training step on the target backend equals torch's from the same weights."""
    with minigrad.use_backend(source):
        mine = minigrad.nn.Sequential(minigrad.nn.BatchNorm1d(4), minigrad.nn.Linear(4, 3))
    theirs = torch.nn.Sequential(torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 3))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in mine.state_dict().items()})
    params = list(mine.parameters())
    optimizer = minigrad.optim.Adam(mine.parameters(), lr=0.1)
    assert mine.to(target) is mine and list(mine.parameters()) == params
    assert {str(t.device) for t in mine.state_dict().values()} == {target}
    their_optimizer = torch.optim.Adam(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    # the loss weighs each output with a fixed c (a plain sum of squares has a gradient near 0
    # for some parameters, pure rounding noise that Adam would blow up to ±lr)
    x, c = (rng.standard_normal(shape).astype(np.float32) for shape in ((5, 4), (5, 3)))
    for _ in range(2):
        (mine(minigrad.tensor(x, device=target)) * minigrad.tensor(c, device=target)).sum().backward()
        optimizer.step()
        (theirs(torch.tensor(x)) * torch.tensor(c)).sum().backward()
        their_optimizer.step()
    assert {str(s["exp_avg"].device) for s in optimizer.state.values()} == {target}
    for (name, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
        assert_close(a, b, family="reduction", n=5, what=name)


def bounds_checked_kernel_tests(scratch: Path) -> tuple[list[str], dict[str, str]]:
    """The numba kernel tests with ``NUMBA_BOUNDSCHECK=1``, compiled into a cache of their own."""
    kernel_tests = sorted(str(p) for p in (ROOT / "parity_tests").glob("test_kernels_*.py")
                          if "cuda" not in p.name)  # CUDA kernels: the simulator checks bounds
    environment = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(scratch),
                   "MINIGRAD_TEST_BACKENDS": "numba", "HYPOTHESIS_PROFILE": "dev"}
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *kernel_tests], environment


@pytest.mark.skipif("numba" not in backends_under_test(), reason="numba is not installed")
@pytest.mark.skipif(os.environ.get("NUMBA_BOUNDSCHECK") == "1", reason="already bounds-checked")
@pytest.mark.background(command=bounds_checked_kernel_tests)
def test_the_kernel_tests_pass_under_bounds_checks(background_run: Finished) -> None:
    """Numba does not check indices unless asked: an out-of-bounds read in a kernel returns
    garbage (or crashes) instead of raising. The kernel tests run again with ``NUMBA_BOUNDSCHECK=1``
    (kernels recompiled with the checks), where it raises IndexError."""
    assert background_run.returncode == 0, background_run.output[-6000:]
    assert " passed" in background_run.output.splitlines()[-1]


# the parity files whose tests suit the simulator (tiny shapes; tests marked `heavy` skip there)
CUDA_PARITY_FILES = ("test_elementwise.py", "test_binary.py", "test_reduce.py", "test_linalg.py",
                     "test_shape.py", "test_index.py", "test_creation.py", "test_inplace.py",
                     "test_graph.py", "test_softmax.py", "test_losses.py", "test_functional.py",
                     "test_normalization.py", "test_pooling.py", "test_errors.py")


def cuda_parity_files_in_the_simulator(scratch: Path) -> tuple[list[str], dict[str, str]]:
    """CUDA_PARITY_FILES on the cuda backend in the simulator, with the ``simulator`` profile."""
    environment = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "MINIGRAD_TEST_BACKENDS": "cuda",
                   "HYPOTHESIS_PROFILE": "simulator"}
    files = [str(ROOT / "parity_tests" / name) for name in CUDA_PARITY_FILES]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *files], environment


@pytest.mark.skipif("numba" not in backends_under_test(), reason="numba is not installed")
@pytest.mark.background(command=cuda_parity_files_in_the_simulator)
def test_parity_files_pass_on_cuda_in_the_simulator(background_run: Finished) -> None:
    """The parity tests themselves, not only the kernel tests, on the cuda backend: in Numba's
    CUDA simulator every kernel runs in Python, so CI runs these files with the ``simulator``
    profile (3 examples a test); `scripts/gpu_checks.py` runs more of them on a real GPU."""
    assert background_run.returncode == 0, background_run.output[-6000:]
    assert " passed" in background_run.output.splitlines()[-1]
