"""The autograd engine against torch: each test runs one program with both libraries and compares.

Covered: accumulation, retain_graph, create_graph (second derivatives, Hessian-vector products),
``autograd.grad`` and ``backward`` options, hooks, retain_grad, grad modes, detach, leaves,
broadcasting, fan-out, deep graphs, and memory (the graph is freed by reference counting alone).
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from .helpers import assert_close, leaf_pair
from .strategies import arrays, broadcastable_shapes, float_dtypes, seeds

def run_both(program: Callable[[Any], Any]) -> None:
    """Run ``program(lib)`` with minigrad and torch and compare what it returns, item by item.

    The program returns a list of tensors, None, numbers and booleans.
    """
    mine, theirs = program(minigrad), program(torch)
    assert len(mine) == len(theirs)
    for i, (m, t) in enumerate(zip(mine, theirs)):
        if isinstance(t, torch.Tensor):
            assert isinstance(m, minigrad.Tensor), f"item {i}: {m!r} where torch has a tensor"
            assert_close(m, t, "reduction", 8, what=f"item {i}")
        else:
            assert m == t, f"item {i}: {m!r}, torch gives {t!r}"


def raise_both(program: Callable[[Any], Any]) -> None:
    """``program(lib)`` raises the same exception class in both libraries."""
    with pytest.raises(Exception) as theirs:
        program(torch)
    with pytest.raises(theirs.type):
        program(minigrad)


def x_of(lib: Any, values: Any = (0.5, -1.0, 2.0), dtype: str = "float64") -> Any:
    """A leaf that requires grad."""
    return lib.tensor(list(values), dtype=getattr(lib, dtype), requires_grad=True)


def test_gradients_accumulate_over_two_backwards(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x.exp() * 3).sum().backward()
        return [first, x.grad]
    run_both(program)


def test_grad_never_aliases_a_tensor_the_user_holds(backend: str) -> None:
    """``.grad`` keeps the incoming gradient without a copy only when nothing else holds it: a
    gradient a hook kept, one given to ``backward``, a retained gradient, or one shared by two
    leaves stays independent of ``.grad`` (changed in place here: torch shows no change in them)."""
    def program(lib: Any) -> list:
        x, kept = x_of(lib), []
        x.register_hook(lambda g: kept.append(g))
        (x * 2).sum().backward()
        x.grad.mul_(10)
        given = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        y = x_of(lib)
        y.backward(given)
        y.grad.add_(1)
        z = x_of(lib)
        w = z * 1.0
        w.retain_grad()
        (w * 3).sum().backward()
        z.grad.add_(5)
        a, b = x_of(lib), x_of(lib)
        (a + b).backward(given)
        a.grad.add_(7)
        return [kept[0], x.grad, given, y.grad, w.grad, z.grad, a.grad, b.grad]
    run_both(program)


def test_a_fresh_gradient_is_stored_without_a_copy(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The common case, a gradient the backward pass just made, costs no copy (as in torch).
    Host arrays only: AccumulateGrad always copies a device array (see its docstring)."""
    if backend == "cuda":
        pytest.skip("device arrays may share memory without saying so: their gradient is copied")
    def refuse(array: Any) -> Any:
        raise AssertionError("AccumulateGrad copied a gradient nobody else holds")
    w = minigrad.randn(3, 4, requires_grad=True)
    x = minigrad.randn(3, 4)
    monkeypatch.setattr(minigrad.get_backend(), "copy", refuse)
    (w * x).sum().backward()
    assert_close(w.grad, torch.tensor(x.numpy()), "exact")


