"""Learning-rate schedulers against torch: the same optimizer in both libraries, the same scheduler
driven step by step, and at every step the same ``get_last_lr()`` and the same group entries (lr,
momentum or betas, and the keys a scheduler adds). Every comparison is exact: both libraries run
the same float operations in the same order (Python floats, ``math.cos``), so any difference is a
different rule, not rounding. State dicts equal torch's, key for key; a schedule resumed from a
state dict (minigrad's or torch's) or from ``last_epoch`` goes on as torch's does.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, Callable

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from .helpers import expect_torch_error

LIBS = (torch, minigrad)
# What a scheduler reads or writes in a parameter group.
SCHEDULER_KEYS = ("lr", "initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "momentum", "betas")

Build = Callable[[Any, Any], Any]  # (lib.optim.lr_scheduler, optimizer) -> scheduler


class Scale:
    """An lr_lambda with state: a callable object, whose ``__dict__`` a LambdaLR state dict saves."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.rate ** epoch


def make_optimizer(lib: Any, kind: str, lrs: list[float], momentum: float = 0.9) -> Any:
    """SGD (momentum) or Adam (betas) over one parameter per group, group i with lr lrs[i]."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=lrs[0], momentum=momentum)
    return lib.optim.Adam(groups, lr=lrs[0], betas=(momentum, 0.999))


def scheduled(optimizer: Any) -> list[dict[str, Any]]:
    """The scheduler's entries of every group (betas as a tuple, whatever the container)."""
    return [{key: tuple(group[key]) if key == "betas" else group[key]
             for key in SCHEDULER_KEYS if key in group} for group in optimizer.param_groups]


