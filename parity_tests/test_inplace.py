"""In-place ops against torch: values, ``_version``, gradients through in-place changes, errors.

Every test runs the same program on minigrad and on torch and compares what comes out.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from .helpers import assert_close, leaf_pair
from .strategies import float_dtypes, layouts, seeds, shapes, values

# name: the in-place change, written once for both libraries (``o`` is a tensor or a number).
INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "add_": lambda t, o: t.add_(o),
    "add_alpha": lambda t, o: t.add_(o, alpha=-1.5),
    "sub_": lambda t, o: t.sub_(o, alpha=2),
    "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o),
    "div_floor": lambda t, o: t.div_(o, rounding_mode="floor"),
    "div_trunc": lambda t, o: t.div_(o, rounding_mode="trunc"),
    "clamp_": lambda t, o: t.clamp_(-0.5, 1.0),
    "clamp_tensor": lambda t, o: t.clamp_(min=o),
    "clip_": lambda t, o: t.clip_(max=o),
    "copy_": lambda t, o: t.copy_(o),
    "fill_": lambda t, o: t.fill_(1.25),
    "fill_tensor": lambda t, o: t.fill_(o.sum()),
    "zero_": lambda t, o: t.zero_(),
    "iadd": lambda t, o: t.__iadd__(o),
    "isub": lambda t, o: t.__isub__(o),
    "imul": lambda t, o: t.__imul__(o),
    "itruediv": lambda t, o: t.__itruediv__(o),
}
NEEDS_TENSOR = {"clamp_tensor", "fill_tensor"}
# Ops whose gradient is not compared: the rounded quotient is piecewise constant, and a tie
# between x and a tensor bound is a set of measure zero that random floats never hit.
DIFFERENTIABLE = sorted(set(INPLACE) - {"div_floor", "div_trunc"})


@st.composite
def operand_shapes(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape``: a suffix of it, some sizes replaced by 1."""
    tail = shape[draw(st.integers(0, len(shape))):]
    return tuple(1 if draw(st.booleans()) else n for n in tail)


