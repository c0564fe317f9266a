"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that shares the memory of ``data`` and requires grad by default.

    Assigning a Parameter as an attribute of a ``Module`` registers it: it then shows in
    ``parameters()``, ``named_parameters()`` and ``state_dict()``.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        Tensor.__init__(self, data.data, backend=data._backend)
        self._version_counter = data._version_counter
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return Parameter, (self.detach(), self._requires_grad)


__all__ = ["Parameter"]
