"""SGD: stochastic gradient descent, with momentum, dampening, Nesterov, weight decay, maximize.

torch's single-tensor update, with g = ∇f(θ) (−∇f(θ) when maximize)::

    g ← g + weight_decay·θ
    b ← g on the first step, then momentum·b + (1 − dampening)·g      (with momentum only)
    g ← g + momentum·b if nesterov else b
    θ ← θ − lr·g

The arithmetic runs in the backend's ``sgd_update`` primitive.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """θ ← θ − lr·g, optionally with (Nesterov) momentum; ``state[p]['momentum_buffer']`` is b."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` when one is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p] if momentum != 0 else None
                buf = state.get("momentum_buffer") if state is not None else None
                new_buf = p._backend.sgd_update(
                    p.data, p.grad.data, None if buf is None else buf.data, group["lr"],
                    group["weight_decay"], momentum, group["dampening"], group["nesterov"],
                    group["maximize"])
                if state is not None and buf is None:
                    state["momentum_buffer"] = Tensor(new_buf, backend=p._backend)
                p._version_counter.value += 1
        return loss
