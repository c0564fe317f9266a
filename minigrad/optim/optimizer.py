"""The Optimizer base (step 5 of the five: update the parameters with their gradients).

An optimizer holds ``param_groups``, a list of dicts: each has its ``params`` (a list of tensors)
and its own options (``lr``, ``momentum``...), which default to the optimizer's ``defaults``. It
also holds ``state``, a dict from each parameter to what the algorithm remembers about it
(momentum buffer, moving averages, step count). ``step()`` reads each parameter's ``.grad`` and
changes the parameter in place through a fused backend primitive (``sgd_update``,
``adam_update``...) that works on the raw arrays, so nothing is recorded in any graph (torch runs
its updates under ``no_grad`` for the same reason). The version counter is bumped as for any
in-place change, so a graph that saved the old value refuses to run backward.

``state_dict()`` and ``load_state_dict()`` use torch's layout: parameters are named by their index
in the order of the groups, ``{'state': {0: {...}}, 'param_groups': [{..., 'params': [0, 1]}]}``.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Iterable

from ..autograd import enable_grad
from ..creation import tensor, zeros
from ..dtypes import float32
from ..tensor import Tensor

__all__ = ["Optimizer"]

# torch's faster or differentiable code paths; minigrad has the single-tensor path only.
_NOT_IMPLEMENTED = ("foreach", "fused", "capturable", "differentiable")


class _RequiredParameter:
    """Marks an option that every parameter group must give (it has no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj: Any) -> str:
    """``module.Class`` of obj's type (just ``Class`` for builtins), as ``torch.typename``."""
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class Optimizer:
    """Base of every optimizer: ``params`` are tensors, or dicts that each define a parameter group."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options; the options it omits take the defaults.

        ``params`` may hold ``(name, tensor)`` pairs (from ``named_parameters()``): the names are
        kept under ``param_names``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use "
                            "a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        param_group["params"] = params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        self._check_supported(param_group)

        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen: set[Tensor] = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def _check_supported(self, group: dict[str, Any]) -> None:
        """Refuse the options minigrad does not implement (torch's other code paths, Tensor lr)."""
        for name in _NOT_IMPLEMENTED:
            if group.get(name) not in (None, False):
                raise NotImplementedError(
                    f"{type(self).__name__}({name}={group[name]!r}): minigrad implements only "
                    f"torch's single-tensor code path; leave {name} at None or False")
        if isinstance(group.get("lr"), Tensor):
            raise NotImplementedError(f"{type(self).__name__}: a Tensor lr (use a Python float)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``.grad = None`` (the default), or zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.requires_grad:
                        p.grad = p.grad.detach()
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` when one is given."""
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """The loss ``closure()`` recomputes (with gradients recorded), or None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _step_count(state: dict[str, Any]) -> float:
        """Add 1 to ``state['step']`` (a float32 0-dim tensor, as torch's) and return it as a float."""
        step = state["step"]
        step.data += 1
        step._version_counter.value += 1
        return step.item()

    @staticmethod
    def _new_step() -> Tensor:
        """A step counter at 0: a float32 0-dim tensor on the host, as torch keeps it."""
        return zeros((), dtype=float32, device="cpu")

    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{options..., 'params': [indices]}]}``.

        As in torch, the state tensors are the optimizer's own (not copies): save them, or
        ``copy.deepcopy`` the result, before stepping again.
        """
        index: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {index[id(p)] if isinstance(p, Tensor) else p: v for p, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the options and state of ``state_dict`` (as ``state_dict()`` gives them).

        The parameters are matched by position, group by group; state tensors (minigrad tensors
        or NumPy arrays) are copied, cast to their parameter's dtype except the step counter.
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        by_index = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key in by_index:
                param = by_index[key]
                state[param] = {k: _cast_state(param, k, v) for k, v in values.items()}
            else:
                state[key] = values
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            self._check_supported(saved)
        self.state = state
        self.param_groups = saved_groups


def _cast_state(param: Tensor, key: str, value: Any) -> Any:
    """A copy of one state value for ``param``: tensors and arrays in its dtype, except ``step``."""
    if key == "step":
        return tensor(value if hasattr(value, "__array__") else float(value), device="cpu")
    if hasattr(value, "__array__"):
        return tensor(value, dtype=param.dtype, device=param.device)
    return value
