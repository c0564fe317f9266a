"""utils.data and the built-in data sets: DataLoader batches and collation against torch's,
shuffling, random_split, the shipped digits and the synthetic moons and spirals."""

from __future__ import annotations

import re
import tomllib
import warnings
from collections import Counter, namedtuple
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.datasets.digits import DIGITS_FILE
from .helpers import assert_close, expect_torch_error
from .strategies import seeds, shapes

Point = namedtuple("Point", ["x", "label"])


def assert_same_batch(mine: object, theirs: object, where: str = "batch") -> None:
    """Same container types all the way down, and tensors equal with the same dtype."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(mine, minigrad.Tensor), f"{where}: {type(mine).__name__}, torch gives a tensor"
        assert_close(mine, theirs, family="exact", what=where)
        return
    assert type(mine) is type(theirs), f"{where}: {type(mine).__name__}, torch gives {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert list(mine) == list(theirs), f"{where}: keys {list(mine)}, torch gives {list(theirs)}"
        for key in theirs:
            assert_same_batch(mine[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(mine) == len(theirs), f"{where}: length {len(mine)}, torch gives {len(theirs)}"
        for i, (a, b) in enumerate(zip(mine, theirs)):
            assert_same_batch(a, b, f"{where}[{i}]")
    else:
        assert mine == theirs, f"{where}: {mine!r}, torch gives {theirs!r}"


def both_loaders(dataset_of, **options):
    """The batches of minigrad's and torch's DataLoader over the same data."""
    mine = minigrad.utils.data.DataLoader(dataset_of(minigrad), **options)
    theirs = torch.utils.data.DataLoader(dataset_of(torch), **options)
    assert len(mine) == len(theirs)
    return list(mine), list(theirs)


@given(n=st.integers(0, 9), shape=shapes(max_dims=2), batch_size=st.integers(1, 5),
       drop_last=st.booleans(), seed=seeds)
def test_tensor_dataset_batches_match_torch(backend: str, n: int, shape: tuple, batch_size: int,
                                            drop_last: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    y = rng.integers(0, 10, n)
    mask = rng.random(n) < 0.5

    def dataset(lib):
        return lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y), lib.tensor(mask))

    mine, theirs = both_loaders(dataset, batch_size=batch_size, drop_last=drop_last)
    assert_same_batch(mine, theirs, "batches")


@given(n=st.integers(1, 7), batch_size=st.integers(1, 4), seed=seeds)
def test_subset_of_tensor_dataset_batches_match_torch(backend: str, n: int, batch_size: int,
                                                      seed: int) -> None:
    """The one-indexing-per-tensor path for Subsets gives torch's batches."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    indices = rng.permutation(n)[: max(1, n - 2)].tolist()

    def dataset(lib):
        return lib.utils.data.Subset(lib.utils.data.TensorDataset(lib.tensor(x)), indices)

    mine, theirs = both_loaders(dataset, batch_size=batch_size)
    assert_same_batch(mine, theirs, "batches")


LEAVES = ["float", "int", "bool", "str", "np_scalar", "np_array", "tensor"]
templates = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3).map(tuple),
                            st.lists(inner, min_size=1, max_size=3),
                            st.dictionaries(st.sampled_from("abc"), inner, min_size=1, max_size=3),
                            st.tuples(inner, inner).map(lambda pair: ("point",) + pair)),
    max_leaves=5,
)


def make_sample(template: object, rng: np.random.Generator, lib) -> object:
    """A sample shaped like ``template``, its tensors made by ``lib`` (same values for both)."""
    if isinstance(template, tuple) and template[:1] == ("point",):
        return Point(make_sample(template[1], rng, lib), make_sample(template[2], rng, lib))
    if isinstance(template, (tuple, list)):
        return type(template)(make_sample(item, rng, lib) for item in template)
    if isinstance(template, dict):
        return {key: make_sample(value, rng, lib) for key, value in template.items()}
    return {
        "float": lambda: float(rng.standard_normal()),
        "int": lambda: int(rng.integers(-5, 5)),
        "bool": lambda: bool(rng.random() < 0.5),
        "str": lambda: "s" * int(rng.integers(0, 3)),
        "np_scalar": lambda: np.float32(rng.standard_normal()),
        "np_array": lambda: rng.standard_normal(2),
        "tensor": lambda: lib.tensor(rng.standard_normal((2, 1)).astype(np.float32)),
    }[template]()


@given(template=templates, n=st.integers(1, 5), batch_size=st.integers(1, 3), seed=seeds)
def test_default_collation_matches_torch(backend: str, template: object, n: int, batch_size: int,
                                         seed: int) -> None:
    """Tuples become lists, dicts dicts, namedtuples keep their type, numbers and arrays tensors."""
    def dataset(lib):
        rng = np.random.default_rng(seed)
        return [make_sample(template, rng, lib) for _ in range(n)]

    mine, theirs = both_loaders(dataset, batch_size=batch_size)
    assert_same_batch(mine, theirs, "batches")


