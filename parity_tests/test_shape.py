"""Shape ops against torch: the view family, expand, cat/stack, split/chunk/unbind, clone.

Besides values and gradients (``check_op``), views are checked to be views as torch's are: a change
of the base made in place under ``no_grad`` shows in the view, and both report the same
``_version``. ``view`` must refuse exactly the layouts torch refuses.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from .helpers import assert_close, check_op, leaf_pair
from .strategies import arrays, float_dtypes, layouts, seeds, shapes


@st.composite
def reshape_targets(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape with as many elements as ``shape`` (its factors regrouped, 1s added), maybe a -1."""
    numel = math.prod(shape)
    if numel == 0:
        dims = list(draw(st.permutations(shape)))
    else:
        dims, remaining = [], numel
        while remaining > 1 and len(dims) < 4:
            factor = draw(st.sampled_from([d for d in range(2, remaining + 1) if remaining % d == 0]))
            dims.append(factor)
            remaining //= factor
        if remaining > 1:
            dims.append(remaining)
    for _ in range(draw(st.integers(0, 2))):
        dims.insert(draw(st.integers(0, len(dims))), 1)
    if numel and dims and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


def dims_of(ndim: int) -> st.SearchStrategy:
    """A valid dim of a tensor with ``ndim`` dims, negative ones included (0-dim accepts -1, 0)."""
    return st.integers(-max(ndim, 1), max(ndim, 1) - 1)


def _torch_or_error(theirs: Callable, x: np.ndarray, layout: str) -> BaseException | None:
    try:
        theirs(leaf_pair(x, layout)[1])
    except Exception as error:  # noqa: BLE001 - any class may be the expected one
        return error
    return None


