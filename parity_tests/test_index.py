"""Indexing against torch: ``x[index]``, ``x[index] = value``, narrow, select, index_select, gather.

Index expressions are drawn item by item (ints, slices with steps, None, ``...``, integer index
arrays with repeats, boolean masks) and given to both libraries in the same form (Python ints and
lists, or tensors). Repeated indices must add up their gradients, which the random upstream
gradient of ``check_op`` sees.
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
from .helpers import assert_close, check_op, raised, unwrap_device_assert
from .strategies import arrays, float_dtypes, layouts, seeds, shapes


def _slices(n: int) -> st.SearchStrategy:
    """Slices of a dim of size n: bounds past both ends and negative ones, steps 1 to 3."""
    bound = st.none() | st.integers(-n - 2, n + 2)
    return st.builds(slice, bound, bound, st.sampled_from([None, 1, 2, 3]))


def index_shapes(kind: str) -> st.SearchStrategy:
    """Shapes to index: any for basic indexing; for index arrays and masks, mostly without size 0."""
    if kind == "basic":
        return shapes()
    return st.sampled_from([1, 0]).flatmap(lambda low: shapes(min_dims=1, min_side=low))


@st.composite
def index_items(draw: st.DrawFn, shape: tuple[int, ...], kind: str, unique: bool = False) -> list:
    """An index for ``shape`` as a list of items ``(what, value)``.

    ``kind`` is ``basic`` (ints, slices, None, ...), ``int`` (adds integer index arrays that
    broadcast together) or ``mask`` (adds one boolean mask, or a Python bool). With ``unique``, the
    one index array has no repeated value (for setitem, where a repeat makes the result ambiguous).
    """
    ndim = len(shape)
    left = draw(st.integers(min(ndim, 1 if kind != "basic" else 0), ndim))
    ellipsis = draw(st.booleans())
    right = draw(st.integers(0, ndim - left)) if ellipsis else 0
    array_shape = draw(shapes(min_dims=1, max_dims=1 if unique else 2, min_side=0, max_side=3))
    state = {"mask_used": kind != "mask", "arrays_left": 1 if unique else 4}

    def group(dims: list[int]) -> list:
        items, j = [], 0
        while j < len(dims):
            n = shape[dims[j]]
            if draw(st.integers(0, 5)) == 5:
                items.append(("none", None))
            choices = ["slice"] + (["int"] if n else [])
            if kind == "int" and state["arrays_left"]:
                choices = ["array", "array"] + choices
            if not state["mask_used"]:
                choices = ["mask", "mask"] + choices
            what = draw(st.sampled_from(choices))
            if what == "array":
                state["arrays_left"] -= 1
                low = 0 if unique else -n
                array_shape_here = tuple(1 if draw(st.booleans()) else s for s in array_shape)
                if unique:
                    array_shape_here = (draw(st.integers(0, n)),)
                if n == 0:
                    array_shape_here = (0,)
                value = draw(hnp.arrays(np.int64, array_shape_here, elements=st.integers(low, max(n - 1, 0)),
                                        unique=unique))
                items.append(("array", value))
            elif what == "mask":
                state["mask_used"] = True
                if draw(st.integers(0, 4)) == 4:
                    items.append(("bool", draw(st.booleans())))
                    continue
                span = draw(st.integers(1, min(2, len(dims) - j)))
                mask_shape = tuple(shape[d] for d in dims[j:j + span])
                items.append(("mask", draw(hnp.arrays(np.bool_, mask_shape))))
                j += span
                continue
            elif what == "int":
                items.append(("int", draw(st.integers(-n, n - 1))))
            else:
                items.append(("slice", draw(_slices(n))))
            j += 1
        return items

    items = group(list(range(left)))
    if ellipsis:
        items.append(("ellipsis", Ellipsis))
        items += group(list(range(ndim - right, ndim)))
    if draw(st.integers(0, 5)) == 5:
        items.append(("none", None))
    return items


def build(items: list, lib: Any, as_tensors: bool) -> Any:
    """The index for ``lib``: index arrays as tensors, or as nested lists of Python ints."""
    built = []
    for what, value in items:
        if what == "array":
            built.append(lib.tensor(value) if as_tensors or value.ndim > 1 else value.tolist())
        elif what == "mask":
            built.append(lib.tensor(value))
        else:
            built.append(value)
    return built[0] if len(built) == 1 else tuple(built)


def same_error(mine: Callable[[], Any], theirs: Callable[[], Any], *mentions: str) -> None:
    """Both raise the same exception class, and minigrad's message names each of ``mentions``."""
    with pytest.raises(Exception) as expected:
        theirs()
    got = unwrap_device_assert(raised(lambda _: mine(), minigrad), expected.value)
    assert type(got) is expected.type, f"minigrad raised {got!r}; torch raises {expected.value!r}"
    for mention in mentions:
        assert mention in str(expected.value), f"test defect: torch says {expected.value}"
        assert mention in str(got), f"minigrad says {got}; torch says {expected.value}"


