"""RMSprop: divide the gradient by a moving root mean square of its recent values.

torch's single-tensor update, with g = ∇f(θ) (−∇f(θ) when maximize) and no bias correction::

    g ← g + weight_decay·θ
    s ← α·s + (1 − α)·g²
    avg ← √(s − ḡ²) + eps with ḡ ← ḡ + (1 − α)·(g − ḡ)   (centered)   else   √s + eps
    b ← momentum·b + g/avg;  θ ← θ − lr·b       (momentum > 0)   else   θ ← θ − lr·g/avg

The arithmetic runs in the backend's ``rmsprop_update`` primitive.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..creation import zeros_like
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop; state: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered)."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` when one is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = self._new_step()
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if centered:
                        state["grad_avg"] = zeros_like(p)
                self._step_count(state)
                p._backend.rmsprop_update(
                    p.data, p.grad.data, state["square_avg"].data,
                    state["grad_avg"].data if centered else None,
                    state["momentum_buffer"].data if momentum > 0 else None, group["lr"],
                    group["alpha"], group["eps"], group["weight_decay"], momentum,
                    group["maximize"])
                p._version_counter.value += 1
        return loss