def run(action: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """The result of ``action``, or the exception it raised."""
    try:
        return action(), None
    except Exception as error:  # noqa: BLE001 - any class may be torch's
        return None, error


def same_outcome(theirs: Callable[[], Any], mine: Callable[[], Any]) -> tuple[Any, Any, bool]:
    """Run an action in both libraries: both return (results, True), or both raise alike (False)."""
    t, t_error = run(theirs)
    m, m_error = run(mine)
    if t_error is None:
        assert m_error is None, f"minigrad raised {m_error!r}, torch did not"
        return t, m, True
    assert type(m_error) is type(t_error) and str(m_error) == str(t_error), (
        f"minigrad raised {m_error!r}, torch raised {t_error!r}")
    return None, None, False


def assert_same_state(t_opt: Any, m_opt: Any, t_sched: Any, m_sched: Any, step: int) -> None:
    """Same last lrs, same scheduled group entries, exactly."""
    assert m_sched.get_last_lr() == t_sched.get_last_lr(), f"step {step}: get_last_lr"
    assert scheduled(m_opt) == scheduled(t_opt), f"step {step}: param_groups"


def drive(build: Build, kind: str, lrs: list[float], steps: int, resume_at: int,
          resume: str, metrics: tuple[list[Any], list[Any]] | None = None) -> None:
    """Build, then step both schedulers ``steps`` times (after an optimizer step, as in training),
    comparing at every step (``metrics``: the arguments of ReduceLROnPlateau's steps, torch's and
    minigrad's). At ``resume_at`` the schedule is resumed: ``"last_epoch"``: both
    libraries build a new scheduler with ``last_epoch`` on the same optimizer (torch's old way, not
    transparent: its first step moves on); ``"state_dict"``/``"torch_state"``: minigrad alone moves
    to a new optimizer and scheduler loaded from its state dicts (the scheduler's from minigrad or
    from torch), which must go on exactly as torch's uninterrupted schedule."""
    t_opt, m_opt = (make_optimizer(lib, kind, lrs) for lib in LIBS)
    t_sched, m_sched, ok = same_outcome(lambda: build(torch.optim.lr_scheduler, t_opt),
                                        lambda: build(minigrad.optim.lr_scheduler, m_opt))
    if not ok:
        return
    assert m_sched.state_dict() == t_sched.state_dict()
    for step in range(steps):
        assert_same_state(t_opt, m_opt, t_sched, m_sched, step)
        if step == resume_at and resume == "last_epoch":
            t_sched, m_sched, ok = same_outcome(
                lambda: build(_WithLastEpoch(torch.optim.lr_scheduler, t_sched.last_epoch), t_opt),
                lambda: build(_WithLastEpoch(minigrad.optim.lr_scheduler, m_sched.last_epoch), m_opt))
            if not ok:
                return
        elif step == resume_at:
            source = t_sched if resume == "torch_state" else m_sched
            m_opt, m_sched = reloaded(build, m_opt, copy.deepcopy(source.state_dict()), kind, lrs)
        assert_same_state(t_opt, m_opt, t_sched, m_sched, step)
        if metrics is None:  # get_lr called by hand: the chainable form, or torch's special cases
            t_lr, m_lr, _ = same_outcome(lambda: quietly(t_sched.get_lr), lambda: quietly(m_sched.get_lr))
            assert m_lr == t_lr, f"step {step}: get_lr()"
        t_opt.step()
        m_opt.step()
        t_args, m_args = ((), ()) if metrics is None else ((metrics[0][step],), (metrics[1][step],))
        _, _, ok = same_outcome(lambda: t_sched.step(*t_args), lambda: m_sched.step(*m_args))
        if not ok:
            return
    assert_same_state(t_opt, m_opt, t_sched, m_sched, steps)
    assert m_sched.state_dict() == t_sched.state_dict()


def quietly(action: Callable[[], Any]) -> Any:
    """``action()`` with warnings silenced (get_lr outside step warns; another test checks that)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return action()


def reloaded(build: Build, m_opt: Any, sched_state: dict[str, Any], kind: str,
             lrs: list[float]) -> tuple[Any, Any]:
    """A new minigrad optimizer and scheduler (other hyperparameters) loaded from saved states."""
    new_opt = make_optimizer(minigrad, kind, [lr * 3 for lr in lrs], momentum=0.5)
    new_sched = build(minigrad.optim.lr_scheduler, new_opt)  # before loading the optimizer (torch's docs)
    for fn in getattr(new_sched, "lr_lambdas", []):
        if isinstance(fn, Scale):
            fn.rate = 0.5  # another state, which loading the scheduler's must replace
    new_opt.load_state_dict(m_opt.state_dict())
    new_sched.load_state_dict(sched_state)
    return new_opt, new_sched


class _WithLastEpoch:
    """A view of ``lr_scheduler`` whose classes get ``last_epoch=...`` added to their arguments."""

    def __init__(self, lr_scheduler: Any, last_epoch: int) -> None:
        self.lr_scheduler, self.last_epoch = lr_scheduler, last_epoch

    def __getattr__(self, name: str) -> Callable[..., Any]:
        cls = getattr(self.lr_scheduler, name)
        return lambda *args, **kwargs: cls(*args, last_epoch=self.last_epoch, **kwargs)


# ------------------------------------------------------------------ drawn hyperparameters
rates = st.floats(0.05, 1.0)
group_lrs = st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=2)
resumes = st.sampled_from(["state_dict", "torch_state", "last_epoch"])


LAMBDA_KINDS = ["power", "inverse", "stairs", "object"]


def make_lambda(kind: str, value: float) -> Callable[[int], float]:
    """A fresh lr_lambda: plain functions of the epoch, or a callable object with state."""
    return {"power": lambda e: value ** e, "inverse": lambda e: 1.0 / (1.0 + value * e),
            "stairs": lambda e: value ** (e // 3), "object": Scale(value)}[kind]


def make_lambdas(spec: tuple[str, float] | list[tuple[str, float]]) -> Any:
    """One lr_lambda, or a list of them, from their kinds and values (fresh for each library)."""
    return [make_lambda(*one) for one in spec] if isinstance(spec, list) else make_lambda(*spec)


@st.composite
def epoch_schedules(draw: st.DrawFn, name: str, groups: int) -> dict[str, Any]:
    """Keyword arguments for one of the epoch schedulers (LambdaLR: the spec of its lambdas)."""
    if name == "StepLR":
        return dict(step_size=draw(st.integers(1, 6)), gamma=draw(rates))
    if name == "MultiStepLR":
        return dict(milestones=draw(st.lists(st.integers(0, 30), max_size=5)), gamma=draw(rates))
    if name == "ExponentialLR":
        return dict(gamma=draw(st.floats(0.5, 1.0)))
    if name == "CosineAnnealingLR":
        return dict(T_max=draw(st.integers(1, 12)), eta_min=draw(st.sampled_from([0.0, 1e-3, 0.05])))
    if name == "LinearLR":
        return dict(start_factor=draw(st.floats(0.01, 1.0)), end_factor=draw(st.floats(0.0, 1.0)),
                    total_iters=draw(st.integers(0, 10)))
    one = st.tuples(st.sampled_from(LAMBDA_KINDS), rates)
    return dict(lr_lambda=draw(st.one_of(one, st.lists(one, min_size=groups, max_size=groups))))


EPOCH_SCHEDULERS = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "LambdaLR"]


@pytest.mark.parametrize("name", EPOCH_SCHEDULERS)
@given(data=st.data(), lrs=group_lrs, steps=st.integers(1, 40), kind=st.sampled_from(["sgd", "adam"]),
       resume=resumes)
def test_epoch_scheduler_matches_torch(backend: str, name: str, data: st.DataObject, lrs: list[float],
                                       steps: int, kind: str, resume: str) -> None:
    kwargs = data.draw(epoch_schedules(name, len(lrs)))
    resume_at = data.draw(st.integers(0, steps - 1))
    if name == "LambdaLR":
        spec = kwargs["lr_lambda"]
        build: Build = lambda lr_scheduler, opt: lr_scheduler.LambdaLR(opt, make_lambdas(spec))  # noqa: E731
    else:
        build = lambda lr_scheduler, opt: getattr(lr_scheduler, name)(opt, **kwargs)  # noqa: E731
    drive(build, kind, lrs, steps, resume_at, resume)


@given(data=st.data(), lrs=group_lrs, steps=st.integers(1, 30),
       names=st.lists(st.sampled_from(EPOCH_SCHEDULERS), min_size=2, max_size=2))
def test_chained_schedulers_match_torch(backend: str, data: st.DataObject, lrs: list[float], steps: int,
                                        names: list[str]) -> None:
    """Two schedulers on one optimizer: each chainable one changes the lr the other left."""
    kwargs = [data.draw(epoch_schedules(name, len(lrs))) for name in names]
    optimizers = [make_optimizer(lib, "sgd", lrs) for lib in LIBS]
    chains = [[getattr(lib.optim.lr_scheduler, name)(opt, **(
        dict(lr_lambda=make_lambdas(kw["lr_lambda"])) if name == "LambdaLR" else kw))
        for name, kw in zip(names, kwargs)] for lib, opt in zip(LIBS, optimizers)]
    for step in range(steps):
        for opt in optimizers:
            opt.step()
        for t_sched, m_sched in zip(*chains):
            t_sched.step()
            m_sched.step()
            assert_same_state(*optimizers, t_sched, m_sched, step)


@st.composite
def one_cycles(draw: st.DrawFn, groups: int) -> dict[str, Any]:
    """OneCycleLR's arguments: its length either way, phases, annealing, momentum bounds."""
    per_group = lambda values: st.one_of(values, st.lists(values, min_size=groups, max_size=groups))  # noqa: E731
    if draw(st.booleans()):
        length = dict(total_steps=draw(st.integers(1, 30)))
    else:
        length = dict(epochs=draw(st.integers(1, 5)), steps_per_epoch=draw(st.integers(1, 6)))
    return dict(max_lr=draw(per_group(st.floats(1e-3, 2.0))), **length,
                pct_start=draw(st.floats(0.0, 1.0)), anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
                cycle_momentum=draw(st.booleans()), base_momentum=draw(per_group(st.floats(0.5, 0.9))),
                max_momentum=draw(per_group(st.floats(0.85, 0.99))), div_factor=draw(st.floats(1.0, 100.0)),
                final_div_factor=draw(st.floats(1.0, 1e4)), three_phase=draw(st.booleans()))


@given(data=st.data(), lrs=group_lrs, kind=st.sampled_from(["sgd", "adam"]), resume=resumes)
def test_one_cycle_matches_torch(backend: str, data: st.DataObject, lrs: list[float], kind: str,
                                 resume: str) -> None:
    """lr and momentum (SGD) or β₁ (Adam) at every step; one step past total_steps raises ValueError."""
    kwargs = data.draw(one_cycles(len(lrs)))
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    resume_at = data.draw(st.integers(0, total))
    drive(lambda lr_scheduler, opt: lr_scheduler.OneCycleLR(opt, **kwargs), kind, lrs, total + 1,
          resume_at, resume)


@st.composite
def plateaus(draw: st.DrawFn, groups: int) -> dict[str, Any]:
    """ReduceLROnPlateau's arguments, min_lr one for all groups or one per group."""
    min_lr = st.sampled_from([0.0, 1e-3, 0.05])
    return dict(mode=draw(st.sampled_from(["min", "max"])), factor=draw(st.floats(0.0, 0.99)),
                patience=draw(st.integers(0, 4)), threshold=draw(st.sampled_from([0.0, 1e-4, 0.1])),
                threshold_mode=draw(st.sampled_from(["rel", "abs"])), cooldown=draw(st.integers(0, 3)),
                min_lr=draw(st.one_of(min_lr, st.lists(min_lr, min_size=groups, max_size=groups))),
                eps=draw(st.sampled_from([1e-8, 1e-3])))


# Metrics from a few values (plateaus, ties, improvements within the threshold) or any float.
metric_values = st.one_of(st.sampled_from([0.0, 1.0, 0.99995, 1.05, -1.0, 2.0]),
                          st.floats(-3.0, 3.0))


@given(data=st.data(), lrs=group_lrs, metrics=st.lists(metric_values, min_size=1, max_size=40),
       as_tensor=st.booleans(), resume=st.sampled_from(["state_dict", "torch_state"]))
def test_reduce_on_plateau_matches_torch(backend: str, data: st.DataObject, lrs: list[float],
                                         metrics: list[float], as_tensor: bool, resume: str) -> None:
    """The lr falls after more than ``patience`` bad epochs; metrics as floats or 0-dim tensors."""
    kwargs = data.draw(plateaus(len(lrs)))
    resume_at = data.draw(st.integers(0, len(metrics) - 1))
    each = [[lib.tensor(m, dtype=lib.float64) if as_tensor else m for m in metrics] for lib in LIBS]
    drive(lambda lr_scheduler, opt: lr_scheduler.ReduceLROnPlateau(opt, **kwargs), "sgd", lrs,
          len(metrics), resume_at, resume, metrics=(each[0], each[1]))


def test_reduce_on_plateau_eps_boundary(backend: str) -> None:
    """A reduction of exactly eps is skipped (lr 0.5 · factor 0.5 is 0.25 lower: not more than eps)."""
    for eps in (0.25, 0.2499):
        drive(lambda lr_scheduler, opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=eps),
              "sgd", [0.5], 3, 0, "state_dict", metrics=([1.0, 2.0, 3.0],) * 2)


