"""Optimizers against torch: trajectories, parameter groups, state dicts, errors.

The fixed problem is a tiny network, loss = mean((tanh(x·W + b)·h + c - y)²), whose parameters
have the shapes (3, 4), (4,), (4,) and () plus one parameter that never gets a gradient. Both
libraries start from the same values and each computes its own gradients, so a trajectory of 20
steps checks the whole of step 5 (and steps 1 to 4 on the way) against torch.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from .helpers import assert_close
from .strategies import float_dtypes, seeds

STEPS = 20
SHAPES = {"weight": (3, 4), "bias": (4,), "head": (4,), "offset": (), "unused": (2,)}
FIRST_GROUP, SECOND_GROUP = ["weight", "bias"], ["head", "offset", "unused"]

weight_decays = st.one_of(st.just(0.0), st.floats(0.0, 0.1))
epsilons = st.floats(1e-10, 1e-2)


# Two ranges of hyperparameters. `wide` covers every option over (nearly) its whole valid range;
# test_update_rule uses it with given gradients. The trajectory test computes the gradients from
# a loss, so a difference of one rounding feeds back into the next gradient; there `wide=False`
# keeps the adaptive methods away from a sign-like update (Adam with a small beta2, RMSprop with a
# small alpha, give ±lr steps whose sign flips wherever a gradient crosses zero, so a last-bit
# difference in the gradient becomes a 2·lr difference in the parameter, in any two libraries).


@st.composite
def sgd_options(draw: st.DrawFn, wide: bool = True) -> dict:
    nesterov = draw(st.booleans())
    momentum = draw(st.floats(0.05, 0.95) if nesterov else st.one_of(st.just(0.0), st.floats(0.0, 0.95)))
    dampening = 0.0 if nesterov else draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))
    return dict(lr=draw(st.floats(1e-4, 0.2)), momentum=momentum, dampening=dampening,
                weight_decay=draw(weight_decays), nesterov=nesterov)


@st.composite
def adam_options(draw: st.DrawFn, wide: bool = True, decoupled: bool | None = None) -> dict:
    # beta1 below 0.5 takes torch's other lerp formula (weight 1 - beta1 >= 0.5).
    options = dict(lr=draw(st.floats(1e-4, 0.1 if wide else 0.02)),
                   betas=(draw(st.floats(0.0, 0.99)), draw(st.floats(0.0 if wide else 0.9, 0.9999))),
                   eps=draw(epsilons), weight_decay=draw(weight_decays),
                   amsgrad=draw(st.booleans()))
    if decoupled is None:
        options["decoupled_weight_decay"] = draw(st.booleans())
    return options


@st.composite
def rmsprop_options(draw: st.DrawFn, wide: bool = True) -> dict:
    centered = draw(st.booleans())
    # centered computes √(s - ḡ²), which cancels for a small alpha (s/(s - ḡ²) = 1/alpha on the
    # first step): the last-bit differences of s and ḡ (torch rounds s + (1-α)·g·g and the lerp
    # once, with fused multiply-adds, NumPy twice) grow by that factor, so the centered draws keep
    # alpha ≥ 0.5 even in the wide range.
    alpha = draw(st.floats(0.5 if centered else 0.0, 0.999) if wide else st.floats(0.9, 0.999))
    return dict(lr=draw(st.floats(1e-4, 0.05 if wide else 0.01)), alpha=alpha, eps=draw(epsilons),
                weight_decay=draw(weight_decays),
                momentum=draw(st.one_of(st.just(0.0), st.floats(0.0, 0.95))), centered=centered)


@st.composite
def adagrad_options(draw: st.DrawFn, wide: bool = True) -> dict:
    return dict(lr=draw(st.floats(1e-4, 0.5 if wide else 0.1)),
                lr_decay=draw(st.one_of(st.just(0.0), st.floats(0.0, 0.5))),
                weight_decay=draw(weight_decays),
                initial_accumulator_value=draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
                eps=draw(epsilons))


def options(name: str, wide: bool) -> st.SearchStrategy:
    """Keyword arguments of optimizer ``name`` (without maximize, drawn by each test)."""
    if name == "AdamW":
        return adam_options(wide, decoupled=False)
    return {"SGD": sgd_options, "Adam": adam_options, "RMSprop": rmsprop_options,
            "Adagrad": adagrad_options}[name](wide)


NAMES = ["Adagrad", "Adam", "AdamW", "RMSprop", "SGD"]


class Side:
    """One library's copy of the problem: parameters, data and an optimizer over them."""

    def __init__(self, lib, name: str, arrays: dict, x: np.ndarray, y: np.ndarray,
                 maximize: bool = False) -> None:
        self.lib, self.cls, self.sign = lib, getattr(lib.optim, name), -1 if maximize else 1
        self.params = {k: lib.tensor(v.copy(), requires_grad=True) for k, v in arrays.items()}
        self.x, self.y = lib.tensor(x), lib.tensor(y)

    def groups(self, options: dict, second_group: bool) -> list[dict]:
        groups = [{"params": [self.params[k] for k in FIRST_GROUP]}]
        if second_group:
            groups.append({"params": [self.params[k] for k in SECOND_GROUP], **options})
        return groups

    def loss(self):
        p = self.params
        hidden = self.lib.tanh(self.x @ p["weight"] + p["bias"])
        return self.sign * ((hidden @ p["head"] + p["offset"] - self.y) ** 2).mean()

    def step(self, optimizer, set_to_none: bool, closure: bool):
        """zero_grad, backward and step, through a closure or not; returns the loss."""
        def compute():
            optimizer.zero_grad(set_to_none=set_to_none)
            loss = self.loss()
            loss.backward()
            return loss
        if closure:
            return optimizer.step(compute)
        loss = compute()
        optimizer.step()
        return loss


