"""DataLoader: batches of samples from a data set, in order or shuffled, as torch's (one process)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from ...generator import Generator
from .collate import default_collate, default_convert
from .dataset import Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]


def _fast_batch(dataset: Any, indices: list[int]) -> list | None:
    """One indexing per tensor instead of one per sample, for (subsets of) TensorDatasets.

    It gives what ``default_collate`` of the samples gives (a list with one stacked tensor per
    tensor of the data set), without building and stacking ``len(indices)`` small tensors.
    """
    if type(dataset) is Subset and type(dataset.dataset) is TensorDataset:
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    return [tensor[indices] for tensor in dataset.tensors]


class DataLoader:
    """Iterate over ``dataset`` in batches: ``for inputs, targets in loader: ...``.

    ``shuffle=True`` visits a new random permutation on every pass, drawn from ``generator``
    (or, without one, from a seed taken from the global random state). ``drop_last`` drops a
    last incomplete batch. ``batch_size=None`` yields single samples. Loading runs in the main
    process: ``num_workers`` other than 0 is not implemented.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[int] | None = None, batch_sampler: Iterable[list[int]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False,
                 generator: Generator | None = None) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if num_workers > 0:
            raise NotImplementedError(f"num_workers={num_workers}: minigrad loads data in the main "
                                      "process only; use num_workers=0")
        if pin_memory:
            raise NotImplementedError("pin_memory=True: minigrad has no pinned memory")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        fast = self.collate_fn is default_collate
        for indices in self.batch_sampler:
            batch = _fast_batch(self.dataset, indices) if fast else None
            yield batch if batch is not None else self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        if self.batch_sampler is None:
            return len(self.sampler)  # type: ignore[arg-type]
        return len(self.batch_sampler)  # type: ignore[arg-type]