CLOSED_FORMS = {"StepLR": dict(step_size=3, gamma=0.5), "MultiStepLR": dict(milestones=[2, 2, 7], gamma=0.3),
                "ExponentialLR": dict(gamma=0.9), "CosineAnnealingLR": dict(T_max=5, eta_min=1e-3),
                "LinearLR": dict(start_factor=0.2, end_factor=0.9, total_iters=6)}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@given(epochs=st.lists(st.integers(0, 20), min_size=1, max_size=8))
def test_step_with_epoch_uses_closed_form(backend: str, name: str, epochs: list[int]) -> None:
    """The deprecated ``step(epoch)``: torch's warning, then the closed form at that epoch."""
    t_opt, m_opt = (make_optimizer(lib, "sgd", [0.1, 0.02]) for lib in LIBS)
    t_sched, m_sched = (getattr(lib.optim.lr_scheduler, name)(opt, **CLOSED_FORMS[name])
                        for lib, opt in zip(LIBS, (t_opt, m_opt)))
    for epoch in epochs:
        caught = []
        for sched in (t_sched, m_sched):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                sched.step(epoch)
            caught.append([(w.category, str(w.message)) for w in seen])
        assert caught[1] == caught[0]
        assert_same_state(t_opt, m_opt, t_sched, m_sched, epoch)


