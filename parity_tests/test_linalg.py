"""Matrix products against torch: every case of matmul, mm, bmm, mv, dot, outer, addmm.

Shapes are drawn with sides 0..4 (empty products included), in float32 and float64, with
non-contiguous layouts; ``check_op`` compares forward values, gradients and float64 double
backward. A product adds up ``k`` terms (the inner dimension), so the tolerance family is
``reduction`` with ``n = k``; a gradient adds up the other side's terms (and the broadcast batch).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from .helpers import check_op, expect_torch_error, raised
from .strategies import arrays, broadcastable_shapes, float_dtypes, layouts, seeds

sides = st.integers(0, 4)


def _numel(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _check_product(mine: Callable, theirs: Callable, data: st.DataObject, dtype: type,
                   a_shape: tuple[int, ...], b_shape: tuple[int, ...], k: int, grad_n: int,
                   seed: int) -> None:
    a = data.draw(arrays(dtype, a_shape), label="a")
    b = data.draw(arrays(dtype, b_shape), label="b")
    chosen = [data.draw(layouts, label="layout a"), data.draw(layouts, label="layout b")]
    check_op(mine, theirs, [a, b], seed=seed, family="reduction", n=k, grad_n=grad_n,
             layouts=chosen)


# the rank of each operand in each case torch distinguishes ("nd" = batched, with broadcasting)
MATMUL_CASES = ["1d@1d", "2d@1d", "1d@2d", "2d@2d", "nd@nd", "1d@nd", "nd@1d", "nd@2d", "2d@nd"]


@pytest.mark.parametrize("case", MATMUL_CASES)
@given(data=st.data(), dtype=float_dtypes, n=sides, k=sides, m=sides, seed=seeds)
def test_matmul(backend: str, case: str, data: st.DataObject, dtype: type, n: int, k: int,
                m: int, seed: int) -> None:
    left, right = case.split("@")
    batch_a, batch_b = data.draw(broadcastable_shapes(2, min_dims=1, max_dims=2, max_side=3))
    batch_a, batch_b = (batch_a if left == "nd" else ()), (batch_b if right == "nd" else ())
    a_shape = {"1d": (k,), "2d": (n, k), "nd": batch_a + (n, k)}[left]
    b_shape = {"1d": (k,), "2d": (k, m), "nd": batch_b + (k, m)}[right]
    batch = _numel(np.broadcast_shapes(batch_a, batch_b))
    _check_product(minigrad.matmul, torch.matmul, data, dtype, a_shape, b_shape, k,
                   max(n, m, 1) * batch, seed)


@given(data=st.data(), dtype=float_dtypes, n=sides, k=sides, m=sides, seed=seeds)
def test_mm(backend: str, data: st.DataObject, dtype: type, n: int, k: int, m: int, seed: int) -> None:
    _check_product(minigrad.mm, torch.mm, data, dtype, (n, k), (k, m), k, max(n, m), seed)


@given(data=st.data(), dtype=float_dtypes, b=sides, n=sides, k=sides, m=sides, seed=seeds)
def test_bmm(backend: str, data: st.DataObject, dtype: type, b: int, n: int, k: int, m: int,
             seed: int) -> None:
    _check_product(minigrad.bmm, torch.bmm, data, dtype, (b, n, k), (b, k, m), k, max(n, m), seed)


@given(data=st.data(), dtype=float_dtypes, n=sides, k=sides, seed=seeds)
def test_mv(backend: str, data: st.DataObject, dtype: type, n: int, k: int, seed: int) -> None:
    _check_product(minigrad.mv, torch.mv, data, dtype, (n, k), (k,), k, n, seed)


@given(data=st.data(), dtype=float_dtypes, k=sides, seed=seeds)
def test_dot(backend: str, data: st.DataObject, dtype: type, k: int, seed: int) -> None:
    _check_product(minigrad.dot, torch.dot, data, dtype, (k,), (k,), k, 1, seed)


@given(data=st.data(), dtype=float_dtypes, n=sides, m=sides, seed=seeds)
def test_outer(backend: str, data: st.DataObject, dtype: type, n: int, m: int, seed: int) -> None:
    _check_product(minigrad.outer, torch.outer, data, dtype, (n,), (m,), 1, max(n, m), seed)


def test_outer_promotes(backend: str) -> None:
    """outer is a broadcast product, so it promotes dtypes as ``mul`` does (unlike matmul)."""
    a = torch.tensor([1, 2, 3])
    b = torch.tensor([0.5, -1.0], dtype=torch.float64)
    check_op(minigrad.outer, torch.outer, [a.numpy(), b.numpy()])


scalars = st.sampled_from([0, 1, 0.5, -2.0])


@given(data=st.data(), dtype=float_dtypes, n=sides, k=sides, m=sides, beta=scalars,
       alpha=scalars, seed=seeds)
def test_addmm(backend: str, data: st.DataObject, dtype: type, n: int, k: int, m: int,
               beta: float, alpha: float, seed: int) -> None:
    """β·input + α·(mat1 @ mat2), with ``input`` broadcast to (n, m) from a smaller shape."""
    input_shape = data.draw(st.sampled_from([(n, m), (m,), (), (1, m), (n, 1)]), label="input")
    arrays_ = [data.draw(arrays(dtype, s)) for s in (input_shape, (n, k), (k, m))]
    chosen = [data.draw(layouts) for _ in arrays_]
    check_op(lambda c, a, b: minigrad.addmm(c, a, b, beta=beta, alpha=alpha),
             lambda c, a, b: torch.addmm(c, a, b, beta=beta, alpha=alpha),
             arrays_, seed=seed, family="reduction", n=k + 1, grad_n=max(n, m, 1), layouts=chosen)


def test_addmm_ignores_input_when_beta_is_zero(backend: str) -> None:
    """β = 0 means the input is not read: its nan does not reach the result (torch's rule)."""
    c = np.full((2, 2), np.nan)
    a = np.arange(6.0).reshape(2, 3)
    check_op(lambda c, a, b: minigrad.addmm(c, a, b, beta=0),
             lambda c, a, b: torch.addmm(c, a, b, beta=0), [c, a, a.T.copy()], family="reduction", n=3)


def test_addmm_on_integers_truncates_the_scalars(backend: str) -> None:
    """On int64 tensors torch truncates a float β or α to an integer."""
    a = torch.arange(6).reshape(2, 3)
    for beta, alpha in [(0.5, 1.5), (2.7, 1), (1, 3)]:
        check_op(lambda c, x, y: minigrad.addmm(c, x, y, beta=beta, alpha=alpha),
                 lambda c, x, y: torch.addmm(c, x, y, beta=beta, alpha=alpha),
                 [a.numpy()[:, :2].copy(), a.numpy(), a.numpy().T.copy()], family="exact")


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                                    ((2, 2, 3), (3, 4)), ((3,), (2, 3, 2)), ((2, 1, 2, 3), (4, 3, 1))])
def test_matmul_on_integers(backend: str, shapes: tuple) -> None:
    """int64 products stay int64 and are exact."""
    rng = np.random.default_rng(0)
    a, b = (rng.integers(-5, 5, s) for s in shapes)
    check_op(minigrad.matmul, torch.matmul, [a, b], family="exact")


