"""Bad input against torch: minigrad raises the exception class torch raises, naming the problem.

Each case is a callable ``case(lib)`` run once with ``lib = torch`` and once with ``lib = minigrad``
(the two share their API). ``expect_same_error`` checks that both raise, that the classes agree, and
that both messages mention what is wrong: the offending shapes, dtypes, dim, index or argument.
A mention is matched case-insensitively; see ``shape``, ``any_of`` and ``dtype``. Checking the
mentions in torch's message too keeps the test honest; ``mine_only`` marks the few values that
torch's message leaves out but minigrad's should name. Mixing backends in one op is not tested here:
it needs two backends in one process.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import numpy as np
import pytest
import torch

import minigrad
from .helpers import builtin_class, raised, unwrap_device_assert


def shape(*sizes: int) -> re.Pattern:
    """A shape as either library may print it: ``2x3``, ``[2, 3]``, ``(2, 3)`` or ``2, 3``."""
    sep = r"\s*(?:x|,)\s*"
    body = sep.join(str(n) for n in sizes)
    return re.compile(rf"(?<![\d.-]){body}(?![\d.])")


def any_of(*words: str) -> re.Pattern:
    """One of several spellings (``Long`` in torch's message, ``int64`` in minigrad's)."""
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


_DTYPE_SPELLINGS = {"float32": ("float",), "float64": ("float64", "double"),
                    "int64": ("int64", "long"), "bool": ("bool",)}


def dtype(name: str) -> re.Pattern:
    """A dtype by any of its names (torch writes ``Long``/``Double``, minigrad ``int64``...)."""
    return any_of(*_DTYPE_SPELLINGS[name])


def number(n: int) -> re.Pattern:
    """An integer standing alone, not a digit of a longer number."""
    return re.compile(rf"(?<![\d.]){n}(?![\d.])")


class mine_only:
    """A mention that minigrad's message must contain although torch's does not."""

    def __init__(self, mention: str | re.Pattern) -> None:
        self.mention = mention


def _mentions_all(message: str, mentions: Sequence[Any]) -> list[Any]:
    """The mentions that ``message`` lacks."""
    missing = []
    for mention in mentions:
        if isinstance(mention, re.Pattern):
            if not mention.search(message):
                missing.append(mention.pattern)
        elif mention.lower() not in message.lower():
            missing.append(mention)
    return missing


def expect_same_error(case: Callable[[Any], Any], mentions: Sequence[Any]) -> None:
    """``case(torch)`` and ``case(minigrad)`` raise the same class and both name ``mentions``."""
    theirs = raised(case, torch)
    missing = _mentions_all(str(theirs), [m for m in mentions if not isinstance(m, mine_only)])
    assert not missing, f"test defect: torch's message lacks {missing}: {theirs!r}"
    mine = unwrap_device_assert(raised(case, minigrad), theirs)
    expected = builtin_class(theirs)
    assert builtin_class(mine) is expected, (
        f"minigrad raised {type(mine).__name__}({mine}); torch raises {type(theirs).__name__}({theirs})")
    missing = _mentions_all(str(mine), [m.mention if isinstance(m, mine_only) else m for m in mentions])
    assert not missing, f"minigrad's message lacks {missing}: {mine!r} (torch: {theirs!r})"


# Cases that need several statements.

def _leaf(lib: Any, *size: int) -> Any:
    return lib.ones(*size, requires_grad=True)


def _second_backward(lib: Any) -> None:
    x = _leaf(lib, 3)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _saved_tensor_modified(lib: Any) -> None:
    x = _leaf(lib, 3)
    y = x * 2
    z = (y * y).sum()
    y.add_(1)
    z.backward()


def _grad_of_unused(lib: Any) -> None:
    x, unused = _leaf(lib, 3), _leaf(lib, 3)
    lib.autograd.grad((x * 2).sum(), [unused])


def _grad_of_constant(lib: Any) -> None:
    x = _leaf(lib, 3)
    lib.autograd.grad((x * 2).sum(), [lib.ones(3)])


def _setitem_shapes(lib: Any) -> None:
    x = lib.zeros(4)
    x[0:2] = lib.ones(3)


def _bool_mask(lib: Any) -> Any:
    return lib.tensor([True, False, True, False])


# name: (case, mentions)
CASES: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
    # shapes that do not broadcast or do not multiply
    "add_shapes": (lambda lib: lib.ones(2, 7) + lib.ones(5), [number(7), number(5)]),
    "mul_shapes": (lambda lib: lib.ones(3, 1, 7) * lib.ones(2, 5), [number(7), number(5)]),
    "sub_shapes_function": (lambda lib: lib.sub(lib.ones(6), lib.ones(4)), [number(6), number(4)]),
    "matmul_shapes": (lambda lib: lib.ones(2, 3) @ lib.ones(4, 5), [shape(2, 3), shape(4, 5)]),
    "matmul_vector_shapes": (lambda lib: lib.matmul(lib.ones(2, 3), lib.ones(4)), [number(3), number(4)]),
    "matmul_vectors": (lambda lib: lib.ones(3) @ lib.ones(4), [number(3), number(4)]),
    "matmul_0d": (lambda lib: lib.matmul(lib.tensor(1.0), lib.ones(3)), ["0D", "1D"]),
    "matmul_dtypes": (lambda lib: lib.ones(2, 3) @ lib.ones(3, 2, dtype=lib.float64),
                      [dtype("float32"), dtype("float64")]),
    "mm_shapes": (lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 5)), [shape(2, 3), shape(4, 5)]),
    "mm_not_matrix": (lambda lib: lib.mm(lib.ones(2, 3, 4), lib.ones(4, 5)), ["matrix"]),
    "bmm_inner_shapes": (lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(2, 5, 6)), [shape(2, 4), shape(2, 5)]),
    "bmm_batch_shapes": (lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(3, 4, 5)), [shape(2, 4), shape(3, 4)]),
    "bmm_not_3d": (lambda lib: lib.bmm(lib.ones(3, 4), lib.ones(4, 5)), ["3D"]),
    "dot_shapes": (lambda lib: lib.dot(lib.ones(3), lib.ones(4)), [number(3), number(4)]),
    "dot_not_1d": (lambda lib: lib.dot(lib.ones(2, 3), lib.ones(2, 3)), ["1D", "2D"]),
    "cat_shapes": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]), [number(3), number(4)]),
    "cat_ndims": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3)]), [number(2), number(1)]),
    "stack_shapes": (lambda lib: lib.stack([lib.ones(2, 3), lib.ones(3, 2)]), [shape(2, 3), shape(3, 2)]),
    "where_shapes": (lambda lib: lib.where(lib.ones(2, 3, dtype=lib.bool), lib.ones(2, 3), lib.ones(4)),
                     [number(3), number(4)]),
    "masked_fill_shapes": (lambda lib: lib.ones(2, 3).masked_fill(_bool_mask(lib), 0.0), [number(3), number(4)]),
    "inplace_broadcast_shapes": (lambda lib: lib.ones(3).add_(lib.ones(2, 3)), [shape(3), shape(2, 3)]),
    "setitem_shapes": (_setitem_shapes, [number(2), number(3)]),
    # reshape, view, expand
    "reshape_size": (lambda lib: lib.ones(2, 3).reshape(4, 2), [shape(4, 2), number(6)]),
    "view_size": (lambda lib: lib.ones(2, 3).view(5), [shape(5), number(6)]),
    "view_of_transposed": (lambda lib: lib.ones(2, 3).t().view(6), ["view", "reshape"]),
    "reshape_two_minus_one": (lambda lib: lib.ones(2, 3).reshape(-1, -1), ["one dimension", "inferred"]),
    "expand_size": (lambda lib: lib.ones(2, 3).expand(2, 4), [number(4), number(3), shape(2, 4), shape(2, 3)]),
    "expand_fewer_dims": (lambda lib: lib.ones(2, 3).expand(3), ["number of sizes", number(1), number(2)]),
    "permute_count": (lambda lib: lib.ones(2, 3).permute(0), [number(2), number(1)]),
    "permute_duplicate": (lambda lib: lib.ones(2, 3).permute(0, 0), ["duplicate"]),
    "flatten_dims_order": (lambda lib: lib.ones(2, 3).flatten(1, 0), ["start_dim", "end_dim"]),
    "t_of_3d": (lambda lib: lib.ones(2, 3, 4).t(), ["3D"]),
    # dims out of range
    "sum_dim": (lambda lib: lib.ones(2, 3).sum(dim=2), ["[-2, 1]", number(2)]),
    "sum_repeated_dim": (lambda lib: lib.ones(2, 3).sum(dim=(0, 0)), ["dim 0", "multiple times"]),
    "amax_of_empty": (lambda lib: lib.ones(0).amax(), ["amax", "dim"]),
    "max_dim": (lambda lib: lib.ones(2, 3).max(dim=3), ["[-2, 1]", number(3)]),
    "mean_dim": (lambda lib: lib.ones(2, 3).mean(dim=-3), ["[-2, 1]", "-3"]),
    "softmax_dim": (lambda lib: lib.softmax(lib.ones(2, 3), dim=-3), ["[-2, 1]", "-3"]),
    "log_softmax_dim": (lambda lib: lib.log_softmax(lib.ones(2, 3), dim=2), ["[-2, 1]", number(2)]),
    "transpose_dim": (lambda lib: lib.ones(2, 3).transpose(0, 5), ["[-2, 1]", number(5)]),
    "unsqueeze_dim": (lambda lib: lib.ones(2, 3).unsqueeze(4), ["[-3, 2]", number(4)]),
    "squeeze_dim": (lambda lib: lib.ones(2, 3).squeeze(3), ["[-2, 1]", number(3)]),
    "cat_dim": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 3)], dim=2), ["[-2, 1]", number(2)]),
    "stack_dim": (lambda lib: lib.stack([lib.ones(2, 3), lib.ones(2, 3)], dim=4), ["[-3, 2]", number(4)]),
    # indices out of range
    "getitem_int": (lambda lib: lib.ones(2, 3)[5], [number(5), "dimension 0", "size 2"]),
    "getitem_second_dim": (lambda lib: lib.ones(2, 3)[0, -4], ["-4", "dimension 1", "size 3"]),
    "getitem_too_many": (lambda lib: lib.ones(2, 3)[0, 0, 0], ["too many indices", number(2)]),
    "getitem_float_index": (lambda lib: lib.ones(3)[lib.tensor([0.5])], ["long", "bool"]),
    "getitem_mask_shape": (lambda lib: lib.ones(3)[lib.tensor([True, False])], [shape(2), shape(3)]),
    "negative_slice_step": (lambda lib: lib.ones(4)[::-1], ["step", "greater than zero"]),
    "index_select_range": (lambda lib: lib.index_select(lib.ones(2, 3), 1, lib.tensor([0, 3])), [number(3)]),
    "gather_range": (lambda lib: lib.gather(lib.ones(2, 3), 1, lib.tensor([[0, 3]])), [number(3), "dimension 1"]),
    "gather_ndims": (lambda lib: lib.gather(lib.ones(2, 3), 1, lib.tensor([0, 1])), ["same number of dimensions"]),
    "gather_float_index": (lambda lib: lib.gather(lib.ones(2, 3), 1, lib.tensor([[0.0]])), [dtype("int64")]),
    # creation and dtypes
    "int_requires_grad_tensor": (lambda lib: lib.tensor([1, 2], requires_grad=True), ["floating point"]),
    "int_requires_grad_": (lambda lib: lib.tensor([1, 2]).requires_grad_(), ["floating point"]),
    "ragged_lists": (lambda lib: lib.tensor([[1, 2], [3]]), ["length 2", "dim 1", "got 1"]),
    "ragged_depth": (lambda lib: lib.tensor([[1.0, 2.0], 3.0]), ["sequence", mine_only("dim 1")]),
    "ragged_list_in_numbers": (lambda lib: lib.tensor([1.0, [2.0]]), ["number", mine_only("dim 1")]),
    "ragged_deep": (lambda lib: lib.tensor([[[1], [2]], [[3], [4, 5]]]), ["length 1", "dim 2", "got 2"]),
    "dtype_not_supported": (lambda lib: lib.zeros(2, dtype="int32"), ["dtype"]),
    "tensor_int_overflow": (lambda lib: lib.tensor([2**70]), ["overflow"]),
    "tensor_of_object": (lambda lib: lib.tensor(object()), ["object"]),
    "unsupported_numpy_dtype": (lambda lib: lib.tensor(np.array(["a", "b"])), ["str"]),
    "tensor_of_string": (lambda lib: lib.tensor("abc"), ["str"]),
    "zeros_negative": (lambda lib: lib.zeros(2, -3), ["negative", mine_only("-3")]),
    "zeros_without_size": (lambda lib: lib.zeros(), ["size"]),
    "ones_float_size": (lambda lib: lib.ones(2.5), ["float"]),
    "eye_negative": (lambda lib: lib.eye(-2), ["-2"]),
    "eye_negative_columns": (lambda lib: lib.eye(2, -1), ["-1"]),
    "arange_infinite": (lambda lib: lib.arange(0, float("inf")), ["inf"]),
    "arange_step_zero": (lambda lib: lib.arange(0, 5, 0), ["step", "nonzero"]),
    "arange_step_sign": (lambda lib: lib.arange(0, 5, -1), ["step sign"]),
    "randint_bounds": (lambda lib: lib.randint(7, 3, (2,)), [number(7), number(3)]),
    "rand_int_dtype": (lambda lib: lib.rand(2, dtype=lib.int64), [dtype("int64")]),
    # autograd
    "backward_non_scalar": (lambda lib: (_leaf(lib, 3) * 2).backward(), ["scalar outputs"]),
    "backward_no_grad": (lambda lib: lib.ones(3).sum().backward(), ["does not require grad"]),
    "backward_gradient_shape": (lambda lib: (_leaf(lib, 3) * 2).backward(lib.ones(4)), [shape(4), shape(3)]),
    "second_backward": (_second_backward, ["second time", "retain_graph=True"]),
    "inplace_on_leaf": (lambda lib: _leaf(lib, 3).add_(1), ["leaf", "in-place"]),
    "inplace_on_view_of_leaf": (lambda lib: _leaf(lib, 2, 3).view(6).mul_(2), ["view", "leaf", "in-place"]),
    "saved_tensor_modified": (_saved_tensor_modified, ["modified by an inplace operation", "version 1",
                                                       "version 0"]),
    "requires_grad_of_non_leaf": (lambda lib: (_leaf(lib, 3) * 2).requires_grad_(False), ["leaf"]),
    "grad_of_unused_input": (_grad_of_unused, ["not have been used", "allow_unused"]),
    "grad_of_constant_input": (_grad_of_constant, ["does not require grad"]),
    # leaving the tensor world
    "numpy_requires_grad": (lambda lib: _leaf(lib, 3).numpy(), ["requires grad", "detach()"]),
    "item_many": (lambda lib: lib.ones(2, 3).item(), [number(6), "scalar"]),
    "bool_many": (lambda lib: bool(lib.ones(3)), ["ambiguous"]),
    # arguments of the wrong kind
    "where_condition_dtype": (lambda lib: lib.where(lib.ones(3), lib.ones(3), lib.zeros(3)),
                              ["bool", dtype("float32")]),
    "masked_fill_mask_dtype": (lambda lib: lib.ones(3).masked_fill(lib.ones(3), 0.0), ["bool", dtype("float32")]),
    "clamp_no_bounds": (lambda lib: lib.clamp(lib.ones(3)), ["min", "max"]),
    "div_rounding_mode": (lambda lib: lib.div(lib.ones(3), 2, rounding_mode="round"),
                          ["rounding_mode", "'round'"]),
    "inplace_float_into_int": (lambda lib: lib.tensor([1, 2]).add_(1.5), [dtype("float32"), dtype("int64")]),
    "mean_of_int": (lambda lib: lib.tensor([1, 2]).mean(), [dtype("int64"), "floating point"]),
    "bool_subtraction": (lambda lib: lib.tensor([True]) - lib.tensor([True]), ["subtract", "bool"]),
    "bool_negation": (lambda lib: -lib.tensor([True]), ["negat", "bool"]),
    "add_string": (lambda lib: lib.ones(3) + "a", ["str"]),
    "add_function_string": (lambda lib: lib.add(lib.ones(3), "a"), ["other", "str"]),
    "exp_of_list": (lambda lib: lib.exp([1.0, 2.0]), ["input", "list"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(backend: str, name: str) -> None:
    if name == "numpy_requires_grad" and backend == "cuda":
        pytest.skip("torch refuses a GPU tensor's .numpy() first (TypeError), whether it requires "
                    "grad or not: test_kernels_cuda_backend.py checks that")
    case, mentions = CASES[name]
    expect_same_error(case, mentions)


def test_cases_are_many() -> None:
    """The brief asks for at least 40 distinct bad inputs."""
    assert len(CASES) >= 40
