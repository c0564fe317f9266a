"""The Tensor: a backend array plus what autograd needs to know about it.

A Tensor is thin. It holds ``data`` (the backend's array), ``requires_grad``, ``grad``, ``grad_fn``
(the graph node that produced it, None for a leaf) and a version counter that in-place operations
bump. Every mathematical method forwards to ``minigrad.ops``; the list of those methods is at the
end of this file.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterator

from . import backends, dtypes


class Size(tuple):
    """A tensor's shape: a tuple of ints, printed as torch prints ``torch.Size``."""

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        count = 1
        for n in self:
            count *= n
        return count


class device:
    """Where a tensor lives: the name of its backend (``numpy``, ``numba``, ``cuda``)."""

    def __init__(self, type: str) -> None:
        self.type = backends.get_backend(type).name

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other if isinstance(other, device) else device(str(other)))

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"


class VersionCounter:
    """How many times a tensor (and the views that share its memory) changed in place."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = ("data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_version_counter",
                 "_base", "_backend", "_hooks", "_accumulator", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, backend: Any = None) -> None:
        backend = backend or backends._default
        if type(data) is not backend.array_type:
            data = backend.as_array(data)
        self.data = data
        self._requires_grad = requires_grad
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = VersionCounter()
        self._base: Tensor | None = None
        self._backend = backend
        self._hooks: list[Callable] | None = None
        self._accumulator = None

    # what a tensor is
    @property
    def shape(self) -> Size:
        return Size(self.data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of one dimension."""
        if dim is None:
            return self.shape
        return self.data.shape[_ops.wrap_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy(self.data.dtype)

    @property
    def device(self) -> device:
        return device(self._backend.name)

    def is_floating_point(self) -> bool:
        """Whether the dtype is float32 or float64."""
        return self.data.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.data.dtype.itemsize

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """Elements to skip to move one step along each dimension."""
        strides = self._backend.strides(self.data)
        return strides if dim is None else strides[_ops.wrap_dim(dim, self.ndim)]

    @property
    def T(self) -> Tensor:
        """All dims reversed (the transpose, for a matrix)."""
        return _ops.permute(self, tuple(reversed(range(self.ndim))))

    def is_contiguous(self) -> bool:
        """Whether the elements are laid out in row-major order without gaps."""
        return self._backend.is_contiguous(self.data)

    # autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def is_leaf(self) -> bool:
        """A leaf was created by the user, not by a recorded operation."""
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._version_counter.value

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and bool(self.grad_fn.retained) and self._output_nr in self.grad_fn.retained

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, "
                f"got {self.dtype.name}"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and version counter)."""
        out = Tensor(self.data, backend=self._backend)
        out._version_counter = self._version_counter
        return out

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        if self.grad_fn.retained is None:
            self.grad_fn.retained = {}
        self.grad_fn.retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            hooks.append(hook)
            return RemovableHandle(lambda: hook in hooks and hooks.remove(hook))
        return RemovableHandle(self.grad_fn.register_prehook(self._output_nr, hook))

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves (step 4)."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # changing dtype or backend
    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False) -> Tensor:
        """This tensor with another dtype and/or device: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)`` or ``to(other)``; itself when nothing changes (unless ``copy``)."""
        dtype, device = to_arguments(args, dtype, device)
        out = self
        if device is not None:
            target = backends.get_backend(str(device))
            if target is not self._backend:  # a view between host backends, else a copy
                same_memory = target.array_type is self._backend.array_type
                out = (_ops.ToBackend if same_memory else _ops.CopyToBackend).apply(out, target)
        if dtype is not None:
            out = _ops.cast(out, dtypes.to_dtype(dtype))
        if copy and out is self:
            out = _ops.clone(self)
        return out

    def float(self) -> Tensor:
        """This tensor as float32."""
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        """This tensor as float64."""
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        """This tensor as int64."""
        return self.to(dtypes.int64)

    def bool(self) -> Tensor:
        """This tensor as bool."""
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor with ``other``'s dtype."""
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        """This tensor on the host: itself when it is there, else a copy on the default backend
        when that one is a host backend, else on ``numpy``."""
        host = backends.get_backend("numpy")
        if self._backend.array_type is host.array_type:
            return self
        default = backends._default
        return self.to((default if default.array_type is host.array_type else host).name)

    def cuda(self) -> Tensor:
        """This tensor on the GPU (a copy, unless it is there already)."""
        return self.to("cuda")

    @property
    def is_cuda(self) -> bool:
        return self._backend.name == "cuda"

    # leaving minigrad
    def item(self) -> float | int | bool:
        """The single value of a one-element tensor, as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar"
            )
        return self._backend.to_numpy(self.data).reshape(()).item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self._backend.to_numpy(self.data).tolist()

    def numpy(self) -> Any:
        """The values as a NumPy array (refused on the GPU and while the tensor requires grad,
        as in torch)."""
        if self._backend.array_type is not backends.get_backend("numpy").array_type:
            raise TypeError(f"can't convert {self.device}:0 device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._backend.to_numpy(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.numel()} elements is ambiguous"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return _format.tensor_repr(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol"
            )
        out = type(self).__new__(type(self))
        Tensor.__init__(out, self._backend.copy(self.data), self._requires_grad, self._backend)
        memo[id(self)] = out
        return out

    # Python operators (reflected ones put the number first)
    def __neg__(self) -> Tensor: return _ops.neg(self)
    def __abs__(self) -> Tensor: return _ops.abs(self)
    def __add__(self, other: Any) -> Tensor: return _ops.add(self, other)
    def __radd__(self, other: Any) -> Tensor: return _ops.add(other, self)
    def __sub__(self, other: Any) -> Tensor: return _ops.sub(self, other)
    def __rsub__(self, other: Any) -> Tensor: return _ops.sub(other, self)
    def __mul__(self, other: Any) -> Tensor: return _ops.mul(self, other)
    def __rmul__(self, other: Any) -> Tensor: return _ops.mul(other, self)
    def __truediv__(self, other: Any) -> Tensor: return _ops.div(self, other)
    def __rtruediv__(self, other: Any) -> Tensor: return _ops.div(other, self)
    def __floordiv__(self, other: Any) -> Tensor: return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other: Any) -> Tensor: return _ops.floor_divide(other, self)
    def __pow__(self, other: Any) -> Tensor: return _ops.pow(self, other)
    def __rpow__(self, other: Any) -> Tensor: return _ops.pow(other, self)
    def __matmul__(self, other: Any) -> Tensor: return _ops.matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return _ops.matmul(other, self)
    def __eq__(self, other: Any) -> Tensor: return _ops.eq(self, other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return _ops.ne(self, other)  # type: ignore[override]
    def __lt__(self, other: Any) -> Tensor: return _ops.lt(self, other)
    def __le__(self, other: Any) -> Tensor: return _ops.le(self, other)
    def __gt__(self, other: Any) -> Tensor: return _ops.gt(self, other)
    def __ge__(self, other: Any) -> Tensor: return _ops.ge(self, other)
    def __and__(self, other: Any) -> Tensor: return _ops.bitwise_and(self, other)
    def __rand__(self, other: Any) -> Tensor: return _ops.bitwise_and(other, self)
    def __or__(self, other: Any) -> Tensor: return _ops.bitwise_or(self, other)
    def __ror__(self, other: Any) -> Tensor: return _ops.bitwise_or(other, self)
    def __xor__(self, other: Any) -> Tensor: return _ops.bitwise_xor(self, other)
    def __rxor__(self, other: Any) -> Tensor: return _ops.bitwise_xor(other, self)
    def __invert__(self) -> Tensor: return _ops.bitwise_not(self)
    def __getitem__(self, index: Any) -> Tensor: return _ops.getitem(self, index)
    def __setitem__(self, index: Any, value: Any) -> None: _ops.setitem_(self, index, value)
    def __iadd__(self, other: Any) -> Tensor: return _ops.add_(self, other)
    def __isub__(self, other: Any) -> Tensor: return _ops.sub_(self, other)
    def __imul__(self, other: Any) -> Tensor: return _ops.mul_(self, other)
    def __itruediv__(self, other: Any) -> Tensor: return _ops.div_(self, other)


def to_arguments(args: tuple, dtype: Any, device: Any) -> tuple[Any, Any]:
    """The dtype and device meant by ``to(...)``'s positional arguments: a dtype, a device, both,
    or a tensor whose dtype and device to take."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, dtypes.dtype):
            dtype = arg
        else:
            device = arg
    return dtype, device


class RemovableHandle:
    """Returned by ``register_hook``; ``handle.remove()`` takes the hook away."""

    def __init__(self, remove: Callable[[], Any]) -> None:
        self._remove = remove

    def remove(self) -> None:
        """Take the hook away."""
        self._remove()


# The ops need the Tensor class, so they are imported once it exists.
from . import _format, autograd  # noqa: E402
from . import ops as _ops  # noqa: E402

for _name in _ops.TENSOR_METHODS:
    setattr(Tensor, _name, getattr(_ops, _name))