def warnings_of(lib: Any, action: Callable[[Any, Any], None]) -> list[tuple[type, str]]:
    """The warnings ``action(optimizer, scheduler)`` emits on a fresh StepLR in ``lib``."""
    optimizer = make_optimizer(lib, "sgd", [0.1])
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        action(optimizer, scheduler)
    return [(w.category, str(w.message)) for w in seen]


@pytest.mark.parametrize("action", [
    lambda opt, sched: sched.step(),                        # scheduler before optimizer
    lambda opt, sched: (opt.step(), sched.step()),          # the right order: no warning
    lambda opt, sched: sched.get_lr(),                      # get_lr outside step
], ids=["scheduler_first", "right_order", "get_lr"])
def test_warnings_match_torch(backend: str, action: Callable[[Any, Any], None]) -> None:
    assert warnings_of(minigrad, action) == warnings_of(torch, action)


class NotAnOptimizer:
    """Looks like an optimizer (param_groups, defaults) but is not one."""

    def __init__(self) -> None:
        self.param_groups = [{"params": [], "lr": 0.1, "momentum": 0.9}]
        self.defaults = {"lr": 0.1, "momentum": 0.9}


def sgd(lib: Any, groups: int = 1) -> Any:
    """An SGD with momentum over ``groups`` parameter groups."""
    return make_optimizer(lib, "sgd", [0.1] * groups)


def sched(lib: Any) -> Any:
    """``lib.optim.lr_scheduler``."""
    return lib.optim.lr_scheduler