# name: (the call, shared by both libraries, and the shapes of its operands)
METHODS: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]]]] = {
    "@": (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "matmul": (lambda a, b: a.matmul(b), [(2, 2, 3), (3,)]),
    "mm": (lambda a, b: a.mm(b), [(2, 3), (3, 4)]),
    "mv": (lambda a, b: a.mv(b), [(2, 3), (3,)]),
    "dot": (lambda a, b: a.dot(b), [(3,), (3,)]),
    "outer": (lambda a, b: a.outer(b), [(2,), (3,)]),
    "bmm": (lambda a, b: a.bmm(b), [(2, 2, 3), (2, 3, 4)]),
    "addmm": (lambda c, a, b: c.addmm(a, b, beta=2, alpha=0.5), [(2, 4), (2, 3), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(METHODS))
@given(dtype=float_dtypes, seed=seeds)
def test_methods(backend: str, name: str, dtype: type, seed: int) -> None:
    """The Tensor methods and the ``@`` operator are the free functions, as in torch."""
    rng = np.random.default_rng(seed)
    call, shapes = METHODS[name]
    operands = [rng.standard_normal(s).astype(dtype) for s in shapes]
    check_op(call, call, operands, seed=seed, family="reduction", n=4)


# --- bad input: torch's exception class and message -------------------------------------------

def _zeros(lib: Any, *shape: int, dtype: str = "float32") -> Any:
    return lib.zeros(shape, dtype=getattr(lib, dtype))


F32, F64, I64, BOOL = "float32", "float64", "int64", "bool"

# (function, shape of a, dtype of a, shape of b, dtype of b): each wrong in one way torch refuses
ERROR_CASES = [
    ("matmul", (), F32, (3,), F32), ("matmul", (3,), F32, (), F32), ("matmul", (), F32, (), F32),
    ("matmul", (3,), F32, (4,), F32), ("matmul", (2, 3), F32, (4,), F32),
    ("matmul", (3,), F32, (4, 5), F32), ("matmul", (2, 3), F32, (4, 5), F32),
    ("matmul", (2, 2, 3), F32, (2, 4, 5), F32), ("matmul", (2, 2, 3), F32, (3, 3, 5), F32),
    ("matmul", (2, 3, 2, 3), F32, (4, 3, 5), F32), ("matmul", (3,), F32, (2, 4, 5), F32),
    ("matmul", (2, 2, 3), F32, (4,), F32), ("matmul", (2, 2, 3), F32, (4, 5), F32),
    ("matmul", (2, 3), F32, (2, 4, 5), F32),
    ("matmul", (3,), F32, (3,), F64), ("matmul", (2, 3), F32, (3,), F64),
    ("matmul", (3,), F32, (3, 4), F64), ("matmul", (2, 3), F32, (3, 4), F64),
    ("matmul", (2, 3), F64, (3, 4), F32), ("matmul", (2, 2, 3), F32, (2, 3, 4), F64),
    ("matmul", (2, 2, 3), F64, (2, 3, 4), F32), ("matmul", (2, 2, 3), F32, (3,), F64),
    ("matmul", (2, 2, 3), F32, (3, 4), F64), ("matmul", (3,), F32, (2, 3, 4), F64),
    ("matmul", (2, 3), I64, (3, 4), F32), ("matmul", (3,), I64, (3,), F32),
    ("matmul", (3,), BOOL, (3,), BOOL), ("matmul", (2, 3), BOOL, (3,), BOOL),
    ("matmul", (2, 3), BOOL, (3, 4), BOOL), ("matmul", (2, 2, 3), BOOL, (2, 3, 4), BOOL),
    ("mm", (2, 3), F32, (4, 5), F32), ("mm", (3,), F32, (3, 4), F32), ("mm", (2, 3), F32, (3,), F32),
    ("mm", (2, 2, 3), F32, (3, 4), F32), ("mm", (2, 3), F32, (3, 4), F64),
    ("mm", (2, 3), I64, (3, 4), F32), ("mm", (2, 3), BOOL, (3, 4), BOOL),
    ("mm", (2, 3), F32, (4, 5), F64),
    ("bmm", (2, 3), F32, (2, 3, 4), F32), ("bmm", (2, 2, 3), F32, (3, 4), F32),
    ("bmm", (2, 2, 3), F32, (3, 3, 4), F32), ("bmm", (2, 2, 3), F32, (2, 4, 4), F32),
    ("bmm", (2, 2, 3), F32, (2, 3, 4), F64), ("bmm", (2, 2, 3), F64, (2, 3, 4), F32),
    ("bmm", (1, 2, 3), BOOL, (1, 3, 3), BOOL),
    ("mv", (3,), F32, (3,), F32), ("mv", (2, 3), F32, (3, 1), F32), ("mv", (2, 3), F32, (4,), F32),
    ("mv", (2, 3), F32, (3,), F64), ("mv", (2, 3), F64, (3,), F32), ("mv", (2, 3), BOOL, (3,), BOOL),
    ("dot", (2, 3), F32, (2, 3), F32), ("dot", (), F32, (), F32), ("dot", (2,), F32, (3,), F32),
    ("dot", (3,), F32, (3,), F64), ("dot", (2,), F32, (3,), F64), ("dot", (3,), BOOL, (3,), BOOL),
    ("dot", (2,), BOOL, (3,), BOOL),
    ("outer", (2, 3), F32, (3,), F32), ("outer", (), F32, (3,), F32), ("outer", (3,), F32, (3, 1), F32),
]


@pytest.mark.parametrize("op, a_shape, a_dtype, b_shape, b_dtype", ERROR_CASES)
def test_errors(backend: str, op: str, a_shape: tuple, a_dtype: str, b_shape: tuple,
                b_dtype: str) -> None:
    expect_torch_error(lambda lib: getattr(lib, op)(_zeros(lib, *a_shape, dtype=a_dtype),
                                                    _zeros(lib, *b_shape, dtype=b_dtype)))


# (shape of input, dtype of input, shape of mat1, shape of mat2, dtype of mat2); mat1 is float32
ADDMM_ERRORS = [
    ((3,), F32, (2, 3), (3, 4), F32), ((2, 4), F32, (2, 3), (2, 4), F32),
    ((2, 4), F32, (3,), (3, 4), F32), ((2, 4), F32, (2, 3), (3,), F32),
    ((2, 4), F32, (2, 3), (2, 3, 4), F32), ((2, 4), F64, (2, 3), (3, 4), F32),
    ((2, 4), F32, (2, 3), (3, 4), F64), ((2, 4), F64, (2, 3), (3, 4), F64),
    ((2, 4), I64, (2, 3), (3, 4), F32), ((3,), F32, (2, 3), (2, 4), F32),
]


@pytest.mark.parametrize("c_shape, c_dtype, a_shape, b_shape, b_dtype", ADDMM_ERRORS)
def test_addmm_errors(backend: str, c_shape: tuple, c_dtype: str, a_shape: tuple, b_shape: tuple,
                      b_dtype: str) -> None:
    expect_torch_error(lambda lib: lib.addmm(_zeros(lib, *c_shape, dtype=c_dtype),
                                             _zeros(lib, *a_shape), _zeros(lib, *b_shape, dtype=b_dtype)))


def test_addmm_input_with_more_dims(backend: str) -> None:
    """An input that cannot expand to the product's shape (torch prints its type in the message)."""
    expect_torch_error(lambda lib: lib.addmm(lib.zeros(1, 2, 4), lib.zeros(2, 3), lib.zeros(3, 4)),
                       same_message=False)


@pytest.mark.parametrize("op, argument", [("matmul", "input"), ("matmul", "other"), ("mm", "mat2"),
                                          ("bmm", "mat2"), ("mv", "vec"), ("dot", "tensor"),
                                          ("outer", "vec2")])
def test_number_operand_is_refused(backend: str, op: str, argument: str) -> None:
    """A Python number where a tensor is needed: TypeError naming the argument."""
    def case(lib: Any) -> Any:
        t = lib.zeros(3)
        return getattr(lib, op)(2, t) if argument == "input" else getattr(lib, op)(t, 2)
    theirs, mine = raised(case, torch), raised(case, minigrad)
    assert type(mine) is type(theirs) is TypeError
    assert f"argument '{argument}'" in str(mine) and f"argument '{argument}'" in str(theirs)


def test_matmul_operator_with_number(backend: str) -> None:
    """``t @ 2`` and ``2 @ t`` are TypeErrors in both libraries."""
    for case in (lambda lib: lib.zeros(2, 3) @ 2, lambda lib: 2 @ lib.zeros(2, 3)):
        theirs, mine = raised(case, torch), raised(case, minigrad)
        assert type(mine) is type(theirs) is TypeError


@given(data=st.data(), dtype=float_dtypes)
def test_drawn_mismatched_shapes(backend: str, data: st.DataObject, dtype: type) -> None:
    """Inner dimensions that differ fail in every rank combination, with torch's class and message.

    For a vector times a batch, torch folds the batch into one matrix, or not, depending on its
    strides and on requires_grad, and the message follows that choice: only the class is compared.
    """
    left, right = data.draw(st.sampled_from(MATMUL_CASES).map(lambda c: c.split("@")))
    n, k, m = data.draw(sides), data.draw(sides), data.draw(sides)
    k2 = data.draw(sides.filter(lambda v: v != k))
    batch = data.draw(st.sampled_from([(), (2,), (1, 3)]))
    a = {"1d": (k,), "2d": (n, k), "nd": batch + (2, n, k)}[left]
    b = {"1d": (k2,), "2d": (k2, m), "nd": (2, k2, m)}[right]
    name = np.dtype(dtype).name
    expect_torch_error(lambda lib: lib.matmul(_zeros(lib, *a, dtype=name), _zeros(lib, *b, dtype=name)),
                       same_message=(left, right) != ("1d", "nd"))