def numpy_state_dict(state_dict: dict) -> dict:
    """torch's state dict with its tensors as NumPy arrays (what a checkpoint file gives back)."""
    return {"state": {i: {k: v.numpy().copy() for k, v in s.items()} for i, s in state_dict["state"].items()},
            "param_groups": copy.deepcopy(state_dict["param_groups"])}


def assert_same_state_dict(mine: dict, theirs: dict, steps: int = 1) -> None:
    """Same groups (options and indices), same state keys, state tensors equal within tolerance
    (growing as √steps after ``steps`` steps: see ``test_trajectory``)."""
    assert mine["param_groups"] == theirs["param_groups"]
    assert sorted(mine["state"]) == sorted(theirs["state"])
    for index, state in theirs["state"].items():
        assert sorted(mine["state"][index]) == sorted(state)
        for key, value in state.items():
            assert_close(mine["state"][index][key], value, "reduction", n=steps,
                         what=f"state[{index}][{key!r}]")


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_trajectory(backend: str, name: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """20 steps of minigrad and torch from the same start: two parameter groups with their own
    options (the second one sometimes added later by add_param_group), zero_grad with or without
    set_to_none, closures, and a state-dict round trip (from minigrad's or torch's state dict)
    into a fresh optimizer halfway."""
    defaults = data.draw(options(name, wide=False), label="defaults")
    group = data.draw(options(name, wide=False), label="second group")
    add_group_at = data.draw(st.sampled_from([0, 3]), label="add_group_at")
    reload_at = data.draw(st.integers(1, STEPS - 1), label="reload_at")
    reload_from = data.draw(st.sampled_from(["minigrad", "torch"]), label="reload_from")
    set_to_none, closure = data.draw(st.booleans()), data.draw(st.booleans())
    # maximize climbs the objective: it is -loss then, so that both groups still converge (gradient
    # ascent on the loss itself drives tanh into saturation, where 1 - tanh² cancels and both
    # libraries' gradients lose all their digits).
    maximize = defaults["maximize"] = group["maximize"] = data.draw(st.booleans(), label="maximize")
    rng = np.random.default_rng(seed)
    arrays = {k: rng.uniform(-1, 1, shape).astype(dtype) for k, shape in SHAPES.items()}
    x, y = rng.uniform(-1, 1, (5, 3)).astype(dtype), rng.uniform(-1, 1, 5).astype(dtype)
    mine = Side(minigrad, name, arrays, x, y, maximize)
    theirs = Side(torch, name, arrays, x, y, maximize)
    opt_m = mine.cls(mine.groups(group, add_group_at == 0), **defaults)
    opt_t = theirs.cls(theirs.groups(group, add_group_at == 0), **defaults)
    assert repr(opt_m) == repr(opt_t)
    for step in range(1, STEPS + 1):
        if step == add_group_at:
            opt_m.add_param_group(mine.groups(group, True)[1])
            opt_t.add_param_group(theirs.groups(group, True)[1])
        if step == reload_at:
            state_dict = opt_t.state_dict()
            assert_same_state_dict(opt_m.state_dict(), state_dict, step)
            saved = opt_m.state_dict() if reload_from == "minigrad" else numpy_state_dict(state_dict)
            opt_m = mine.cls(mine.groups(defaults, len(opt_m.param_groups) == 2), **defaults)
            opt_m.load_state_dict(saved)
        loss_m = mine.step(opt_m, set_to_none, closure)
        loss_t = theirs.step(opt_t, set_to_none, closure)
        assert_close(loss_m, loss_t, "reduction", n=20, what=f"loss at step {step}")
        # Each step's gradient comes through the loss's sums, which round in another order than
        # torch's, and every step starts from the last one's parameters: float32 differences of an
        # ulp per step compound, like a sum of `step` roundings (RMSprop, dividing by √s with a
        # tiny eps, amplifies them most), so the tolerance grows as √step.
        for key in SHAPES:
            assert_close(mine.params[key], theirs.params[key], "reduction", n=step,
                         what=f"{key} after step {step}")
    assert mine.params["unused"].grad is None and theirs.params["unused"].grad is None
    assert_same_state_dict(opt_m.state_dict(), opt_t.state_dict(), STEPS)
    assert repr(opt_m) == repr(opt_t)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), dtype=float_dtypes, seed=seeds)
