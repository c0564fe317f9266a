"""Adam and AdamW: moving averages of the gradient and of its square, with bias correction.

torch's single-tensor update at step t, with g = ∇f(θ) (−∇f(θ) when maximize)::

    g ← g + weight_decay·θ                  (Adam)      θ ← θ·(1 − lr·weight_decay)   (AdamW)
    m ← m + (1 − β1)·(g − m)                (a lerp)
    v ← β2·v + (1 − β2)·g²
    v̂ ← max(v̂, v) with amsgrad, else v
    θ ← θ − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)

The bias corrections are Python floats computed here; eps is added *after* the correction. The
arithmetic on the arrays runs in the backend's ``adam_update`` primitive.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..creation import zeros_like
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam; ``decoupled_weight_decay=True`` makes it AdamW. State: step, exp_avg, exp_avg_sq."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if isinstance(betas[0], Tensor) or isinstance(betas[1], Tensor):
            raise NotImplementedError(f"{type(self).__name__}: Tensor betas (use Python floats)")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` when one is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            amsgrad = group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = self._new_step()
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_like(p)
                step = self._step_count(state)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                p._backend.adam_update(
                    p.data, p.grad.data, state["exp_avg"].data, state["exp_avg_sq"].data,
                    state["max_exp_avg_sq"].data if amsgrad else None, lr, beta1, beta2,
                    group["eps"], group["weight_decay"], group["decoupled_weight_decay"],
                    group["maximize"], lr / bias_correction1, bias_correction2**0.5)
                p._version_counter.value += 1
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (θ shrinks by lr·weight_decay before the moments)."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As ``Optimizer.load_state_dict``; the weight decay stays decoupled, as in torch."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
