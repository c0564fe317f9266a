"""nn.Module, containers, Linear/Bilinear/Embedding/Flatten and nn.utils against torch.

Models are built in both libraries with the same architecture; torch's weights are copied into
minigrad through ``load_state_dict`` (NumPy arrays), then outputs, input and parameter gradients,
state-dict keys, reprs and errors are compared. Initialisations: ``test_init.py``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad

from .helpers import assert_close, check_op
from .strategies import arrays, float_dtypes, seeds, shapes

LIBS = {"minigrad": minigrad, "torch": torch}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
MG_DTYPE = {np.float32: minigrad.float32, np.float64: minigrad.float64}


def _net(lib: Any, n_in: int, hidden: int, n_out: int, bias: bool) -> Any:
    """The same architecture in either library: nested modules, containers, buffers, a mode."""
    nn = lib.nn

    class Double(nn.Module):
        """Doubles its input in training mode only (so train/eval must reach every submodule)."""

        def forward(self, x: Any) -> Any:
            return x * 2.0 if self.training else x

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(n_in, hidden, bias=bias), Double())
            self.blocks = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(2)])
            self.heads = nn.ModuleDict({"out": nn.Linear(hidden, n_out, bias=bias)})
            self.register_buffer("shift", lib.ones(n_out) * 0.5)
            self.register_buffer("scratch", lib.zeros(1), persistent=False)

        def forward(self, x: Any) -> Any:
            h = self.body(x)
            for block in self.blocks:
                h = block(h).relu()
            return self.heads["out"](h) + self.shift

    return Net()


def _copy_torch_into_minigrad(theirs: torch.nn.Module, mine: minigrad.nn.Module) -> None:
    result = mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []


def _to_torch_state(state: dict) -> dict:
    return {k: torch.from_numpy(np.array(v.numpy())) for k, v in state.items()}


# model outputs and gradients


@given(n_in=st.integers(1, 5), hidden=st.integers(1, 5), n_out=st.integers(1, 4),
       batch=st.integers(0, 4), bias=st.booleans(), training=st.booleans(), dtype=float_dtypes,
       seed=seeds)
def test_model_matches_torch(backend: str, n_in: int, hidden: int, n_out: int, batch: int,
                             bias: bool, training: bool, dtype: type, seed: int) -> None:
    """Same weights: same outputs, input gradients and parameter gradients, in train and eval."""
    torch.manual_seed(seed % 2**31)
    theirs = _net(torch, n_in, hidden, n_out, bias).to(TORCH_DTYPE[dtype])
    mine = _net(minigrad, n_in, hidden, n_out, bias).to(MG_DTYPE[dtype])
    _copy_torch_into_minigrad(theirs, mine)
    theirs.train(training)
    mine.train(training)
    assert [m.training for m in mine.modules()] == [m.training for m in theirs.modules()]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in)).astype(dtype)
    check_op(mine, theirs, [x], seed=seed, family="reduction", n=hidden + n_in,
             double_backward=False)
    x_m, x_t = minigrad.tensor(x), torch.from_numpy(x)
    up = rng.standard_normal((batch, n_out)).astype(dtype)
    mine(x_m).backward(minigrad.tensor(up))
    theirs(x_t).backward(torch.from_numpy(up))
    grads_t = {k: p.grad for k, p in theirs.named_parameters()}
    grads_m = {k: p.grad for k, p in mine.named_parameters()}
    assert list(grads_m) == list(grads_t)
    for name, g in grads_t.items():
        assert_close(grads_m[name], g, "reduction", max(batch, 1) * hidden, what=f"grad of {name}")


@given(n_in=st.integers(1, 5), n_out=st.integers(1, 5), lead=shapes(0, 2, 0, 3), bias=st.booleans(),
       dtype=float_dtypes, seed=seeds)
def test_linear_any_batch_shape(backend: str, n_in: int, n_out: int, lead: tuple, bias: bool,
                                dtype: type, seed: int) -> None:
    """Linear on (*, in): forward, input gradient, weight and bias gradients, double backward."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + (n_in,)).astype(dtype)
    w = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)

    def through(lib: Any) -> Callable:
        def apply(x: Any, w: Any, b: Any) -> Any:
            layer = lib.nn.Linear(n_in, n_out, bias=bias, dtype=x.dtype)
            del layer.weight
            layer.weight = w
            if bias:
                del layer.bias
                layer.bias = b
            return layer(x)
        return apply

    check_op(through(minigrad), through(torch), [x, w, b], seed=seed, family="reduction",
             n=n_in, grad_n=max(math.prod(lead), n_in, n_out))


