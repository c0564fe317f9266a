"""Step 4 of the five: backward propagation through the recorded graph.

The engine walks the graph from the outputs to the leaves in topological order, so that a node
runs only once every node that uses its outputs has sent its gradient (the chain rule needs the
*total* gradient of a value before passing it on). Gradients arriving at the same output slot are
added; leaves receive theirs through ``AccumulateGrad``. The walk is iterative, so a graph of any
depth works without touching Python's recursion limit.
"""

from __future__ import annotations

from typing import Sequence

from . import grad_mode
from .. import dtypes
from .function import AccumulateGrad, Edge, Node, edge_of
from ..tensor import Tensor


def _topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each before the nodes it sends gradients to."""
    order: list[Node] = []
    seen: set[Node] = set()
    for root in roots:
        if root in seen:  # a root may also lie below another root
            continue
        seen.add(root)
        stack = [(root, iter(root.next_edges))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is not None and edge[0] is not None and edge[0] not in seen:
                    seen.add(edge[0])
                    stack.append((edge[0], iter(edge[0].next_edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _needed(order: list[Node], targets: set[Node]) -> set[Node]:
    """The nodes from which some target can be reached: only those need to run."""
    needed: set[Node] = set()
    for node in reversed(order):
        if node in targets or any(e is not None and e[0] in needed for e in node.next_edges):
            needed.add(node)
    return needed


def _check_gradient(node: Node, index: int, grad: Tensor, shape: tuple, dtype: object) -> Tensor:
    """Refuse a gradient whose shape differs from its input's; cast it to the input's dtype."""
    if grad.data.shape != shape:
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
        )
    if grad.data.dtype != dtype:
        grad = grad.to(dtypes.from_numpy(dtype))
    return grad


def run_backward(
    roots: Sequence[tuple[Tensor, Tensor]],
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Tensor | None]:
    """Propagate ``(output, gradient)`` pairs back through the graph.

    ``capture`` lists tensors whose total gradient is returned (``autograd.grad`` and
    ``backward(inputs=...)``); when given, only the nodes that lead to them run. ``accumulate``
    says whether leaves add their gradient into ``.grad``.
    """
    buffers: dict[Node, list[Tensor | None]] = {}
    root_nodes = []
    for index, (tensor, grad) in enumerate(roots):
        if not tensor.requires_grad:
            raise RuntimeError(
                f"element {index} of tensors does not require grad and does not have a grad_fn"
            )
        node, nr = edge_of(tensor)
        root_nodes.append(node)
        _add_to(buffers, (node, nr), grad)

    capture_edges: list[Edge] = [edge_of(t) for t in capture] if capture is not None else []
    wanted = {edge for edge in capture_edges}
    order = _topological_order(root_nodes)
    needed = _needed(order, {node for node, _ in wanted}) if capture is not None else None
    captured: dict[Edge, Tensor] = {}

    with grad_mode.set_grad_enabled(create_graph):
        for node in order:
            grads = buffers.pop(node, None)
            if grads is None or (needed is not None and node not in needed):
                continue
            if node.pre_hooks or node.retained:
                grads = _run_prehooks(node, grads)
            if wanted:
                for nr, grad in enumerate(grads):
                    if (node, nr) in wanted and grad is not None:
                        captured[(node, nr)] = grad
            if isinstance(node, AccumulateGrad):
                if accumulate and grads[0] is not None:
                    node.accumulate(grads[0], create_graph)
                continue
            _run_node(node, grads, buffers, retain_graph)
    return [captured.get(edge) for edge in capture_edges]


def _add_to(buffers: dict, edge: Edge, grad: Tensor) -> None:
    """Add ``grad`` to what has already arrived at this output slot."""
    node, nr = edge
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * len(node.output_meta)
    slots[nr] = grad if slots[nr] is None else slots[nr] + grad


def _run_prehooks(node: Node, grads: list[Tensor | None]) -> list[Tensor | None]:
    """Tensor hooks (``register_hook``) then ``retain_grad`` on the gradient of each output."""
    if node.pre_hooks:
        for nr, hooks in node.pre_hooks.items():
            for hook in list(hooks):
                if grads[nr] is not None:
                    result = hook(grads[nr])
                    if result is not None:
                        grads[nr] = result
    if node.retained:
        for nr, ref in node.retained.items():
            tensor = ref()
            if tensor is not None and grads[nr] is not None:
                grad = grads[nr] if grad_mode._enabled else grads[nr].detach()
                tensor.grad = grad if tensor.grad is None else tensor.grad + grad
    return grads


def _run_node(node: Node, grads: list[Tensor | None], buffers: dict, retain_graph: bool) -> None:
    """Call ``node.backward`` and send each input's gradient along its edge."""
    if len(grads) > 1:  # an output nobody used gets a zero gradient
        for nr, grad in enumerate(grads):
            if grad is None:
                shape, dtype = node.output_meta[nr]
                grads[nr] = Tensor(node.backend.zeros(shape, dtype), backend=node.backend)
    results = node.backward(node, *grads)
    if type(results) is not tuple:
        results = (results,)
    if len(results) != len(node.next_edges):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(node.next_edges)}, got {len(results)})"
        )
    if not retain_graph:
        node.saved = None
    for index, (edge, grad) in enumerate(zip(node.next_edges, results)):
        if edge is None or grad is None:
            continue
        target, nr = edge
        if target is None:
            continue
        shape, dtype = target.output_meta[nr]
        if grad.data.shape != shape or grad.data.dtype != dtype:
            grad = _check_gradient(node, index, grad, shape, dtype)
        slots = buffers.get(target)
        if slots is None:
            slots = buffers[target] = [None] * len(target.output_meta)
        slots[nr] = grad if slots[nr] is None else slots[nr] + grad