BAD_INPUTS: dict[str, Callable[[Any], Any]] = {
    "step_on_non_optimizer": lambda lib: sched(lib).StepLR(NotAnOptimizer(), 2),
    "multistep_on_non_optimizer": lambda lib: sched(lib).MultiStepLR(NotAnOptimizer(), [1]),
    "exponential_on_non_optimizer": lambda lib: sched(lib).ExponentialLR(NotAnOptimizer(), 0.9),
    "cosine_on_non_optimizer": lambda lib: sched(lib).CosineAnnealingLR(NotAnOptimizer(), 3),
    "lambda_on_non_optimizer": lambda lib: sched(lib).LambdaLR(NotAnOptimizer(), lambda e: 1.0),
    "linear_on_non_optimizer": lambda lib: sched(lib).LinearLR(NotAnOptimizer()),
    "one_cycle_on_non_optimizer": lambda lib: sched(lib).OneCycleLR(NotAnOptimizer(), 1.0, 10),
    "plateau_on_non_optimizer": lambda lib: sched(lib).ReduceLROnPlateau(NotAnOptimizer()),
    "on_the_other_librarys_optimizer": lambda lib: sched(lib).StepLR(sgd(minigrad if lib is torch else torch), 2),
    "resume_without_initial_lr": lambda lib: sched(lib).StepLR(sgd(lib), 2, last_epoch=3),
    "lambdas_per_group_count": lambda lib: sched(lib).LambdaLR(sgd(lib, 2), [lambda e: 1.0] * 3),
    "linear_start_factor_zero": lambda lib: sched(lib).LinearLR(sgd(lib), start_factor=0.0),
    "linear_start_factor_above_one": lambda lib: sched(lib).LinearLR(sgd(lib), start_factor=1.5),
    "linear_end_factor_negative": lambda lib: sched(lib).LinearLR(sgd(lib), end_factor=-0.1),
    "step_size_zero": lambda lib: _stepped(sched(lib).StepLR(sgd(lib), 0)),
    "cosine_t_max_zero": lambda lib: _stepped(sched(lib).CosineAnnealingLR(sgd(lib), 0)),
    "plateau_factor_one": lambda lib: sched(lib).ReduceLROnPlateau(sgd(lib), factor=1.0),
    "plateau_bad_mode": lambda lib: sched(lib).ReduceLROnPlateau(sgd(lib), mode="minimum"),
    "plateau_bad_threshold_mode": lambda lib: sched(lib).ReduceLROnPlateau(sgd(lib), threshold_mode="relative"),
    "plateau_min_lrs_count": lambda lib: sched(lib).ReduceLROnPlateau(sgd(lib, 2), min_lr=[0.1]),
    "plateau_group_added": lambda lib: _plateau_after_new_group(lib),
    "one_cycle_no_length": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0),
    "one_cycle_total_steps_zero": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, total_steps=0),
    "one_cycle_total_steps_float": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, total_steps=10.0),
    "one_cycle_epochs_zero": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, epochs=0, steps_per_epoch=3),
    "one_cycle_steps_per_epoch_zero": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, epochs=2, steps_per_epoch=0),
    "one_cycle_pct_start_above_one": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, 10, pct_start=1.5),
    "one_cycle_pct_start_int": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, 10, pct_start=1),
    "one_cycle_bad_anneal_strategy": lambda lib: sched(lib).OneCycleLR(sgd(lib), 1.0, 10, anneal_strategy="exp"),
    "one_cycle_max_lr_count": lambda lib: sched(lib).OneCycleLR(sgd(lib, 2), [1.0, 2.0, 3.0], 10),
    "one_cycle_momentum_count": lambda lib: sched(lib).OneCycleLR(sgd(lib, 2), 1.0, 10, max_momentum=[0.9]),
    "one_cycle_without_momentum": lambda lib: sched(lib).OneCycleLR(
        lib.optim.Adagrad([lib.zeros(2, requires_grad=True)]), 1.0, 10),
    "one_cycle_past_total_steps": lambda lib: _stepped(sched(lib).OneCycleLR(sgd(lib), 1.0, 3), times=4),
}


def _stepped(scheduler: Any, times: int = 1) -> Any:
    """Step ``scheduler`` ``times`` times (after its optimizer, so that nothing warns)."""
    for _ in range(times):
        scheduler.optimizer.step()
        scheduler.step()
    return scheduler


def _plateau_after_new_group(lib: Any) -> None:
    """A group added after ReduceLROnPlateau was given one min_lr per group: reducing then fails."""
    optimizer = sgd(lib)
    scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.0])
    optimizer.add_param_group({"params": [lib.zeros(2, requires_grad=True)]})
    scheduler.step(1.0)
    scheduler.step(2.0)


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_raises_torch_error(backend: str, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expect_torch_error(BAD_INPUTS[name])