def test_linear_wrong_width(backend: str) -> None:
    """torch's RuntimeError naming both shapes."""
    x_m, x_t = minigrad.ones(2, 3), torch.ones(2, 3)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Linear(4, 5)(x_t)
    with pytest.raises(RuntimeError) as mine:
        minigrad.nn.Linear(4, 5)(x_m)
    assert str(mine.value) == str(theirs.value) == (
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")


# state dicts and walking the tree


def _architectures(lib: Any) -> dict[str, Any]:
    nn = lib.nn
    shared = nn.Linear(2, 2)
    tied = nn.Sequential(shared, nn.Identity(), shared)
    with_buffers = nn.Module()
    with_buffers.register_buffer("running", lib.zeros(3))
    with_buffers.register_buffer("count", lib.tensor(0))
    with_buffers.register_buffer("hidden", lib.ones(2), persistent=False)
    with_buffers.fc = nn.Linear(3, 1, bias=False)
    return {
        "sequential": nn.Sequential(nn.Linear(784, 16), nn.Flatten(), nn.Linear(16, 10)),
        "ordered": nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)), ("out", nn.Linear(4, 1))])),
        "nested": _net(lib, 3, 4, 2, True),
        "tied": tied,
        "buffers": with_buffers,
        "embedding": nn.Sequential(nn.Embedding(7, 3, padding_idx=2), nn.Unflatten(1, (1, -1))),
        "bilinear": nn.ModuleList([nn.Bilinear(2, 3, 4), nn.Bilinear(2, 3, 4, bias=False)]),
    }


@pytest.mark.parametrize("name", sorted(_architectures(torch)))
def test_state_dict_and_names_match_torch(backend: str, name: str) -> None:
    """Same keys in the same order, same shapes and dtypes; same names when walking the tree."""
    mine, theirs = _architectures(minigrad)[name], _architectures(torch)[name]
    sd_m, sd_t = mine.state_dict(), theirs.state_dict()
    assert list(sd_m) == list(sd_t)
    for key in sd_t:
        assert tuple(sd_m[key].shape) == tuple(sd_t[key].shape), key
        assert sd_m[key].dtype.name == str(sd_t[key].dtype).replace("torch.", ""), key
        assert not sd_m[key].requires_grad and sd_m[key].grad_fn is None
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(mine, method)()] == [n for n, _ in getattr(theirs, method)()]
    assert [n for n, _ in mine.named_parameters(recurse=False)] == \
        [n for n, _ in theirs.named_parameters(recurse=False)]
    assert [n for n, _ in mine.named_parameters(prefix="model")] == \
        [n for n, _ in theirs.named_parameters(prefix="model")]
    assert len(list(mine.parameters())) == len(list(theirs.parameters()))
    assert len(list(mine.buffers())) == len(list(theirs.buffers()))
    assert len(list(mine.children())) == len(list(theirs.children()))
    assert len(list(mine.modules())) == len(list(theirs.modules()))


@pytest.mark.parametrize("name", sorted(_architectures(torch)))
def test_repr_matches_torch(backend: str, name: str) -> None:
    assert repr(_architectures(minigrad)[name]) == repr(_architectures(torch)[name])


def test_parameter_repr_and_sharing(backend: str) -> None:
    data = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    p = minigrad.nn.Parameter(data)
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    assert p.is_leaf and p.requires_grad and isinstance(p, minigrad.Tensor)
    data[0, 0] = 9.0
    assert p[0, 0].item() == 9.0, "a Parameter shares the memory of the tensor it wraps"
    assert not minigrad.nn.Parameter(data, requires_grad=False).requires_grad
    assert repr(minigrad.nn.Parameter()) == repr(torch.nn.Parameter())