def compare_or_same_error(mine: Callable, theirs: Callable, arrays_: list, seed: int, layouts_: list) -> None:
    """check_op when torch accepts the input, else the same exception class."""
    pairs = [torch.from_numpy(a) for a in arrays_]
    try:
        theirs(*pairs)
    except Exception as error:  # noqa: BLE001 - any class may be the expected one
        with pytest.raises(type(error)):
            mine(*[minigrad.tensor(a) for a in arrays_])
        return
    check_op(mine, theirs, arrays_, seed=seed, layouts=layouts_)


@pytest.mark.parametrize("kind", ["basic", "int", "mask"])
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds, as_tensors=st.booleans())
def test_getitem(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int, kind: str,
                 as_tensors: bool) -> None:
    x = data.draw(arrays(dtype, index_shapes(kind)))
    items = data.draw(index_items(x.shape, kind))
    mine, theirs = build(items, minigrad, as_tensors), build(items, torch, as_tensors)
    compare_or_same_error(lambda t: t[mine], lambda t: t[theirs], [x], seed, [layout])


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_repeated_indices_add_up(backend: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """Every index array here has repeats: the gradient of a position read k times is a sum of k."""
    x = data.draw(arrays(dtype, shapes(min_dims=1, min_side=1)))
    n = x.shape[0]
    index = data.draw(hnp.arrays(np.int64, st.integers(2, 6), elements=st.integers(-n, n - 1)))
    index[-1] = index[0]
    check_op(lambda t: t[minigrad.tensor(index)], lambda t: t[torch.from_numpy(index)], [x], seed=seed)


@given(data=st.data(), layout=layouts)
def test_basic_index_is_a_view(backend: str, data: st.DataObject, layout: str) -> None:
    """Ints, slices, None and ... give a view: a change of the base shows in it, one version counter."""
    x = data.draw(arrays(np.float64, shapes()))
    items = data.draw(index_items(x.shape, "basic"))
    mine, theirs = build(items, minigrad, False), build(items, torch, False)
    m, t = minigrad.tensor(x), torch.from_numpy(x.copy())
    view_m, view_t = m[mine], t[theirs]
    assert view_t._base is t and view_m._base is m
    m.add_(1.0)
    t.add_(1.0)
    assert_close(view_m, view_t, "exact")
    assert view_m._version == view_t._version == 1


def test_advanced_index_is_a_copy(backend: str) -> None:
    m, t = minigrad.arange(6.0), torch.arange(6.0)
    copy_m, copy_t = m[[0, 2]], t[[0, 2]]
    m.add_(1.0)
    t.add_(1.0)
    assert copy_m._base is None and copy_t._base is None
    assert_close(copy_m, copy_t, "exact")


@pytest.mark.parametrize("kind", ["basic", "int", "mask"])
@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds,
       value_kind=st.sampled_from(["number", "full", "broadcast"]))
def test_setitem(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int, kind: str,
                 value_kind: str) -> None:
    """``y = x.clone(); y[index] = v`` is differentiable through x's old value and through v."""
    x = data.draw(arrays(dtype, index_shapes(kind)))
    items = data.draw(index_items(x.shape, kind, unique=True))
    mine, theirs = build(items, minigrad, True), build(items, torch, True)
    target = tuple(torch.from_numpy(x)[theirs].shape)
    if value_kind == "number":
        def put_m(t: Any) -> Any:
            y = t.clone()
            y[mine] = 1.5
            return y

        def put_t(t: Any) -> Any:
            y = t.clone()
            y[theirs] = 1.5
            return y
        check_op(put_m, put_t, [x], seed=seed, layouts=[layout])
        return
    if value_kind == "broadcast":
        target = tuple(1 if data.draw(st.booleans()) else n for n in target[data.draw(st.integers(0, len(target))):])
        target = (1,) * data.draw(st.integers(0, 1)) + target
    value = data.draw(arrays(dtype, target))

    def put_value_m(t: Any, v: Any) -> Any:
        y = t.clone()
        y[mine] = v
        return y

    def put_value_t(t: Any, v: Any) -> Any:
        y = t.clone()
        y[theirs] = v
        return y
    check_op(put_value_m, put_value_t, [x, value], seed=seed, layouts=[layout, "contiguous"])