@given(template=templates, n=st.integers(1, 4), seed=seeds)
def test_no_batching_matches_torch(backend: str, template: object, n: int, seed: int) -> None:
    """``batch_size=None`` yields each sample, with arrays converted to tensors."""
    def dataset(lib):
        rng = np.random.default_rng(seed)
        return [make_sample(template, rng, lib) for _ in range(n)]

    mine, theirs = both_loaders(dataset, batch_size=None)
    assert_same_batch(mine, theirs, "samples")


@given(n=st.integers(8, 12), batch_size=st.integers(1, 5), seed=seeds)
def test_shuffle_is_a_new_permutation_each_epoch(backend: str, n: int, batch_size: int, seed: int) -> None:
    data = minigrad.utils.data.TensorDataset(minigrad.arange(n))

    def epochs(loader):
        return [np.concatenate([batch.numpy() for (batch,) in loader]).tolist() for _ in range(3)]

    def loader():
        generator = minigrad.Generator().manual_seed(seed)
        return minigrad.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True, generator=generator)

    orders = epochs(loader())
    assert all(sorted(order) == list(range(n)) for order in orders)
    assert len({tuple(order) for order in orders}) == 3, "epochs should be shuffled differently"
    assert epochs(loader()) == orders, "the same seed gives the same epochs"
    minigrad.manual_seed(seed)
    unseeded = epochs(minigrad.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True))
    minigrad.manual_seed(seed)
    assert epochs(minigrad.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)) == unseeded


@pytest.mark.parametrize("options", [
    dict(batch_size=0), dict(batch_size=-2), dict(batch_size=1.5), dict(drop_last=1),
    dict(num_workers=-1), dict(shuffle=True, sampler=[0, 1]),
    dict(batch_size=None, drop_last=True), dict(batch_sampler=[[0]], batch_size=2),
])
def test_bad_loader_options_raise_torchs_errors(backend: str, options: dict) -> None:
    expect_torch_error(lambda lib: lib.utils.data.DataLoader(range(4), **options))


@pytest.mark.parametrize("samples", [[object()], [[1, 2], [3]], [np.array(["a"])]])
def test_bad_samples_raise_torchs_errors(backend: str, samples: list) -> None:
    expect_torch_error(lambda lib: next(iter(lib.utils.data.DataLoader(samples, batch_size=2))),
                       same_message=False)


def test_refused_loader_features(backend: str) -> None:
    with pytest.raises(NotImplementedError, match="num_workers"):
        minigrad.utils.data.DataLoader(range(4), num_workers=2)
    with pytest.raises(NotImplementedError, match="pin_memory"):
        minigrad.utils.data.DataLoader(range(4), pin_memory=True)


def test_tensor_dataset_size_mismatch(backend: str) -> None:
    expect_torch_error(lambda lib: lib.utils.data.TensorDataset(lib.zeros(2), lib.zeros(3)),
                       same_message=False)
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\(2,\).*\(3,\)"):
        minigrad.utils.data.TensorDataset(minigrad.zeros(2), minigrad.zeros(3))


@st.composite
def split_lengths(draw: st.DrawFn) -> tuple[int, list]:
    """A data set length and split lengths, as ints or as fractions summing to 1."""
    n = draw(st.integers(0, 20))
    weights = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4).filter(sum))
    if draw(st.booleans()):
        return n, [w / sum(weights) for w in weights]
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=len(weights) - 1, max_size=len(weights) - 1)))
    return n, [b - a for a, b in zip([0, *cuts], [*cuts, n])]


@given(case=split_lengths(), seed=seeds)
def test_random_split_matches_torch_lengths(backend: str, case: tuple, seed: int) -> None:
    """Same lengths as torch's split; disjoint subsets covering the data set; seeded."""
    n, lengths = case
    with warnings.catch_warnings(record=True) as torch_warnings:
        warnings.simplefilter("always")
        try:
            theirs = torch.utils.data.random_split(range(n), lengths, torch.Generator().manual_seed(seed))
        except ValueError as error:  # fractions that add up to a hair above 1 are not fractions
            with pytest.raises(ValueError, match=re.escape(str(error))):
                minigrad.utils.data.random_split(range(n), lengths, minigrad.Generator().manual_seed(seed))
            return
    with warnings.catch_warnings(record=True) as my_warnings:
        warnings.simplefilter("always")
        mine = minigrad.utils.data.random_split(range(n), lengths, minigrad.Generator().manual_seed(seed))
    assert [str(w.message) for w in my_warnings] == [str(w.message) for w in torch_warnings]
    assert [len(s) for s in mine] == [len(s) for s in theirs]
    items = [item for subset in mine for item in subset]
    assert sorted(items) == list(range(n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = minigrad.utils.data.random_split(range(n), lengths, minigrad.Generator().manual_seed(seed))
    assert [list(s) for s in again] == [list(s) for s in mine]


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [1.5, -0.5], [0.2, 0.3], [2, 8.0]])
def test_random_split_bad_lengths_raise_torchs_errors(backend: str, lengths: list) -> None:
    expect_torch_error(lambda lib: lib.utils.data.random_split(range(10), lengths), same_message=False)


