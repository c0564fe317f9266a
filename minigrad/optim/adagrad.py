"""Adagrad: each parameter's step shrinks with the sum of its squared gradients.

torch's single-tensor update at step t, with g = ∇f(θ) (−∇f(θ) when maximize)::

    clr ← lr / (1 + (t − 1)·lr_decay)
    g ← g + weight_decay·θ
    sum ← sum + g²                        (sum starts at initial_accumulator_value)
    θ ← θ − clr·g / (√sum + eps)

The arithmetic runs in the backend's ``adagrad_update`` primitive.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..creation import full_like
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad; state (created for every parameter at construction, as torch): step, sum."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p)

    def _init_state(self, state: dict[str, Any], p: Tensor) -> None:
        """step 0 and sum filled with the *optimizer's* initial_accumulator_value (torch ignores a
        group's own value)."""
        state["step"] = self._new_step()
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` when one is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay = group["lr"], group["lr_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(state, p)
                step = self._step_count(state)
                p._backend.adagrad_update(
                    p.data, p.grad.data, state["sum"].data, lr / (1 + (step - 1) * lr_decay),
                    group["eps"], group["weight_decay"], group["maximize"])
                p._version_counter.value += 1
        return loss