def test_setitem_bumps_the_version_and_shows_in_views(backend: str) -> None:
    results = []
    for lib in (minigrad, torch):
        x = lib.zeros(3, 4)
        row = x[1]
        x[1, 1:3] = lib.tensor([1.0, 2.0])
        x[x > 1.5] = 7.0
        x[0] = 3
        results.append((row, x, x._version, row._version))
    (row_m, x_m, *versions_m), (row_t, x_t, *versions_t) = results
    assert_close(row_m, row_t, "exact")
    assert_close(x_m, x_t, "exact")
    assert versions_m == versions_t == [3, 3]


def test_setitem_casts_the_value(backend: str) -> None:
    """A float written into an integer tensor is truncated, as torch does."""
    m, t = minigrad.zeros(3, dtype=minigrad.int64), torch.zeros(3, dtype=torch.int64)
    m[0], t[0] = 2.7, 2.7
    m[1:], t[1:] = minigrad.tensor([1.9, -1.9]), torch.tensor([1.9, -1.9])
    assert_close(m, t, "exact")


def test_setitem_refuses_a_leaf_that_requires_grad(backend: str) -> None:
    same_error(lambda: minigrad.ones(3, requires_grad=True).__setitem__(0, 2.0),
               lambda: torch.ones(3, requires_grad=True).__setitem__(0, 2.0), "leaf")
    with minigrad.no_grad():
        m = minigrad.ones(3, requires_grad=True)
        m[0] = 2.0
    assert m.tolist() == [2.0, 1.0, 1.0] and m._version == 1


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds, method=st.booleans())
def test_narrow_select(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int,
                       method: bool) -> None:
    x = data.draw(arrays(dtype, shapes(min_dims=1, min_side=1)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[dim]
    start = data.draw(st.integers(-n, n))
    length = data.draw(st.integers(0, n - start % n if start < 0 else n - start))
    index = data.draw(st.integers(-n, n - 1))
    if method:
        check_op(lambda t: (t.narrow(dim, start, length), t.select(dim, index)),
                 lambda t: (t.narrow(dim, start, length), t.select(dim, index)), [x], seed=seed, layouts=[layout])
    else:
        check_op(lambda t: (minigrad.narrow(t, dim, start, length), minigrad.select(t, dim, index)),
                 lambda t: (torch.narrow(t, dim, start, length), torch.select(t, dim, index)),
                 [x], seed=seed, layouts=[layout])


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_index_select(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    x = data.draw(arrays(dtype, shapes()))
    dim = data.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
    n = x.shape[dim] if x.ndim else 1
    index_shape = () if x.ndim == 0 else data.draw(st.sampled_from([(), (data.draw(st.integers(0, 5)),)]))
    if n == 0:
        index_shape = (0,)
    index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, max(n - 1, 0))))
    check_op(lambda t: t.index_select(dim, minigrad.tensor(index)),
             lambda t: t.index_select(dim, torch.from_numpy(index)), [x], seed=seed, layouts=[layout])


@given(data=st.data(), dtype=float_dtypes, layout=layouts, seed=seeds)
def test_gather(backend: str, data: st.DataObject, dtype: type, layout: str, seed: int) -> None:
    x = data.draw(arrays(dtype, shapes()))
    dim = data.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
    if x.ndim == 0:
        index_shape = data.draw(st.sampled_from([(), (3,)]))
        n = 1
    else:
        d = dim % x.ndim
        n = x.shape[d]
        index_shape = tuple(data.draw(st.integers(0, 4 if k == d else m)) for k, m in enumerate(x.shape))
        if n == 0:
            index_shape = index_shape[:d] + (0,) + index_shape[d + 1:]
    index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, max(n - 1, 0))))
    check_op(lambda t: minigrad.gather(t, dim, minigrad.tensor(index)),
             lambda t: torch.gather(t, dim, torch.from_numpy(index)), [x], seed=seed, layouts=[layout])


def _run(lib: Any, make: Callable[[Any], Any]) -> Callable[[], Any]:
    return lambda: make(lib)