@given(seed=seeds, dtype=float_dtypes)
def test_state_dict_both_ways(backend: str, seed: int, dtype: type) -> None:
    """A minigrad state dict loaded into torch, and torch's into minigrad, give equal outputs."""
    minigrad.manual_seed(seed)
    torch.manual_seed(seed % 2**31)
    mine = _net(minigrad, 4, 5, 3, True).to(MG_DTYPE[dtype])
    theirs = _net(torch, 4, 5, 3, True).to(TORCH_DTYPE[dtype])
    x = np.random.default_rng(seed).standard_normal((3, 4)).astype(dtype)
    theirs.load_state_dict(_to_torch_state(mine.state_dict()))
    assert_close(mine(minigrad.tensor(x)), theirs(torch.from_numpy(x)), "reduction", 5)
    fresh = _net(torch, 4, 5, 3, True).to(TORCH_DTYPE[dtype])
    mine.load_state_dict(fresh.state_dict())  # torch tensors are accepted too
    assert_close(mine(minigrad.tensor(x)), fresh(torch.from_numpy(x)), "reduction", 5)
    for key, value in fresh.state_dict().items():
        assert_close(mine.state_dict()[key], value, "exact", what=key)


def _load_error(lib: Any, state: dict, strict: bool = True) -> Any:
    model = _architectures(lib)["ordered"]
    convert = torch.from_numpy if lib is torch else minigrad.tensor
    state = {k: convert(np.zeros(shape, np.float32)) for k, shape in state.items()}
    return model.load_state_dict(state, strict=strict)


GOOD = {"fc.weight": (4, 3), "fc.bias": (4,), "out.weight": (1, 4), "out.bias": (1,)}
BAD_STATES = {
    "missing": ({k: v for k, v in GOOD.items() if k != "fc.bias"}, ["fc.bias"]),
    "unexpected": ({**GOOD, "fc.extra": (2,), "head.weight": (1,)}, ["fc.extra", "head.weight"]),
    "both": ({**{k: v for k, v in GOOD.items() if k != "out.weight"}, "out.wieght": (1, 4)},
             ["out.weight", "out.wieght"]),
    "shape": ({**GOOD, "out.weight": (4, 1)}, ["out.weight"]),
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_strict_load_errors(backend: str, case: str) -> None:
    """torch's RuntimeError, naming each offending key; strict=False returns the same keys."""
    state, keys = BAD_STATES[case]
    with pytest.raises(RuntimeError) as theirs:
        _load_error(torch, state)
    with pytest.raises(RuntimeError) as mine:
        _load_error(minigrad, state)
    for key in keys:
        assert key in str(theirs.value) and key in str(mine.value)
    first = lambda text: text.split("\n")[:2]
    if case != "shape":
        assert first(str(mine.value)) == first(str(theirs.value))
        assert tuple(_load_error(minigrad, state, strict=False)) == \
            tuple(_load_error(torch, state, strict=False))
    else:
        with pytest.raises(RuntimeError, match="size mismatch for out.weight"):
            _load_error(minigrad, state, strict=False)


def test_load_state_dict_refuses_non_mapping(backend: str) -> None:
    for lib in (torch, minigrad):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
            lib.nn.Linear(2, 2).load_state_dict([("weight", 1)])


def test_load_copies_in_place(backend: str) -> None:
    """The Parameter objects stay (an optimizer holding them sees the new values)."""
    layer = minigrad.nn.Linear(2, 3)
    weight = layer.weight
    value = np.arange(6, dtype=np.float64).reshape(3, 2)
    layer.load_state_dict({"weight": value, "bias": np.ones(3, np.float32)})
    assert layer.weight is weight and weight.dtype is minigrad.float32 and weight.requires_grad
    assert np.array_equal(weight.detach().cpu().numpy(), value.astype(np.float32))


# the rest of the Module API


def test_module_attribute_rules(backend: str) -> None:
    """Unknown names raise AttributeError; wrong assignments raise torch's TypeError/KeyError."""
    for lib in (torch, minigrad):
        layer = lib.nn.Linear(2, 2)
        with pytest.raises(AttributeError, match="'Linear' object has no attribute 'wieght'"):
            layer.wieght  # noqa: B018
        with pytest.raises(TypeError, match="as parameter 'weight'"):
            layer.weight = lib.ones(2, 2)
        with pytest.raises(KeyError, match="attribute 'weight' already exists"):
            layer.register_buffer("weight", lib.ones(2))
        with pytest.raises(KeyError):
            layer.register_parameter("a.b", None)
        with pytest.raises(TypeError, match="as child module"):
            seq = lib.nn.Sequential(lib.nn.Identity())
            setattr(seq, "0", 3)
        with pytest.raises(IndexError):
            lib.nn.Sequential(lib.nn.Identity())[1]
        with pytest.raises(NotImplementedError):
            lib.nn.Module()(1)
        layer.bias = None
        assert [n for n, _ in layer.named_parameters()] == ["weight"]
        layer.note = "plain attribute"
        assert layer.note == "plain attribute"


@given(dtype=float_dtypes)
def test_to_float_double_and_modes(backend: str, dtype: type) -> None:
    """to(dtype) casts floating parameters and buffers (not integer ones), keeping the objects."""
    for lib, dtypes in ((torch, TORCH_DTYPE), (minigrad, MG_DTYPE)):
        model = _architectures(lib)["buffers"]
        weight = model.fc.weight
        assert model.to(dtypes[dtype]) is model and model.fc.weight is weight
        assert model.fc.weight.dtype == dtypes[dtype] and model.running.dtype == dtypes[dtype]
        assert model.count.dtype == lib.int64
        assert model.double().fc.weight.dtype == lib.float64
        assert model.float().hidden.dtype == lib.float32
        with pytest.raises(TypeError, match="floating point"):
            model.to(lib.int64)
        assert model.eval() is model and not model.fc.training
        assert model.train().fc.training


def test_zero_grad_requires_grad_and_apply(backend: str) -> None:
    for lib in (torch, minigrad):
        model = _net(lib, 2, 3, 1, True)
        model(lib.ones(1, 2)).sum().backward()
        assert all(p.grad is not None for p in model.parameters())
        model.zero_grad(set_to_none=False)
        assert all(float(p.grad.abs().sum()) == 0.0 for p in model.parameters())
        model.zero_grad()
        assert all(p.grad is None for p in model.parameters())
        model.requires_grad_(False)
        assert not any(p.requires_grad for p in model.parameters())
        seen: list[str] = []
        assert model.apply(lambda m, seen=seen: seen.append(type(m).__name__)) is model
        assert seen[-1] == "Net" and seen.count("Linear") == 4


def test_forward_hooks(backend: str) -> None:
    layer = minigrad.nn.Identity()
    handle = layer.register_forward_hook(lambda module, args, out: out * 3)
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] + 1,))
    assert layer(minigrad.tensor(1.0)).item() == 6.0
    handle.remove()
    pre.remove()
    assert layer(minigrad.tensor(1.0)).item() == 1.0


