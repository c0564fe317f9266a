"""Step 1 of the five: ``Function.apply`` records one node of the graph per operation.

A Function subclass is one differentiable operation with its two halves side by side:

* ``forward(ctx, *args)`` computes on raw backend arrays (fast, no graph);
* ``backward(ctx, *grads)`` is written with Tensor operations, so that with ``create_graph=True``
  the backward pass records a graph of its own (higher-order gradients come for free).

The instance created by ``apply`` is both the ``ctx`` the two halves share and the graph node
(``tensor.grad_fn``). It holds, for each argument of ``forward``, an edge ``(node, output_nr)`` to
the node that produced that argument (or the ``AccumulateGrad`` of a leaf), and the tensors saved
for backward. Nothing in a node points back to its outputs, so the graph has no reference cycles
and is freed by reference counting as soon as its output is dropped.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any, Callable

from . import grad_mode
from ..tensor import Tensor

Edge = tuple["Node", int]
_NO_GRADIENT = (None, 0)  # the edge of a tensor input that does not require grad
# The reference counts AccumulateGrad reads are those of these CPython versions (later versions
# may borrow references without counting them): elsewhere it always copies the first gradient.
_REFCOUNTS_KNOWN = sys.implementation.name == "cpython" and (3, 10) <= sys.version_info[:2] <= (3, 13)


class Node:
    """What the engine needs from a node: edges to the inputs' nodes, and ``backward``."""

    next_edges: tuple[Edge | None, ...] = ()
    pre_hooks: dict[int, list[Callable]] | None = None
    retained: dict[int, weakref.ref] | None = None

    def name(self) -> str:
        """torch's name for this node, such as ``MulBackward``."""
        return f"{type(self).__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """The edges as torch shows them: ``(node, output_nr)`` per tensor input, ``(None, 0)``
        for a tensor input that does not require grad."""
        return tuple(e for e in self.next_edges if e is not None)

    def register_prehook(self, output_nr: int, hook: Callable) -> Callable[[], None]:
        """Run ``hook(grad)`` on the gradient of output ``output_nr`` before ``backward``."""
        if self.pre_hooks is None:
            self.pre_hooks = {}
        hooks = self.pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return lambda: hooks.remove(hook) if hook in hooks else None


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self.output_meta = ((variable.data.shape, variable.data.dtype),)

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def pre_hooks(self) -> dict[int, list[Callable]] | None:
        """The leaf's own hooks (``register_hook`` on a leaf) run on its total gradient."""
        return {0: self.variable._hooks} if self.variable._hooks else None

    def accumulate(self, grad: Tensor, create_graph: bool) -> None:
        """``variable.grad += grad``, keeping a graph only under ``create_graph``.

        The first gradient is stored as it is when nothing else can see it (torch's rule: it
        keeps a fresh gradient without copying it); otherwise ``.grad`` gets a copy, so that
        changing it in place never changes a tensor the user (or a hook) holds."""
        variable = self.variable
        if variable.grad is None and not create_graph:
            data = grad.data
            # held by nobody else: a host array that owns its memory (NumPy's `base` is None;
            # device arrays, which may share memory without saying so, are always copied), only
            # this Tensor (plus `data` and getrefcount's argument) refers to it, and the Tensor
            # only the engine's list of gradients and this call (plus getrefcount's argument).
            alone = (_REFCOUNTS_KNOWN and hasattr(type(data), "base") and data.base is None
                     and sys.getrefcount(data) == 3 and sys.getrefcount(grad) == 3)
            variable.grad = Tensor(data if alone else grad._backend.copy(data), backend=grad._backend)
        elif variable.grad is None:
            variable.grad = grad
        else:
            with grad_mode.set_grad_enabled(create_graph):
                variable.grad = variable.grad + (grad if create_graph else grad.detach())


def accumulator_of(leaf: Tensor) -> AccumulateGrad:
    """The one AccumulateGrad of a leaf, kept alive by the nodes that point to it."""
    accumulator = leaf._accumulator() if leaf._accumulator is not None else None
    if accumulator is None:
        accumulator = AccumulateGrad(leaf)
        leaf._accumulator = weakref.ref(accumulator)
    return accumulator


def edge_of(tensor: Tensor) -> Edge | None:
    """Where the gradient of ``tensor`` must go: its grad_fn's output slot, or its accumulator."""
    if not tensor._requires_grad:
        return None
    if tensor.grad_fn is not None:
        return (tensor.grad_fn, tensor._output_nr)
    return (accumulator_of(tensor), 0)


def _modified_error(node: Node, data: Any, saved_version: int, version: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [minigrad.{data.dtype} {list(data.shape)}], which is an input or output of "
        f"{node.name()}, is at version {version}; expected version {saved_version} instead"
    )