# name: (case, what both messages mention)
ERRORS: dict[str, tuple[Callable[[Any], Any], tuple[str, ...]]] = {
    "int_out_of_range": (lambda lib: lib.ones(2, 3)[:, 3], ("index 3 is out of bounds for dimension 1 with size 3",)),
    "negative_int_out_of_range": (lambda lib: lib.ones(2, 3)[-3], ("index -3 is out of bounds",)),
    "index_of_0_dim": (lambda lib: lib.tensor(1.0)[0], ("invalid index of a 0-dim tensor",)),
    "too_many_indices": (lambda lib: lib.ones(2, 3)[0, 1, None, 2], ("too many indices for tensor of dimension 2",)),
    "negative_step": (lambda lib: lib.ones(4)[::-2], ("step must be greater than zero",)),
    "zero_step": (lambda lib: lib.ones(4)[::0], ("slice step cannot be zero",)),
    "array_out_of_range": (lambda lib: lib.ones(2, 3)[[0, 2]], ("index 2 is out of bounds",)),
    "tensor_out_of_range": (lambda lib: lib.ones(3)[lib.tensor([[0], [-4]])], ("index -4 is out of bounds",)),
    "float_index_tensor": (lambda lib: lib.ones(3)[lib.tensor([1.0])], ("tensors used as indices must be long",)),
    "float_index": (lambda lib: lib.ones(3)[1.5], ("only integers, slices",)),
    "mask_shape": (lambda lib: lib.ones(2, 3)[lib.ones(2, 2, dtype=lib.bool)],
                   ("The shape of the mask [2, 2] at index 1 does not match",)),
    "arrays_do_not_broadcast": (lambda lib: lib.ones(3, 3)[[0, 1], [0, 1, 2]], ()),
    "setitem_value_shape": (lambda lib: lib.zeros(2, 3).__setitem__([0, 1], lib.ones(3, 3)), ("shape mismatch",)),
    "setitem_basic_value_shape": (lambda lib: lib.zeros(2, 3).__setitem__(0, lib.ones(2)), ()),
    "narrow_0_dim": (lambda lib: lib.tensor(1.0).narrow(0, 0, 1), ("narrow() cannot be applied to a 0-dim tensor",)),
    "narrow_start": (lambda lib: lib.ones(3).narrow(0, 4, 0), ("start out of range",)),
    "narrow_length": (lambda lib: lib.ones(3).narrow(0, 1, 3), ("start (1) + length (3) exceeds dimension size (3)",)),
    "narrow_negative_length": (lambda lib: lib.ones(3).narrow(0, 1, -1), ("length must be non-negative",)),
    "select_range": (lambda lib: lib.ones(2, 3).select(1, 3), ("index 3 out of range",)),
    "select_0_dim": (lambda lib: lib.tensor(1.0).select(0, 0), ("0-dim",)),
    "index_select_vector": (lambda lib: lib.ones(3).index_select(0, lib.tensor([[0]])), ("supposed to be a vector",)),
    "index_select_dtype": (lambda lib: lib.ones(3).index_select(0, lib.tensor([0.0])), ("int64",)),
    "index_select_range_dim0": (lambda lib: lib.ones(3, 2).index_select(0, lib.tensor([3])), ("index out of range",)),
    "index_select_negative": (lambda lib: lib.ones(3).index_select(0, lib.tensor([-1])), ("index out of range",)),
    "index_select_range_dim1": (lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([3])), ("id=3",)),
    "index_select_range_dim2": (lambda lib: lib.ones(2, 3, 4).index_select(2, lib.tensor([4])), ("index out of range",)),
    "index_select_scalar": (lambda lib: lib.tensor(1.0).index_select(0, lib.tensor([0, 0])), ("only 1 value",)),
    "gather_ndim": (lambda lib: lib.ones(2, 3).gather(1, lib.tensor([0])), ("same number of dimensions",)),
    "gather_size": (lambda lib: lib.ones(2, 3).gather(1, lib.zeros(3, 1, dtype=lib.int64)),
                    ("Size does not match at dimension 0",)),
    "gather_range": (lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[3]])), ("index 3 is out of bounds",)),
    "gather_negative": (lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[-1]])), ("index -1 is out of bounds",)),
    "gather_dtype": (lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[0.0]])), ("int64",)),
    "gather_dim": (lambda lib: lib.ones(2, 3).gather(2, lib.tensor([[0]])), ("Dimension out of range",)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(backend: str, name: str) -> None:
    make, mentions = ERRORS[name]
    same_error(_run(minigrad, make), _run(torch, make), *mentions)


@pytest.mark.parametrize("index", [
    (0, None, [0, 2, 2]), (0, slice(None), [1, 1]), ([0, 1], 0), (Ellipsis, [2, 0], 1),
    ([1, 0], slice(None), [3, 3]), (slice(None), [1], None, [0, 3]), (None, True, 1), (False, Ellipsis),
])
def test_ints_apply_before_index_arrays(backend: str, index: tuple) -> None:
    """torch applies ints as selections first (NumPy would count them as index arrays)."""
    x = np.arange(24.0).reshape(2, 3, 4)
    check_op(lambda t: t[index], lambda t: t[index], [x], seed=1)