def test_containers_behave_as_torch(backend: str) -> None:
    """Indexing, slicing, len, iteration, append/insert/delete keep torch's names."""
    def build(lib: Any) -> list:
        nn = lib.nn
        seq = nn.Sequential(nn.Linear(1, 2), nn.Identity(), nn.Linear(2, 3))
        seq.append(nn.Flatten())
        del seq[1]
        seq.insert(0, nn.Identity())
        lst = nn.ModuleList([nn.Linear(1, 1)])
        lst += [nn.Identity()]
        lst.insert(0, nn.Flatten())
        del lst[-1]
        dct = nn.ModuleDict({"a": nn.Identity()})
        dct.update([("b", nn.Linear(2, 2))])
        dct["c"] = nn.Flatten()
        dct.pop("a")
        return [repr(seq), repr(seq[1:]), repr(seq[-1]), len(seq), [type(m).__name__ for m in seq],
                repr(lst), len(lst), repr(lst[::-1]), repr(dct), list(dct.keys()), "b" in dct,
                list(seq.state_dict()), list(dct.state_dict())]
    assert build(minigrad) == build(torch)


# modules with their own maths


@given(num=st.integers(1, 6), dim=st.integers(1, 4), index_shape=shapes(0, 3, 0, 3),
       padding=st.one_of(st.none(), st.integers(-6, 5)), dtype=float_dtypes, seed=seeds)