def test_generator_api_matches_torch(backend: str) -> None:
    assert minigrad.Generator().initial_seed() == torch.Generator().initial_seed()
    for seed in [0, 7, -1, 2**64 - 1]:
        generator = minigrad.Generator()
        assert generator.manual_seed(seed) is generator
        assert generator.initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
    for seed in [1.5, "3", True, 2**64]:
        expect_torch_error(lambda lib: lib.Generator().manual_seed(seed), same_message=False)
    generator = minigrad.Generator().manual_seed(3)
    state = generator.get_state()
    first = generator.randperm(10).tolist()
    assert generator.set_state(state).randperm(10).tolist() == first


# The UCI test set (optdigits.tes), as documented in minigrad/datasets/data/LICENSE-digits.txt:
# samples per digit and the first image. They identify the shipped file as that set.
UCI_TEST_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
FIRST_IMAGE = [[0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0], [0, 3, 15, 2, 0, 11, 8, 0],
               [0, 4, 12, 0, 0, 8, 8, 0], [0, 5, 8, 0, 0, 9, 8, 0], [0, 4, 11, 0, 1, 12, 7, 0],
               [0, 2, 14, 5, 10, 12, 0, 0], [0, 0, 6, 13, 10, 0, 0, 0]]


def test_digits_are_the_uci_test_set(backend: str) -> None:
    x, y = minigrad.datasets.load_digits()
    assert (x.shape, x.dtype, y.shape, y.dtype) == ((1797, 64), minigrad.float32, (1797,), minigrad.int64)
    pixels, labels = x.numpy(), y.numpy()
    assert pixels.min() == 0 and pixels.max() == 16 and (pixels == np.round(pixels)).all()
    assert np.bincount(labels).tolist() == UCI_TEST_CLASS_COUNTS
    assert pixels[0].reshape(8, 8).tolist() == FIRST_IMAGE and labels[0] == 0
    images, same_labels = minigrad.datasets.load_digits(images=True)
    assert images.shape == (1797, 8, 8) and np.array_equal(images.numpy().reshape(1797, 64), pixels)
    assert np.array_equal(same_labels.numpy(), labels)


def test_digits_ship_with_their_licence_and_in_the_package_data(backend: str) -> None:
    notice = (DIGITS_FILE.parent / "LICENSE-digits.txt").read_text()
    for phrase in ["CC BY 4.0", "Alpaydin", "Kaynak", "https://doi.org/10.24432/C50P49"]:
        assert phrase in notice
    stated = [int(count) for count in re.findall(r"\d: +(\d+)", notice)]
    assert stated == UCI_TEST_CLASS_COUNTS
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["minigrad.datasets"]
    package = Path(minigrad.datasets.__file__).parent
    assert {package / name for name in shipped} == {DIGITS_FILE, DIGITS_FILE.parent / "LICENSE-digits.txt"}


@given(n=st.integers(0, 30), noise=st.sampled_from([0.0, 0.1]), seed=seeds)
def test_moons(backend: str, n: int, noise: float, seed: int) -> None:
    x, y = minigrad.datasets.make_moons(n, noise=noise, seed=seed)
    assert (x.shape, x.dtype, y.shape, y.dtype) == ((n, 2), minigrad.float32, (n,), minigrad.int64)
    assert Counter(y.tolist()) == Counter({0: n // 2, 1: n - n // 2}) - Counter()
    again = minigrad.datasets.make_moons(n, noise=noise, generator=minigrad.Generator().manual_seed(seed))
    assert np.array_equal(again[0].numpy(), x.numpy()) and np.array_equal(again[1].numpy(), y.numpy())
    if noise == 0.0:
        points = x.numpy().astype(np.float64)
        centre = np.where(y.numpy()[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
        np.testing.assert_allclose(np.hypot(*(points - centre).T), 1.0, atol=1e-6)
        upper = np.where(y.numpy() == 0, points[:, 1] >= -1e-6, points[:, 1] <= 0.5 + 1e-6)
        assert upper.all()


@given(n=st.integers(0, 30), n_classes=st.integers(1, 4), seed=seeds)
def test_spirals(backend: str, n: int, n_classes: int, seed: int) -> None:
    x, y = minigrad.datasets.make_spirals(n, n_classes, noise=0.0, seed=seed)
    assert (x.shape, x.dtype, y.shape, y.dtype) == ((n, 2), minigrad.float32, (n,), minigrad.int64)
    counts = np.bincount(y.numpy(), minlength=n_classes)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    points = x.numpy().astype(np.float64)
    radius = np.hypot(points[:, 0], points[:, 1])
    angle = 4.0 * y.numpy() + 4.0 * radius
    on_the_arms = radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], 1)
    np.testing.assert_allclose(points, on_the_arms, atol=1e-5)
    noisy = minigrad.datasets.make_spirals(n, n_classes, noise=0.2, seed=seed)
    again = minigrad.datasets.make_spirals(n, n_classes, noise=0.2, seed=seed)
    assert np.array_equal(noisy[0].numpy(), again[0].numpy())
    with pytest.raises(ValueError, match="either seed or generator"):
        minigrad.datasets.make_spirals(n, seed=1, generator=minigrad.Generator())