class SavedOutput:
    """An output of the node kept for backward, as its array only: keeping the Tensor would make
    a cycle (output → grad_fn → output). It becomes a Tensor again, with this node as grad_fn,
    when unpacked. (An input is kept as a ``(tensor, version)`` pair.)"""

    __slots__ = ("data", "version_counter", "version", "output_nr")

    def __init__(self, tensor: Tensor, output_nr: int) -> None:
        self.data, self.output_nr = tensor.data, output_nr
        self.version_counter = tensor._version_counter
        self.version = tensor._version_counter.value

    def unpack(self, node: Function) -> Tensor:
        """The output again, after checking that nothing changed it in place since."""
        if self.version_counter.value != self.version:
            raise _modified_error(node, self.data, self.version, self.version_counter.value)
        out = Tensor(self.data, True, node.backend)
        out.grad_fn, out._output_nr, out._version_counter = node, self.output_nr, self.version_counter
        return out


def _unpack(node: Function, saved: Any) -> Any:
    """One saved value for backward: inputs and outputs are checked for in-place changes."""
    if type(saved) is tuple:
        tensor, version = saved
        if tensor._version_counter.value != version:
            raise _modified_error(node, tensor.data, version, tensor._version_counter.value)
        return tensor
    if type(saved) is SavedOutput:
        return saved.unpack(node)
    return saved


_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Function(Node):
    """Base class of every differentiable operation; subclasses define forward and backward."""

    is_view = False  # True when the output shares memory with the first argument

    @staticmethod
    def forward(ctx: Function, *args: Any) -> Any:
        """Compute the output array(s) from the argument arrays."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Function, *grads: Tensor) -> Any:
        """Return the gradient of each argument of forward (None where there is none)."""
        raise NotImplementedError

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep these arrays for backward; inputs and outputs are kept as graph tensors."""
        self.to_save = arrays

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """The saved values as Tensors, refused after the graph was freed or changed in place."""
        if self.saved is None:
            raise RuntimeError(_FREED)
        return tuple(_unpack(self, saved) for saved in self.saved)

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward on the arrays of ``args`` and, when recording, link the output to the graph."""
        backend = None
        arrays = []
        needs = []
        for arg in args:
            if isinstance(arg, Tensor):
                if backend is None:
                    backend = arg._backend
                elif arg._backend is not backend:
                    raise RuntimeError(
                        "Expected all tensors to be on the same device, but found at least two "
                        f"devices, {backend.name} and {arg._backend.name}!"
                    )
                needs.append(arg._requires_grad)
                arrays.append(arg.data)
            else:
                needs.append(False)
                arrays.append(arg)
        ctx = cls()
        ctx.backend = backend
        record = grad_mode._enabled and True in needs
        if record:
            ctx.needs_input_grad = tuple(needs)
        result = cls.forward(ctx, *arrays)
        backend = ctx.backend  # forward may change it (ToBackend moves data to another backend)
        if type(result) is tuple:
            outputs = tuple(Tensor(r, record and r.dtype.kind == "f", backend) for r in result)
        else:
            outputs = (Tensor(result, record and result.dtype.kind == "f", backend),)
        if cls.is_view:
            base = args[0]
            for out in outputs:
                out._version_counter = base._version_counter
                out._base = base if base._base is None else base._base
        if record:
            ctx.link(args, arrays, result, outputs)
        return outputs if type(result) is tuple else outputs[0]

    to_save: tuple = ()

    def link(self, args: tuple, arrays: list, result: Any, outputs: tuple[Tensor, ...]) -> None:
        """Make this node the grad_fn of the outputs and record edges and saved tensors."""
        raw = result if type(result) is tuple else (result,)
        edges = []
        for arg, needed in zip(args, self.needs_input_grad):
            if not needed:
                edges.append(_NO_GRADIENT if isinstance(arg, Tensor) else None)
            elif arg.grad_fn is not None:
                edges.append((arg.grad_fn, arg._output_nr))
            else:
                edges.append((accumulator_of(arg), 0))
        self.next_edges = tuple(edges)
        self.output_meta = tuple([(r.shape, r.dtype) for r in raw])
        for nr, out in enumerate(outputs):
            if out._requires_grad:
                out.grad_fn, out._output_nr = self, nr
        if self.to_save:
            self.saved = tuple(self._keep(value, args, arrays, raw, outputs) for value in self.to_save)
            self.to_save = ()
        else:
            self.saved = ()

    def _keep(self, value: Any, args: tuple, arrays: list, raw: tuple, outputs: tuple[Tensor, ...]) -> Any:
        """One saved array as an input's ``(tensor, version)``, a SavedOutput, or a constant."""
        if value is None or not hasattr(value, "dtype"):
            return value
        for arg, array in zip(args, arrays):
            if array is value and isinstance(arg, Tensor):
                return (arg, arg._version_counter.value)
        for nr, (array, out) in enumerate(zip(raw, outputs)):
            if array is value:
                return SavedOutput(out, nr) if out._requires_grad else out
        return Tensor(value, False, self.backend)