def test_retain_graph_allows_a_second_backward(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return [x.grad]
    run_both(program)


def test_second_backward_without_retain_graph_raises(backend: str) -> None:
    def program(lib: Any) -> None:
        y = (x_of(lib).exp() * 2).sum()
        y.backward()
        y.backward()
    raise_both(program)


def test_second_derivative_of_a_cube(backend: str) -> None:
    """d(x³)/dx = 3x², d²(x³)/dx² = 6x, through create_graph."""
    def program(lib: Any) -> list:
        x = x_of(lib)
        (dx,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (ddx,) = lib.autograd.grad(dx.sum(), x)
        return [dx, ddx, dx.requires_grad, ddx.requires_grad]
    run_both(program)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_with_create_graph_leaves_a_differentiable_grad(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        (x.sin() * x).sum().backward(create_graph=True)
        first = x.grad
        (ddx,) = lib.autograd.grad(first.sum(), x)
        return [first, first.requires_grad, ddx]
    run_both(program)


@given(seed=seeds)
def test_hessian_vector_product(backend: str, seed: int) -> None:
    """H·v of f(x, w) = Σ sin(x)·w·Σx + Σ x⁴ (float64), by differentiating ∇f·v."""
    rng = np.random.default_rng(seed)
    x0, w0, v0 = (rng.standard_normal(4) for _ in range(3))

    def program(lib: Any) -> list:
        x, w = lib.tensor(x0, requires_grad=True), lib.tensor(w0, requires_grad=True)
        f = (x.sin() * w * x.sum()).sum() + (x ** 4).sum()
        gx, gw = lib.autograd.grad(f, [x, w], create_graph=True)
        hx, hw = lib.autograd.grad(gx, [x, w], grad_outputs=lib.tensor(v0))
        return [gx, gw, hx, hw]
    run_both(program)


def test_autograd_grad_options(backend: str) -> None:
    """allow_unused gives None; grad_outputs weighs a non-scalar output; retain_graph reuses."""
    def program(lib: Any) -> list:
        x, unused = x_of(lib), x_of(lib)
        y = x.exp() * 2
        weights = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)
        g1 = lib.autograd.grad(y, [x, unused], grad_outputs=weights, allow_unused=True,
                               retain_graph=True)
        g2 = lib.autograd.grad([y.sum(), (y * y).sum()], x)
        h = x * 3
        (g3,) = lib.autograd.grad((h.sin() * x).sum(), h)
        return [g1[0], g1[1], g2[0], g3, x.grad]
    run_both(program)
    raise_both(lambda lib: lib.ones(3).sum().backward())
    raise_both(lambda lib: lib.autograd.grad((x_of(lib) * 2).sum(), [x_of(lib)]))
    raise_both(lambda lib: lib.autograd.grad(x_of(lib) * 2, x_of(lib)))


def test_backward_inputs_and_gradient(backend: str) -> None:
    """``inputs=`` fills only the listed tensors (a non-leaf too); ``gradient=`` weighs."""
    def program(lib: Any) -> list:
        a, b = x_of(lib), x_of(lib, (1.0, 2.0, 3.0))
        h = a * b
        (h * h).sum().backward(inputs=[a, h])
        first = [a.grad, b.grad, h.grad]
        c = x_of(lib)
        (c.exp() * 2).backward(gradient=lib.tensor([1.0, 0.0, -3.0], dtype=lib.float64))
        return first + [c.grad]
    run_both(program)
    raise_both(lambda lib: (x_of(lib) * 2).backward())
    raise_both(lambda lib: (x_of(lib) * 2).backward(lib.ones(2, dtype=lib.float64)))


def test_hooks_change_gradients_and_can_be_removed(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        h = x * 3
        seen = []
        leaf_handle = x.register_hook(lambda g: g * 2)
        h.register_hook(lambda g: g + 1)
        h.register_hook(lambda g: seen.append(g * 1))
        (h * h).sum().backward(retain_graph=True)
        first = x.grad * 1
        leaf_handle.remove()
        x.grad = None
        (h * h).sum().backward()
        return [first, x.grad, seen[0]]
    run_both(program)


def test_hooks_see_the_total_gradient_once(backend: str) -> None:
    """A tensor used twice: its hook runs once, on the sum; retain_grad sees the hooked value."""
    def program(lib: Any) -> list:
        x = x_of(lib)
        h = x * 2
        calls = []
        x.register_hook(lambda g: calls.append("x"))
        h.register_hook(lambda g: calls.append("h") or g * 10)
        h.retain_grad()
        (h * h + h.exp() + x).sum().backward()
        return [calls == ["h", "x"], h.grad, x.grad]
    run_both(program)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_retain_grad(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        h, k = x * 2, x * 3
        h.retain_grad()
        (h * h + k).sum().backward()
        return [h.grad, k.grad is None, h.retains_grad, k.retains_grad, x.grad]
    run_both(program)


def test_grad_modes_as_context_managers_and_decorators(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        out = []
        with lib.no_grad():
            out.append((x * 2).requires_grad)
            with lib.enable_grad():
                out.append((x * 2).requires_grad)
            out.append(lib.is_grad_enabled())
        with lib.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        out.append(lib.is_grad_enabled())

        @lib.no_grad()
        def without(t: Any) -> Any:
            return t * 2

        @lib.set_grad_enabled(False)
        def also_without(t: Any) -> Any:
            return t * 2

        @lib.enable_grad()
        def with_grad(t: Any) -> Any:
            return t * 2

        out += [without(x).requires_grad, also_without(x).requires_grad, lib.is_grad_enabled()]
        with lib.no_grad():
            out.append(with_grad(x).requires_grad)
        lib.set_grad_enabled(False)
        out.append((x * 2).requires_grad)
        lib.set_grad_enabled(True)
        out.append((x * 2).requires_grad)
        return out
    run_both(program)


def test_detach_shares_memory_and_version(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        y = x * 2
        d = y.detach()
        d.add_(1)
        return [y, y._version, d._version, d.requires_grad, d.is_leaf, d.grad_fn is None]
    run_both(program)


def test_requires_grad_and_leaves(backend: str) -> None:
    def program(lib: Any) -> list:
        x = lib.ones(3, dtype=lib.float64)
        out = [x.requires_grad, x.is_leaf, (x * 2).is_leaf]
        x.requires_grad_()
        y = x * 2
        out += [x.requires_grad, x.is_leaf, x.grad_fn is None, y.is_leaf, y.grad_fn is None]
        x.requires_grad_(False)
        return out + [x.requires_grad, (x * 2).requires_grad, y.requires_grad]
    run_both(program)
    raise_both(lambda lib: (x_of(lib) * 2).requires_grad_(False))
    raise_both(lambda lib: lib.tensor([1, 2]).requires_grad_())


@given(shapes=broadcastable_shapes(2, max_dims=3), dtype=float_dtypes, data=st.data(), seed=seeds)
def test_gradients_through_broadcasting(backend: str, shapes: tuple, dtype: type,
                                        data: st.DataObject, seed: int) -> None:
    """Broadcast operands get the sum of their copies' gradients; a fan-out gets the sum too."""
    a, b = (data.draw(arrays(dtype, shape, 0.5, 3.0)) for shape in shapes)
    (a_m, a_t), (b_m, b_t) = leaf_pair(a), leaf_pair(b)
    outs = [(x * y + x / y - y).exp() * x for x, y in ((a_m, b_m), (a_t, b_t))]
    upstream = np.random.default_rng(seed).standard_normal(tuple(outs[1].shape)).astype(dtype)
    outs[0].backward(minigrad.tensor(upstream))
    outs[1].backward(torch.from_numpy(upstream))
    n = max(outs[1].numel(), 1)
    assert_close(outs[0], outs[1])
    assert_close(a_m.grad, a_t.grad, "reduction", n, what="gradient of a")
    assert_close(b_m.grad, b_t.grad, "reduction", n, what="gradient of b")


def test_fan_out_sums_the_gradients(backend: str) -> None:
    def program(lib: Any) -> list:
        x = x_of(lib)
        h = x.exp()
        y = h * h + h.sin() + h + x
        y.sum().backward()
        return [x.grad]
    run_both(program)


@pytest.mark.heavy
def test_deep_chain_has_no_recursion_limit(backend: str) -> None:
    """10,000 ops in a row, forward and backward, without RecursionError."""
    def program(lib: Any) -> list:
        x = x_of(lib, (0.5, -0.25))
        y = x
        for _ in range(10_000):
            y = y * 1.0001 + 0.0001
        y.sum().backward()
        return [y, x.grad]
    run_both(program)


def test_graph_is_freed_by_reference_counting(backend: str) -> None:
    """After backward, dropping the output frees every intermediate tensor and node (no gc)."""
    gc.collect()
    gc.disable()
    try:
        x = minigrad.tensor([0.5, -1.0], requires_grad=True)
        h = x.exp()
        k = h * x
        refs = [weakref.ref(t) for t in (h, k)] + [weakref.ref(t.grad_fn) for t in (h, k)]
        y = (k * h).sum()
        del h, k
        y.backward()
        assert all(r() is not None for r in refs[2:]), "nodes freed while the output lives"
        del y
        assert [r() for r in refs] == [None] * 4, "the graph outlived its output"
        assert x.grad is not None and x._accumulator() is None
    finally:
        gc.enable()


def _train(lib: Any, steps: int, on_step: Callable[[int], None] | None = None) -> Any:
    """A two-layer regression net written with plain tensor ops, trained by SGD in place."""
    rng = np.random.default_rng(0)
    inputs, targets = (lib.tensor(rng.standard_normal(shape)) for shape in ((16, 4), (16, 1)))
    params = [lib.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)
              for shape in ((4, 8), (8,), (8, 1), (1,))]
    w1, b1, w2, b2 = params
    loss = None
    for step in range(1, steps + 1):
        hidden = ((inputs.unsqueeze(-1) * w1).sum(1) + b1).relu()
        out = (hidden.unsqueeze(-1) * w2).sum(1) + b2
        loss = ((out - targets) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=0.01)
                p.grad.zero_()
        if on_step is not None:
            on_step(step)
    return loss


@pytest.mark.heavy
def test_training_loop_memory_is_flat(backend: str) -> None:
    """2,000 forward/backward/update steps: traced memory at step 2,000 ≈ at step 200."""
    sizes = []

    def measure(step: int) -> None:
        if step in (200, 2000):
            gc.collect()
            if step == 200:
                tracemalloc.start()
            sizes.append(tracemalloc.get_traced_memory()[0])

    gc.disable()  # tracing is slow while the cyclic collector runs; collected before measuring
    try:
        loss = _train(minigrad, 2000, measure)
    finally:
        tracemalloc.stop()
        gc.enable()
    # A leak of one small tensor per step would add at least 1,800 · ~100 bytes = 180 kB.
    assert sizes[1] - sizes[0] < 32_000, f"memory grew by {sizes[1] - sizes[0]} bytes"
    assert_close(loss, _train(torch, 2000), "reduction", 16, what="loss after 2,000 steps")