def nonzero_arrays(dtype: type, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Values in [-3, 3] away from 0, so that dividing by them is safe."""
    return hnp.arrays(dtype, shape, elements=values(dtype).filter(lambda v: abs(v) >= 0.25))


@st.composite
def programs(draw: st.DrawFn, names: list[str]) -> tuple:
    """A tensor's array, a list of in-place ops, and each op's operand (array or float)."""
    dtype = draw(float_dtypes)
    shape = draw(shapes(max_dims=3))
    start = draw(nonzero_arrays(dtype, shape))
    steps = []
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        if name not in NEEDS_TENSOR and draw(st.booleans()):
            operand = draw(values(np.float64).filter(lambda v: abs(v) >= 0.25))
        else:
            operand = draw(nonzero_arrays(draw(float_dtypes), draw(operand_shapes(shape))))
        steps.append((name, operand))
    return start, steps


def pair(value: Any, requires_grad: bool = False) -> tuple[Any, Any]:
    """The operand as a (minigrad, torch) pair: the same number twice, or two leaves."""
    if isinstance(value, float):
        return value, value
    return leaf_pair(value, requires_grad=requires_grad)


@given(program=programs(sorted(INPLACE)), layout=layouts)
def test_values_and_version(backend: str, program: tuple, layout: str) -> None:
    """Each op changes the tensor itself, to torch's values, and bumps ``_version`` as torch."""
    start, steps = program
    mine, theirs = leaf_pair(start, layout, requires_grad=False)
    for name, operand in steps:
        o_m, o_t = pair(operand)
        assert INPLACE[name](mine, o_m) is mine
        INPLACE[name](theirs, o_t)
        assert_close(mine, theirs, what=f"after {name}")
        assert mine._version == theirs._version, f"after {name}"


@given(program=programs(DIFFERENTIABLE), seed=seeds, start_requires_grad=st.booleans())
def test_gradients_through_inplace_changes(backend: str, program: tuple, seed: int,
                                           start_requires_grad: bool) -> None:
    """``y = x * 2`` changed in place by ops whose operands require grad: torch's gradients."""
    start, steps = program
    x_m, x_t = leaf_pair(start, requires_grad=start_requires_grad)
    y_m, y_t = x_m * 2, x_t * 2
    operands = []
    for name, operand in steps:
        o_m, o_t = pair(operand, requires_grad=True)
        operands.append((o_m, o_t))
        INPLACE[name](y_m, o_m)
        INPLACE[name](y_t, o_t)
    assert_close(y_m, y_t, what="result")
    assert y_m.requires_grad == y_t.requires_grad
    if not y_t.requires_grad:
        return
    upstream = np.random.default_rng(seed).standard_normal(start.shape).astype(start.dtype)
    y_m.backward(minigrad.tensor(upstream))
    y_t.backward(torch.from_numpy(upstream))
    n = max(start.size, 1)
    for i, (m, t) in enumerate([(x_m, x_t)] + operands):
        if isinstance(t, torch.Tensor):
            assert (m.grad is None) == (t.grad is None), f"tensor {i}: grad is None differs"
            if t.grad is not None:
                assert m.grad.dtype.name == str(t.grad.dtype).replace("torch.", "")
                # A float64 operand of a float32 tensor gets a gradient summed in float32 (the
                # tensor's dtype), then cast: compare with the tolerance of the dtype summed in.
                in_float32 = torch.float32 in (y_t.dtype, t.grad.dtype)
                m_grad, t_grad = (m.grad.float(), t.grad.float()) if in_float32 else (m.grad, t.grad)
                assert_close(m_grad, t_grad, "reduction", n, what=f"gradient of tensor {i}")


def test_inplace_on_a_tensor_without_grad_from_an_operand_with_grad(backend: str) -> None:
    """``y.mul_(c)`` on a tensor that needs no grad: y now requires grad; c gets old y as grad."""
    c_m, c_t = leaf_pair(np.array([1.5, -2.0, 0.5], np.float32))
    y_m, y_t = minigrad.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    y_m.mul_(c_m)
    y_t.mul_(c_t)
    assert y_m.requires_grad and not y_m.is_leaf
    (y_m * y_m).sum().backward()
    (y_t * y_t).sum().backward()
    assert_close(c_m.grad, c_t.grad)


def _raise_both(program: Callable[[Any], Any]) -> tuple[BaseException, BaseException]:
    """Run ``program(lib)`` with both libraries; both must raise the same exception class."""
    with pytest.raises(Exception) as theirs:
        program(torch)
    with pytest.raises(theirs.type) as mine:
        program(minigrad)
    return mine.value, theirs.value


def test_saved_output_modified_in_place(backend: str) -> None:
    """exp saves its output: changing it in place makes backward refuse, as in torch."""
    def program(lib: Any) -> None:
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        y = x.exp()
        y.add_(1)
        y.sum().backward()
    mine, theirs = _raise_both(program)
    for error in (mine, theirs):
        assert "modified by an inplace operation" in str(error)


def test_saved_input_modified_in_place(backend: str) -> None:
    """mul saves its inputs: changing one in place after the product makes backward refuse."""
    def program(lib: Any) -> None:
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        a = x * 1
        z = a * a
        a.mul_(2)
        z.sum().backward()
    _raise_both(program)


def test_unsaved_input_modified_in_place_is_fine(backend: str) -> None:
    """add saves nothing: changing its input in place afterwards leaves backward correct."""
    grads = []
    for lib in (minigrad, torch):
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        a = x * 3
        z = a + 1
        a.add_(5)
        (z * 2).sum().backward()
        grads.append(x.grad)
    assert_close(*grads)


@pytest.mark.parametrize("case", ["leaf", "view_of_leaf", "int_gets_float", "shape", "broadcast",
                                  "int_div", "int_clamp", "fill_dims", "copy_type"])
def test_errors(backend: str, case: str) -> None:
    """Each refused in-place op raises torch's exception class, with torch's message."""
    programs_: dict[str, Callable[[Any], Any]] = {
        "leaf": lambda lib: lib.ones(3, requires_grad=True).add_(1),
        "view_of_leaf": lambda lib: lib.ones(2, 3, requires_grad=True).view(6).mul_(2),
        "int_gets_float": lambda lib: lib.tensor([1, 2, 3]).add_(1.5),
        "shape": lambda lib: lib.ones(3).add_(lib.ones(2, 3)),
        "broadcast": lambda lib: lib.ones(3).copy_(lib.ones(2)),
        "int_div": lambda lib: lib.tensor([1, 2, 3]).div_(2),
        "int_clamp": lambda lib: lib.tensor([1, 2, 3]).clamp_(min=1.5),
        "fill_dims": lambda lib: lib.zeros(3).fill_(lib.ones(2)),
        "copy_type": lambda lib: lib.zeros(3).copy_("a"),
    }
    mine, theirs = _raise_both(programs_[case])
    if case in ("leaf", "view_of_leaf", "shape", "broadcast", "fill_dims"):
        assert str(mine) == str(theirs)
    elif case.startswith("int"):
        assert "can't be cast to the desired output type" in str(mine)


def test_leaf_changes_in_place_under_no_grad(backend: str) -> None:
    """An optimizer's update: under no_grad a leaf that requires grad may change in place."""
    results = []
    for lib in (minigrad, torch):
        p = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (p * p).sum().backward()
        with lib.no_grad():
            p.sub_(p.grad, alpha=0.1)
            p.mul_(0.5)
        assert p.requires_grad and p.is_leaf and p.grad_fn is None
        results.append(p)
    assert_close(*results)
    assert results[0]._version == results[1]._version


def test_copy_casts_and_broadcasts(backend: str) -> None:
    """copy_ truncates floats into an int tensor and broadcasts a row, as torch."""
    for src in ([1.7, -1.7, 2.2], [[0.5, 1.5, -2.5]]):
        mine, theirs = minigrad.zeros(2, 3, dtype=minigrad.int64), torch.zeros(2, 3, dtype=torch.int64)
        mine.copy_(minigrad.tensor(src))
        theirs.copy_(torch.tensor(src))
        assert_close(mine, theirs, "exact")
    mine, theirs = minigrad.zeros(3, dtype=minigrad.float64), torch.zeros(3, dtype=torch.float64)
    mine.copy_(minigrad.tensor([1, 2, 3]))
    theirs.copy_(torch.tensor([1, 2, 3]))
    assert_close(mine, theirs, "exact")


def test_inplace_through_a_view_changes_the_base(backend: str) -> None:
    """A view shares memory and version counter with its base, in both libraries."""
    for lib in (minigrad, torch):
        base = lib.zeros(2, 3)
        view = base.view(6)
        view.add_(lib.arange(6.0))
        base.mul_(2)
        assert base._version == view._version == 2
        assert view.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