@pytest.mark.parametrize("name", ["view", "reshape", "view_method", "reshape_function"])
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_view_reshape(backend: str, name: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    """Reshape always works; view works exactly where torch's does, else torch's RuntimeError."""
    x = data.draw(arrays(dtype, shapes()))
    target = data.draw(reshape_targets(x.shape))
    ops = {"view": lambda lib: lambda t: t.view(target), "view_method": lambda lib: lambda t: t.view(*target) if target else t.view(target),
           "reshape": lambda lib: lambda t: t.reshape(target),
           "reshape_function": lambda lib: lambda t: lib.reshape(t, target)}
    mine, theirs = ops[name](minigrad), ops[name](torch)
    error = _torch_or_error(theirs, x, layout)
    if error is not None:
        with pytest.raises(type(error)) as got:
            mine(leaf_pair(x, layout)[0])
        assert str(got.value) == str(error)
        return
    check_op(mine, theirs, [x], seed=seed, layouts=[layout])


@st.composite
def expand_targets(draw: st.DrawFn, shape: tuple[int, ...], keep: bool = True) -> tuple[int, ...]:
    """Sizes ``expand`` accepts for ``shape``: 1-dims grown, new leading dims, -1 to keep a size."""
    sizes = [draw(st.integers(0, 3)) if n == 1 else (-1 if keep and draw(st.booleans()) else n) for n in shape]
    return tuple(draw(st.lists(st.integers(0, 3), max_size=2))) + tuple(sizes)


def _two_dims(ndim: int) -> st.SearchStrategy:
    return st.tuples(dims_of(ndim), dims_of(ndim))


# name: (the arguments to draw for a tensor of this shape, the op given (lib, tensor, arguments))
VIEW_OPS: dict[str, tuple[Callable[[tuple], st.SearchStrategy], Callable[[Any, Any, Any], Any]]] = {
    "permute": (lambda s: st.permutations(range(len(s))), lambda lib, t, a: t.permute(tuple(a))),
    "permute_negative": (lambda s: st.permutations(range(len(s))),
                         lambda lib, t, a: lib.permute(t, [d - t.ndim for d in a])),
    "transpose": (lambda s: _two_dims(len(s)), lambda lib, t, a: t.transpose(*a)),
    "swapaxes": (lambda s: _two_dims(len(s)), lambda lib, t, a: lib.swapaxes(t, *a)),
    "t": (lambda s: st.none(), lambda lib, t, a: t.t() if t.ndim <= 2 else t.transpose(0, 1)),
    "squeeze": (lambda s: st.none(), lambda lib, t, a: t.squeeze()),
    "squeeze_dim": (lambda s: dims_of(len(s)), lambda lib, t, a: lib.squeeze(t, a)),
    "squeeze_dims": (lambda s: st.permutations(range(len(s))), lambda lib, t, a: t.squeeze(tuple(a[:2]))),
    "unsqueeze": (lambda s: dims_of(len(s) + 1), lambda lib, t, a: t.unsqueeze(a)),
    "flatten": (lambda s: st.none(), lambda lib, t, a: lib.flatten(t)),
    "flatten_dims": (lambda s: _two_dims(len(s)).map(lambda a: sorted(d % max(len(s), 1) for d in a)),
                     lambda lib, t, a: t.flatten(*a)),
    "expand": (expand_targets, lambda lib, t, a: t.expand(*a) if a else t.expand(a)),
    "broadcast_to": (lambda s: expand_targets(s, keep=False), lambda lib, t, a: lib.broadcast_to(t, a)),
    "basic_index": (lambda s: st.none(), lambda lib, t, a: t[..., None, ::2] if t.ndim else t[None]),
    "split": (lambda s: st.integers(1, 3), lambda lib, t, a: t.split(a, -1)[-1]),
    "chunk": (lambda s: st.integers(1, 3), lambda lib, t, a: t.chunk(a)[0]),
    "unbind": (lambda s: st.none(), lambda lib, t, a: t.unbind(-1)[0]),
}


@pytest.mark.parametrize("name", list(VIEW_OPS))
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_view_ops(backend: str, name: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    strategy, op = VIEW_OPS[name]
    x = data.draw(arrays(dtype, shapes(min_dims=1 if name in ("split", "chunk", "unbind") else 0)))
    args = data.draw(strategy(x.shape))
    error = _torch_or_error(lambda t: op(torch, t, args), x, layout)
    if error is not None:
        with pytest.raises(type(error)):
            op(minigrad, leaf_pair(x, layout)[0], args)
        return
    check_op(lambda t: op(minigrad, t, args), lambda t: op(torch, t, args), [x], seed=seed, layouts=[layout])


@pytest.mark.parametrize("name", list(VIEW_OPS) + ["view", "reshape"])
@given(data=st.data(), layout=layouts)
def test_views_share_memory(backend: str, name: str, data: st.DataObject, layout: str) -> None:
    """An in-place change of the base (under no_grad) shows in the view; one version counter."""
    x = data.draw(arrays(np.float64, shapes(min_dims=1, min_side=1)))
    if name in VIEW_OPS:
        strategy, op = VIEW_OPS[name]
        args = data.draw(strategy(x.shape))
    else:
        op, args = (lambda lib, t, a: getattr(t, name)(a)), data.draw(reshape_targets(x.shape))
    results = []
    for lib, base in zip((minigrad, torch), leaf_pair(x, "contiguous" if name == "view" else layout, False)):
        view = op(lib, base, args)
        with lib.no_grad():
            base.mul_(2.0)
        results.append((view, view._version, view._base is not None))
    (mine, version_m, is_view_m), (theirs, version_t, is_view_t) = results
    assert is_view_m == is_view_t, f"view: minigrad {is_view_m}, torch {is_view_t}"
    assert version_m == version_t
    assert_close(mine, theirs, "exact")


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_expand_as_sum_to_size(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    """``sum_to_size`` adds the copies ``expand`` made: a reduction, compared as one."""
    x = data.draw(arrays(dtype, shapes()))
    big = data.draw(expand_targets(x.shape, keep=False))
    other = np.zeros(big, dtype)
    check_op(lambda t, o: t.expand_as(o), lambda t, o: t.expand_as(o), [x, other], seed=seed,
             layouts=[layout, "contiguous"])
    y = data.draw(arrays(dtype, big))
    n = max(math.prod(big) // max(math.prod(x.shape), 1), 1)
    check_op(lambda t: t.sum_to_size(x.shape), lambda t: t.sum_to_size(x.shape), [y], seed=seed,
             family="reduction", n=n)


@st.composite
def joinable(draw: st.DrawFn, same_shape: bool) -> tuple[list[np.ndarray], int]:
    """2 or 3 arrays that ``cat`` (sizes differ along ``dim``) or ``stack`` (one shape) accept,
    of float32 and float64 mixed (the result has the promoted dtype)."""
    shape = draw(shapes(min_dims=0 if same_shape else 1))
    ndim = len(shape) + (1 if same_shape else 0)
    dim = draw(st.integers(-ndim, ndim - 1)) if ndim else 0
    result = []
    for _ in range(draw(st.integers(1, 3))):
        size = list(shape)
        if not same_shape:
            size[dim] = draw(st.integers(0, 3))
        result.append(draw(arrays(draw(float_dtypes), tuple(size))))
    return result, dim


@pytest.mark.parametrize("name", ["cat", "concat", "stack"])
@given(data=st.data(), seed=seeds, layout=layouts)
def test_cat_stack(backend: str, name: str, data: st.DataObject, seed: int, layout: str) -> None:
    xs, dim = data.draw(joinable(same_shape=name == "stack"))
    check_op(lambda *ts: getattr(minigrad, name)(ts, dim), lambda *ts: getattr(torch, name)(ts, dim=dim),
             xs, seed=seed, layouts=[layout] * len(xs))


def test_cat_skips_legacy_empty_tensors(backend: str) -> None:
    """torch still accepts 1-dim empty tensors beside tensors of other shapes in cat."""
    x = np.arange(6.0).reshape(2, 3)
    check_op(lambda t, e: minigrad.cat([t, e, t], 1), lambda t, e: torch.cat([t, e, t], 1),
             [x, np.zeros(0)])


@pytest.mark.parametrize("name", ["split_int", "split_sizes", "chunk", "unbind", "split_function"])
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_split_chunk_unbind(backend: str, name: str, data: st.DataObject, dtype: type, layout: str,
                            seed: int) -> None:
    x = data.draw(arrays(dtype, shapes(min_dims=1)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[dim]
    if name == "split_sizes":
        cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
        arg: Any = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    else:
        arg = data.draw(st.integers(1 if n or name == "chunk" else 0, 4))
    ops = {"split_int": lambda lib, t: t.split(arg, dim), "split_sizes": lambda lib, t: t.split(arg, dim),
           "split_function": lambda lib, t: lib.split(t, arg, dim), "chunk": lambda lib, t: t.chunk(arg, dim),
           "unbind": lambda lib, t: lib.unbind(t, dim)}
    op = ops[name]
    check_op(lambda t: tuple(op(minigrad, t)), lambda t: tuple(op(torch, t)), [x], seed=seed, layouts=[layout])


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_clone_contiguous(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    x = data.draw(arrays(dtype, shapes()))
    check_op(lambda t: (t.clone(), minigrad.clone(t), t.contiguous()),
             lambda t: (t.clone(), torch.clone(t), t.contiguous()), [x], seed=seed, layouts=[layout])
    mine, theirs = leaf_pair(x, layout, requires_grad=False)
    assert mine.contiguous().is_contiguous() and theirs.contiguous().is_contiguous()
    assert (mine.contiguous() is mine) == (theirs.contiguous() is theirs)
    copy_m, copy_t = mine.clone(), theirs.clone()
    mine.mul_(2.0)
    theirs.mul_(2.0)
    assert_close(copy_m, copy_t, "exact")


# name: (case, what both messages say)
ERRORS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "view_of_transposed": (lambda lib: lib.ones(2, 3).t().view(6), "view size is not compatible"),
    "view_of_strided": (lambda lib: lib.ones(4, 3)[::2].view(6), "Use .reshape(...) instead"),
    "reshape_size": (lambda lib: lib.ones(2, 3).reshape(4, -1), "shape '[4, -1]' is invalid for input of size 6"),
    "view_size": (lambda lib: lib.ones(2, 3).view(7), "shape '[7]' is invalid for input of size 6"),
    "reshape_negative": (lambda lib: lib.ones(2, 3).reshape(-2, 3), "invalid shape dimension -2"),
    "reshape_two_inferred": (lambda lib: lib.ones(2, 3).reshape(-1, -1), "only one dimension can be inferred"),
    "reshape_empty_inferred": (lambda lib: lib.ones(0, 3).reshape(0, -1), "ambiguous"),
    "permute_length": (lambda lib: lib.ones(2, 3).permute(1), "does not match the length"),
    "permute_duplicate": (lambda lib: lib.ones(2, 3).permute(1, 1), "duplicate dims are not allowed"),
    "transpose_dim": (lambda lib: lib.ones(2, 3).transpose(0, 2), "Dimension out of range"),
    "t_of_3d": (lambda lib: lib.ones(2, 3, 4).t(), "t() expects a tensor with <= 2 dimensions"),
    "unsqueeze_dim": (lambda lib: lib.ones(2).unsqueeze(3), "Dimension out of range"),
    "flatten_order": (lambda lib: lib.ones(2, 3).flatten(1, 0), "start_dim cannot come after end_dim"),
    "expand_size": (lambda lib: lib.ones(2, 3).expand(2, 4), "must match the existing size (3)"),
    "expand_fewer": (lambda lib: lib.ones(2, 3).expand(3), "the number of sizes provided (1)"),
    "expand_leading_minus_one": (lambda lib: lib.ones(3).expand(-1, 3), "isn't allowed in a leading"),
    "sum_to_size": (lambda lib: lib.ones(2, 3).sum_to_size(2), "is not expandable to size"),
    "cat_empty": (lambda lib: lib.cat([]), "expected a non-empty list of Tensors"),
    "cat_0_dim": (lambda lib: lib.cat([lib.tensor(1.0)]), "zero-dimensional tensor (at position 0)"),
    "cat_ndims": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 3, 1)]), "same number of dimensions"),
    "cat_sizes": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3, 2)], 1),
                  "Sizes of tensors must match except in dimension 1"),
    "cat_not_tensor": (lambda lib: lib.cat([lib.ones(2), 1]), "expected Tensor as element 1"),
    "cat_of_tensor": (lambda lib: lib.cat(lib.ones(2)), "must be tuple of Tensors"),
    "stack_empty": (lambda lib: lib.stack([]), "stack expects a non-empty TensorList"),
    "stack_shapes": (lambda lib: lib.stack([lib.ones(2), lib.ones(3)]), "stack expects each tensor to be equal size"),
    "stack_dim": (lambda lib: lib.stack([lib.ones(2)], 2), "Dimension out of range"),
    "split_zero": (lambda lib: lib.ones(3).split(0), "split_size can only be 0"),
    "split_negative": (lambda lib: lib.ones(3).split(-1), "non-negative"),
    "split_sizes_sum": (lambda lib: lib.ones(3).split([1, 1]), "to sum exactly to 3"),
    "split_sizes_negative": (lambda lib: lib.ones(3).split([4, -1]), "only non-negative entries"),
    "split_0_dim": (lambda lib: lib.tensor(1.0).split(1), "at least a 1-dimensional tensor"),
    "chunk_zero": (lambda lib: lib.ones(3).chunk(0), "greater than 0"),
    "chunk_0_dim": (lambda lib: lib.tensor(1.0).chunk(1), "at least a 1-dimensional tensor"),
    "unbind_0_dim": (lambda lib: lib.tensor(1.0).unbind(), "tensor has no dimensions"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(backend: str, name: str) -> None:
    make, message = ERRORS[name]
    with pytest.raises(Exception) as expected:
        make(torch)
    assert message in str(expected.value), f"test defect: torch says {expected.value}"
    with pytest.raises(expected.type) as got:
        make(minigrad)
    assert message in str(got.value), f"minigrad says {got.value}; torch says {expected.value}"