def test_update_rule(backend: str, name: str, data: st.DataObject, dtype: type, seed: int) -> None:
    """Every option over its whole range: 20 steps with the same given gradients in both
    libraries (no loss feeds a difference back), then the same parameters and state."""
    kwargs = data.draw(options(name, wide=True), label="options")
    kwargs["maximize"] = data.draw(st.booleans(), label="maximize")
    rng = np.random.default_rng(seed)
    shapes = [shape for key, shape in SHAPES.items() if key != "unused"]
    arrays = [rng.uniform(-1, 1, shape).astype(dtype) for shape in shapes]
    mine = [minigrad.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    opt_m, opt_t = getattr(minigrad.optim, name)(mine, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(1, STEPS + 1):
        for p, q, shape in zip(mine, theirs, shapes):
            grad = rng.normal(0, 1, shape).astype(dtype)
            p.grad, q.grad = minigrad.tensor(grad), torch.tensor(grad)
        opt_m.step()
        opt_t.step()
        for i, (p, q) in enumerate(zip(mine, theirs)):
            assert_close(p, q, what=f"parameter {i} after step {step}")
    assert_same_state_dict(opt_m.state_dict(), opt_t.state_dict())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(backend: str, set_to_none: bool) -> None:
    """zero_grad leaves None (set_to_none) or zeros in place, as torch."""
    mine = minigrad.ones(3, requires_grad=True)
    theirs = torch.ones(3, requires_grad=True)
    for p, lib in ((mine, minigrad), (theirs, torch)):
        optimizer = lib.optim.SGD([p], lr=0.1)
        (p * p).sum().backward()
        grad = p.grad
        optimizer.zero_grad(set_to_none=set_to_none)
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is grad
    if not set_to_none:
        assert_close(mine.grad, theirs.grad, "exact")


def test_step_bumps_the_version(backend: str) -> None:
    """A step changes the parameter in place: a graph that saved it refuses to run backward."""
    for lib in (minigrad, torch):
        p = lib.ones(3, requires_grad=True)
        optimizer = lib.optim.Adam([p])
        (p * p).sum().backward()
        loss = (p * p).sum()
        version = p._version
        optimizer.step()
        assert p._version > version
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


# (optimizer, keyword arguments with one bad value): torch's ValueError, same message.
BAD = [
    ("SGD", "lr"), ("SGD", "momentum"), ("SGD", "weight_decay"),
    ("Adam", "lr"), ("Adam", "eps"), ("Adam", "weight_decay"), ("Adam", "beta0"), ("Adam", "beta1"),
    ("AdamW", "lr"), ("AdamW", "beta0"),
    ("RMSprop", "lr"), ("RMSprop", "eps"), ("RMSprop", "momentum"), ("RMSprop", "weight_decay"),
    ("RMSprop", "alpha"),
    ("Adagrad", "lr"), ("Adagrad", "lr_decay"), ("Adagrad", "weight_decay"),
    ("Adagrad", "initial_accumulator_value"), ("Adagrad", "eps"),
]


def raised(make) -> BaseException:
    """The exception ``make()`` raises."""
    with pytest.raises(Exception) as info:
        make()
    return info.value


def assert_same_error(mine: BaseException, theirs: BaseException) -> None:
    assert type(mine) is type(theirs), f"{type(mine).__name__}: {mine}; torch: {type(theirs).__name__}: {theirs}"
    assert str(mine) == str(theirs)


negatives = st.one_of(st.floats(-10.0, -1e-6), st.sampled_from([-0.1, float("-inf")]))


@pytest.mark.parametrize("name, option", BAD)
@given(data=st.data())
def test_bad_hyperparameter(backend: str, name: str, option: str, data: st.DataObject) -> None:
    """A negative value (or a beta ≥ 1) raises torch's ValueError with torch's message."""
    if option.startswith("beta"):
        betas = [0.9, 0.999]
        betas[int(option[-1])] = data.draw(st.one_of(negatives, st.floats(1.0, 10.0)))
        kwargs = {"betas": tuple(betas)}
    else:
        kwargs = {option: data.draw(negatives)}
    mine = raised(lambda: getattr(minigrad.optim, name)([minigrad.ones(2, requires_grad=True)], **kwargs))
    theirs = raised(lambda: getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kwargs))
    assert_same_error(mine, theirs)
    assert re.search(r"\d|inf", str(mine)), "the message names the value"


@pytest.mark.parametrize("kwargs", [dict(nesterov=True), dict(nesterov=True, momentum=0.9, dampening=0.1),
                                    dict(nesterov=True, momentum=-0.0)])
def test_nesterov_needs_momentum(backend: str, kwargs: dict) -> None:
    mine = raised(lambda: minigrad.optim.SGD([minigrad.ones(2, requires_grad=True)], **kwargs))
    theirs = raised(lambda: torch.optim.SGD([torch.ones(2, requires_grad=True)], **kwargs))
    assert_same_error(mine, theirs)


def bad_params(lib) -> dict:
    """Ways to hand an optimizer the wrong parameters, built with ``lib``."""
    leaf = lib.ones(2, requires_grad=True)
    return {
        "empty": lambda: lib.optim.SGD([], lr=0.1),
        "not a tensor": lambda: lib.optim.SGD([leaf, 3], lr=0.1),
        "non-leaf": lambda: lib.optim.SGD([leaf * 2], lr=0.1),
        "two groups": lambda: lib.optim.SGD([{"params": [leaf]}, {"params": [leaf]}], lr=0.1),
        "set": lambda: lib.optim.SGD([leaf], lr=0.1).add_param_group({"params": {lib.ones(1, requires_grad=True)}}),
        "group not a dict": lambda: lib.optim.SGD([leaf], lr=0.1).add_param_group([leaf]),
        "names missing": lambda: lib.optim.SGD([("a", leaf), lib.ones(2, requires_grad=True)]),
        "betas as ints": lambda: lib.optim.Adam([leaf], betas=(0, 0.99)),
    }


@pytest.mark.parametrize("case", sorted(bad_params(minigrad)))
def test_bad_params(backend: str, case: str) -> None:
    """Torch's exception class and message for each misuse."""
    mine, theirs = raised(bad_params(minigrad)[case]), raised(bad_params(torch)[case])
    assert_same_error(mine, theirs)


def test_single_tensor_params_refused(backend: str) -> None:
    """A bare tensor is not an iterable of parameters (torch names its type, minigrad its class)."""
    mine = raised(lambda: minigrad.optim.SGD(minigrad.ones(2, requires_grad=True)))
    theirs = raised(lambda: torch.optim.SGD(torch.ones(2, requires_grad=True)))
    assert type(mine) is type(theirs) is TypeError
    prefix = "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
    assert str(mine).startswith(prefix) and str(theirs).startswith(prefix)


@pytest.mark.parametrize("name, option", [(n, o) for n in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
                                          for o in ["foreach", "fused", "capturable", "differentiable"]
                                          if o in getattr(torch.optim, n).__init__.__code__.co_varnames])
def test_other_code_paths_refused(backend: str, name: str, option: str) -> None:
    """foreach, fused, capturable and differentiable exist in torch; minigrad refuses them by name."""
    with pytest.raises(NotImplementedError, match=option):
        getattr(minigrad.optim, name)([minigrad.ones(2, requires_grad=True)], **{option: True})
    getattr(minigrad.optim, name)([minigrad.ones(2, requires_grad=True)], **{option: None if option in ("foreach", "fused") else False})


def test_load_state_dict_mismatch(backend: str) -> None:
    """A state dict with other groups raises torch's ValueError."""
    def make(lib, groups):
        return lib.optim.Adam([{"params": [lib.ones(2, requires_grad=True) for _ in range(n)]} for n in groups])
    for saved_groups, groups in (([1], [1, 1]), ([2], [1])):
        mine = raised(lambda: make(minigrad, groups).load_state_dict(make(minigrad, saved_groups).state_dict()))
        theirs = raised(lambda: make(torch, groups).load_state_dict(make(torch, saved_groups).state_dict()))
        assert_same_error(mine, theirs)


def test_state_dict_with_names(backend: str) -> None:
    """(name, parameter) pairs keep their names under param_names, as torch."""
    mine = minigrad.optim.SGD([("w", minigrad.ones(2, requires_grad=True))], lr=0.1).state_dict()
    theirs = torch.optim.SGD([("w", torch.ones(2, requires_grad=True))], lr=0.1).state_dict()
    assert mine == theirs
