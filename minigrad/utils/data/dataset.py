"""Datasets, as in ``torch.utils.data``: anything with ``__getitem__`` and ``__len__``."""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from typing import Any, Sequence

from ...generator import Generator, seeded_from_global
from ...tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """The base class of map-style data sets: ``dataset[i]`` is the i-th sample."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> Dataset:
        raise NotImplementedError("ConcatDataset (dataset + dataset) is not implemented in minigrad")


class TensorDataset(Dataset):
    """Sample i is ``(t[i] for t in tensors)``; the tensors share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if any(tensors[0].size(0) != tensor.size(0) for tensor in tensors):
            sizes = [tuple(tensor.shape) for tensor in tensors]
            raise AssertionError(f"Size mismatch between tensors: first dimensions of {sizes} differ")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list[int]:
    """floor(total·f) for each fraction, then the remainder dealt one by one from the first split."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(total * fraction))
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping Subsets of the given lengths or fractions.

    Fractions summing to 1 become ``floor(len·f)`` items each, the remainder dealt round-robin.
    Without ``generator`` the permutation follows the global seed (``minigrad.manual_seed``).
    """
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _lengths_from_fractions(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, numbers.Integral):
            raise TypeError(f"random_split: length at index {i} must be an int, but got {length!r}")
        if length < 0:
            raise ValueError(f"random_split: length at index {i} is negative ({length})")
    permutation = (generator or seeded_from_global()).randperm(len(dataset)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, permutation[end - length:end]) for end, length in zip(ends, lengths)]