def test_embedding(backend: str, num: int, dim: int, index_shape: tuple, padding: int | None,
                   dtype: type, seed: int) -> None:
    """Lookup values and weight gradient (none for the padding row) equal torch's."""
    if padding is not None and not -num <= padding < num:
        for lib in (torch, minigrad):
            with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
                lib.nn.Embedding(num, dim, padding_idx=padding)
        return
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((num, dim)).astype(dtype)
    index = rng.integers(0, num, index_shape)

    def run(lib: Any, w: Any) -> Any:
        layer = lib.nn.Embedding(num, dim, padding_idx=padding)
        del layer.weight
        layer.weight = w
        return layer(lib.tensor(index))

    check_op(lambda w: run(minigrad, w), lambda w: run(torch, w), [weight], seed=seed,
             family="exact", grad_family="reduction", grad_n=max(index.size, 1))
    mine = minigrad.nn.Embedding(num, dim, padding_idx=padding)
    theirs = torch.nn.Embedding(num, dim, padding_idx=padding)
    assert repr(mine) == repr(theirs)
    if padding is not None:
        assert not mine.weight[padding].detach().cpu().numpy().any()


def test_embedding_bad_input(backend: str) -> None:
    for lib in (torch, minigrad):
        layer = lib.nn.Embedding(3, 2)
        with pytest.raises(IndexError, match="index out of range"):
            layer(lib.tensor([0, 3]))
        with pytest.raises(RuntimeError, match="'indices'"):
            layer(lib.tensor([0.0]))
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        minigrad.nn.Embedding(3, 2, scale_grad_by_freq=True)


