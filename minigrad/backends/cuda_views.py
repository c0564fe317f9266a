"""The cuda backend's shapes, views and indexing.

A view of a device array is the same memory read with another shape, other strides and another
first element: reshape, transpose, broadcast and basic indexing (ints, slices, None) only compute
those on the host and launch nothing. The strides of a reshape are NumPy's own answer, asked of a
stand-in NumPy array that has x's shape and strides over a single element (never read), so the
cuda backend's views have exactly the numpy backend's strides.

Advanced indexing (index arrays) computes an int64 offset per result element with elementwise
kernels, then moves the data with ``kernels/cuda/advanced_index.py``. Boolean masks are turned
into index arrays on the host (their result's size depends on the data, as in torch, which
synchronises there too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import cuda

from kernels.cuda import advanced_index, creation, elementwise
from kernels.cuda import index as index_kernels
from kernels.cuda.device import (
    broadcast_strides,
    element_strides,
    flat_storage,
    is_device_array,
    strided_view,
)

from .base import Array, Shape


def _stand_in(x: Array) -> np.ndarray:
    """A NumPy array with x's shape, strides and dtype over one element: NumPy computes the
    layout of a reshape or tells contiguity from it, reading nothing."""
    return np.lib.stride_tricks.as_strided(np.empty(1, x.dtype), tuple(x.shape), tuple(x.strides))


def _view(x: Array, offset: int, shape: Shape, strides: Shape) -> Array:
    """The view of x's memory that starts ``offset`` elements after x's first element."""
    flat, _ = flat_storage(x)
    return strided_view(flat[offset:] if offset else flat, tuple(shape), tuple(strides))


class CudaViews:
    """Shapes, views and indexing of device arrays."""

    # shapes and views
    def reshape(self, x: Array, shape: Shape) -> Array:
        try:
            return self.reshape_view(x, shape)
        except ValueError:
            return self.reshape_view(elementwise.copy(x), shape)

    def reshape_view(self, x: Array, shape: Shape) -> Array:
        layout = np.reshape(_stand_in(x), shape, copy=False)  # ValueError when no view fits
        return _view(x, 0, layout.shape, tuple(s // x.dtype.itemsize for s in layout.strides))

    def transpose(self, x: Array, axes: Sequence[int]) -> Array:
        strides = element_strides(x)
        return _view(x, 0, tuple(x.shape[a] for a in axes), tuple(strides[a] for a in axes))

    def broadcast_to(self, x: Array, shape: Shape) -> Array:
        flat, strides = broadcast_strides(x, tuple(shape))
        return strided_view(flat, tuple(shape), strides)

    def concatenate(self, xs: Sequence[Array], axis: int) -> Array:
        axis %= xs[0].ndim
        shape = list(xs[0].shape)
        shape[axis] = sum(x.shape[axis] for x in xs)
        out = cuda.device_array(tuple(shape), xs[0].dtype)
        start = 0
        for x in xs:
            window = (slice(None),) * axis + (slice(start, start + x.shape[axis]),)
            elementwise.copy_into(self.getitem(out, window), x)
            start += x.shape[axis]
        return out

    def stack(self, xs: Sequence[Array], axis: int) -> Array:
        axis %= xs[0].ndim + 1
        index = (slice(None),) * axis + (None,)
        return self.concatenate([self.getitem(x, index) for x in xs], axis)

    # indexing
    def getitem(self, x: Array, index: Any) -> Array:
        arrays = self._index_arrays(x, index)
        if arrays is None:
            return self._basic_view(x, index)
        flat, _ = flat_storage(x)
        return advanced_index.take(flat, self._offsets(x, arrays))

    def setitem(self, x: Array, index: Any, value: Any) -> None:
        arrays = self._index_arrays(x, index)
        if arrays is None:
            elementwise.copy_into(self._basic_view(x, index), value)
        else:
            advanced_index.put(flat_storage(x)[0], self._offsets(x, arrays), value, False)

    def add_at(self, x: Array, index: Any, values: Array) -> None:
        arrays = self._index_arrays(x, index)
        if arrays is None:
            view = self._basic_view(x, index)
            elementwise.copy_into(view, self.add(view, values))
        else:
            advanced_index.put(flat_storage(x)[0], self._offsets(x, arrays), values, True)

    def take(self, x: Array, index: Array, axis: int) -> Array:
        axis %= x.ndim
        out = index_kernels.take(x, index, axis)
        return self.reshape(out, tuple(x.shape[:axis]) + tuple(index.shape) + tuple(x.shape[axis + 1:]))

    def gather(self, x: Array, axis: int, index: Array) -> Array:
        return index_kernels.gather(x, axis, index)

    def scatter_add(self, x: Array, axis: int, index: Array, src: Array) -> None:
        index_kernels.scatter_add(x, axis, index, src)

    @staticmethod
    def _items(ndim: int, index: Any) -> list[Any]:
        """The index as a list of items with its ``...`` expanded into full slices."""
        items = list(index) if isinstance(index, tuple) else [index]
        if any(item is Ellipsis for item in items):
            at = next(i for i, item in enumerate(items) if item is Ellipsis)
            used = sum(0 if item is None or item is Ellipsis else
                       item.ndim if getattr(item, "dtype", None) == np.bool_ else 1
                       for item in items)
            items[at:at + 1] = [slice(None)] * (ndim - used)
        return items

    def _basic_view(self, x: Array, index: Any) -> Array:
        """x[ints, slices, None, ...] as a view: offset, shape and strides computed here."""
        strides, shape, new_shape, new_strides = element_strides(x), tuple(x.shape), [], []
        offset, dim = 0, 0
        for item in self._items(x.ndim, index):
            if item is None:
                new_shape.append(1)
                new_strides.append(0)
                continue
            if isinstance(item, slice):
                start, stop, step = item.indices(shape[dim])
                if step <= 0:
                    raise ValueError("negative slice steps are not supported")
                length = len(range(start, stop, step))
                offset += start * strides[dim] if length else 0
                new_shape.append(length)
                new_strides.append(strides[dim] * step)
            else:
                offset += (int(item) % shape[dim]) * strides[dim]
            dim += 1
        size = int(np.prod(new_shape + list(shape[dim:]), dtype=np.int64))
        return _view(x, offset if size else 0, tuple(new_shape) + shape[dim:],
                     tuple(new_strides) + strides[dim:])

    def _index_arrays(self, x: Array, index: Any) -> list[Any] | None:
        """None for a basic index; else one item per dim of x: an int64 device array, or a full
        slice. A boolean mask becomes its nonzero positions (a host round trip: the result's size
        depends on the data)."""
        items = self._items(x.ndim, index)
        if not any(is_device_array(i) or isinstance(i, (np.ndarray, list)) for i in items):
            return None
        found: list[Any] = []
        for item in items:
            if isinstance(item, slice) and item == slice(None):
                found.append(item)
                continue
            if not (is_device_array(item) or isinstance(item, (np.ndarray, list))):
                raise NotImplementedError("the cuda backend mixes index arrays with full slices "
                                          f"only, not with {item!r}")
            array = self.as_array(item)
            if array.dtype.kind == "b":
                found += [self.as_array(p) for p in np.nonzero(self.to_numpy(array))]
            else:
                found.append(self.astype(array, np.int64))
        return found + [slice(None)] * (x.ndim - len(found))

    def _offsets(self, x: Array, items: list[Any]) -> Array:
        """The int64 offset, in x's flat storage, of every element of x[items] (NumPy's rules:
        the index arrays broadcast together; their dims go where they stand when adjacent, else
        in front)."""
        strides, shape = element_strides(x), tuple(x.shape)
        where = [d for d, item in enumerate(items) if not isinstance(item, slice)]
        try:
            np.broadcast_shapes(*(tuple(items[d].shape) for d in where))
        except ValueError:
            shapes = ", ".join(str(list(items[d].shape)) for d in where)
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             f"with shapes {shapes}") from None
        picked = 0
        for d in where:  # Σ wrap(index)·stride over the indexed dims
            index = items[d]
            wrapped = elementwise.where(elementwise.compare("lt", index, 0),
                                        elementwise.binary("add", index, shape[d]), index)
            picked = elementwise.binary("add", elementwise.binary("mul", wrapped, strides[d]),
                                        picked)
        batch = tuple(picked.shape)
        adjacent = where == list(range(where[0], where[-1] + 1))
        rest = [d for d in range(len(shape)) if d not in where]
        before = [d for d in rest if d < where[0]] if adjacent else []
        after = [d for d in rest if d not in before]
        result = [shape[d] for d in before] + list(batch) + [shape[d] for d in after]
        lead = len(before)
        offsets = self.reshape(picked, (1,) * lead + batch + (1,) * len(after))
        for position, d in enumerate(before + after):
            at = position if position < lead else position + len(batch)
            along = [1] * len(result)
            along[at] = shape[d]
            steps = elementwise.binary("mul", creation.arange(0, shape[d], 1, np.int64), strides[d])
            offsets = elementwise.binary("add", offsets, self.reshape(steps, tuple(along)))
        return elementwise.contiguous(self.broadcast_to(offsets, tuple(result)))