@given(max_norm=st.floats(0.1, 3.0), norm_type=st.sampled_from([1.0, 2.0, 3.0]), seed=seeds)
def test_embedding_max_norm(backend: str, max_norm: float, norm_type: float, seed: int) -> None:
    """The rows looked up are renormalised in place, as torch does; the others stay."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((5, 3)).astype(np.float32)
    index = rng.integers(0, 5, (2, 3))
    mine = minigrad.nn.Embedding(5, 3, max_norm=max_norm, norm_type=norm_type)
    theirs = torch.nn.Embedding(5, 3, max_norm=max_norm, norm_type=norm_type)
    mine.load_state_dict({"weight": weight})
    theirs.load_state_dict({"weight": torch.from_numpy(weight)})
    assert_close(mine(minigrad.tensor(index)), theirs(torch.from_numpy(index)), "reduction", 3)
    assert_close(mine.weight, theirs.weight, "reduction", 3)
    assert repr(mine) == repr(theirs)


@given(n1=st.integers(1, 4), n2=st.integers(1, 4), n_out=st.integers(1, 3),
       lead=shapes(1, 2, 0, 3), bias=st.booleans(), seed=seeds)
def test_bilinear(backend: str, n1: int, n2: int, n_out: int, lead: tuple, bias: bool,
                  seed: int) -> None:
    """y = x₁ᵀ A x₂ + b: values and gradients of both inputs, A and b (float64)."""
    rng = np.random.default_rng(seed)
    arrays_ = [rng.standard_normal(s) for s in (lead + (n1,), lead + (n2,), (n_out, n1, n2), (n_out,))]

    def run(lib: Any) -> Callable:
        def apply(x1: Any, x2: Any, a: Any, b: Any) -> Any:
            layer = lib.nn.Bilinear(n1, n2, n_out, bias=bias, dtype=lib.float64)
            del layer.weight
            layer.weight = a
            if bias:
                del layer.bias
                layer.bias = b
            return layer(x1, x2)
        return apply

    check_op(run(minigrad), run(torch), arrays_, seed=seed, family="reduction", n=n1 * n2,
             grad_n=max(math.prod(lead), n1 * n2))


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_flatten_unflatten(backend: str, data: st.DataObject, dtype: type, seed: int) -> None:
    x = data.draw(arrays(dtype, shapes(1, 4, 0, 4)))
    start = data.draw(st.integers(-x.ndim, x.ndim - 1))
    end = data.draw(st.integers(-x.ndim, x.ndim - 1))
    if start % x.ndim > end % x.ndim:
        for lib in (torch, minigrad):
            with pytest.raises(RuntimeError):
                lib.nn.Flatten(start, end)(lib.tensor(x))
        return
    check_op(minigrad.nn.Flatten(start, end), torch.nn.Flatten(start, end), [x], seed=seed,
             family="exact")
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    size = x.shape[dim]
    sizes = data.draw(st.sampled_from([(size,), (1, size), (size, 1), (-1,), (1, -1), (2, -1),
                                       (size + 1,)]))
    try:
        torch.nn.Unflatten(dim, sizes)(torch.from_numpy(x))
    except RuntimeError:
        with pytest.raises(RuntimeError, match="unflatten"):
            minigrad.nn.Unflatten(dim, sizes)(minigrad.tensor(x))
        return
    check_op(minigrad.nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), [x], seed=seed,
             family="exact")
    assert repr(minigrad.nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


# nn.utils: gradient clipping and parameter vectors


def _grad_pairs(grads: list[np.ndarray]) -> tuple[list, list]:
    mine, theirs = [], []
    for g in grads:
        p_m = minigrad.nn.Parameter(minigrad.zeros(g.shape, dtype=MG_DTYPE[g.dtype.type]))
        p_t = torch.nn.Parameter(torch.zeros(g.shape, dtype=TORCH_DTYPE[g.dtype.type]))
        p_m.grad, p_t.grad = minigrad.tensor(g), torch.from_numpy(g.copy())
        mine.append(p_m)
        theirs.append(p_t)
    return mine, theirs


gradient_lists = float_dtypes.flatmap(
    lambda dtype: st.lists(arrays(dtype, shapes(0, 3, 0, 4), -5, 5, [0.0]), min_size=1, max_size=3))


@given(grads=gradient_lists, max_norm=st.floats(0.01, 20.0),
       norm_type=st.sampled_from([0.5, 1.0, 2.0, 3.0, math.inf, "inf"]))
def test_clip_grad_norm(backend: str, grads: list, max_norm: float, norm_type: Any) -> None:
    mine, theirs = _grad_pairs(grads)
    mine.append(minigrad.nn.Parameter(minigrad.ones(2)))  # no gradient: ignored
    try:
        total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type, foreach=False)
    except RuntimeError as error:  # the inf norm of an empty gradient
        with pytest.raises(RuntimeError, match="empty tensor"):
            minigrad.nn.utils.clip_grad_norm_(mine, max_norm, norm_type)
        assert "empty tensor" in str(error)
        return
    total_m = minigrad.nn.utils.clip_grad_norm_(mine, max_norm, norm_type)
    n = sum(g.size for g in grads) + len(grads)
    assert_close(total_m, total_t, "reduction", n, what="total norm")
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert_close(m.grad, t.grad, "reduction", n, what=f"clipped gradient {i}")


def test_clip_grad_norm_special_cases(backend: str) -> None:
    for lib in (torch, minigrad):
        assert float(lib.nn.utils.clip_grad_norm_([lib.nn.Parameter(lib.ones(2))], 1.0)) == 0.0
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.tensor([float("inf"), 1.0])
        with pytest.raises(RuntimeError, match="non-finite"):
            lib.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


@given(grads=gradient_lists, clip=st.floats(0.0, 4.0))
def test_clip_grad_value(backend: str, grads: list, clip: float) -> None:
    mine, theirs = _grad_pairs(grads)
    assert minigrad.nn.utils.clip_grad_value_(mine, clip) is None
    torch.nn.utils.clip_grad_value_(theirs, clip, foreach=False)
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert_close(m.grad, t.grad, "exact", what=f"clipped gradient {i}")


@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_parameters_to_vector_and_back(backend: str, data: st.DataObject, dtype: type,
                                       seed: int) -> None:
    values = data.draw(st.lists(arrays(dtype, shapes(0, 3, 0, 3)), min_size=1, max_size=3))
    check_op(lambda *ps: minigrad.nn.utils.parameters_to_vector(ps),
             lambda *ps: torch.nn.utils.parameters_to_vector(ps), values, seed=seed, family="exact")
    mine = [minigrad.nn.Parameter(minigrad.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
    vec = np.random.default_rng(seed).standard_normal(sum(v.size for v in values)).astype(dtype)
    minigrad.nn.utils.vector_to_parameters(minigrad.tensor(vec), mine)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vec), theirs)
    for m, t in zip(mine, theirs):
        assert_close(m, t, "exact")
    with pytest.raises(TypeError):
        minigrad.nn.utils.vector_to_parameters(vec, mine)
