"""Default initialisations and ``nn.init`` against torch, compared as distributions.

minigrad draws from its own generator, so the statistics of large samples (mean, std, extremes, a
two-sample Kolmogorov-Smirnov test) are compared with those of torch's own initialisation of the
same shape; bounds, warnings and errors are compared directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad

from .helpers import assert_close, to_numpy
from .strategies import seeds, shapes


def _pooled(lib: Any, shape: tuple, fill: Callable[[Any], Any], samples: int = 3000) -> np.ndarray:
    """At least ``samples`` values from calling ``fill`` on fresh tensors of ``shape``."""
    numel = max(math.prod(shape), 1)
    return np.concatenate([to_numpy(fill(lib.empty(shape))).ravel()
                           for _ in range(-(-samples // numel))])


def _same_distribution(mine: np.ndarray, theirs: np.ndarray, kind: str) -> None:
    """Mean, std and range agree within sampling error; two-sample Kolmogorov-Smirnov test."""
    n, m = mine.size, theirs.size
    std = theirs.std()
    # 6 standard errors of the difference: fails by chance with probability ~1e-9
    assert abs(mine.mean() - theirs.mean()) <= 6 * std * math.sqrt(1 / n + 1 / m) + 1e-12
    assert abs(mine.std() - std) <= 6 * std * math.sqrt(1 / n + 1 / m) + 1e-12
    if kind == "uniform":
        # |x| is uniform on [0, bound]: the largest of k draws falls below (1 - δ)·bound with
        # probability (1 - δ)^k ≈ e^(-δk), ~1e-9 for δ = 21/k (1% for 2,000 draws; a fixed 0.3%
        # failed one example in 400)
        bound = np.abs(theirs).max()
        assert np.abs(mine).max() <= bound / (1 - 21 / m) + 1e-12
        assert np.abs(mine).max() >= bound * (1 - 21 / n)
    grid = np.sort(np.concatenate([mine, theirs]))
    cdf = lambda x: np.searchsorted(np.sort(x), grid, side="right") / x.size
    critical = math.sqrt(-0.5 * math.log(1e-6 / 2)) * math.sqrt((n + m) / (n * m))
    assert np.abs(cdf(mine) - cdf(theirs)).max() <= critical, "KS test: distributions differ"


@pytest.mark.heavy  # thousands of layers built, each drawing its weights
def test_linear_default_init(backend: str) -> None:
    """Weight and bias ~ U(±1/√fan_in), as torch's layer: statistics of a large layer."""
    minigrad.manual_seed(0)
    torch.manual_seed(0)
    mine, theirs = minigrad.nn.Linear(300, 40), torch.nn.Linear(300, 40)
    bound = 1 / math.sqrt(300)
    for name in ("weight", "bias"):
        m, t = to_numpy(getattr(mine, name)).ravel(), to_numpy(getattr(theirs, name)).ravel()
        assert np.abs(m).max() <= bound and np.abs(t).max() <= bound
        assert getattr(mine, name).requires_grad and getattr(mine, name).dtype is minigrad.float32
    _same_distribution(to_numpy(mine.weight).ravel(), to_numpy(theirs.weight).ravel(), "uniform")
    biases = [_pooled(lib, (), lambda _, lib=lib: lib.nn.Linear(30, 50).bias, 3000)
              for lib in (minigrad, torch)]
    _same_distribution(*biases, "uniform")
    minigrad.manual_seed(0)
    first = to_numpy(minigrad.nn.Linear(3, 2).weight)
    minigrad.manual_seed(0)
    assert np.array_equal(first, to_numpy(minigrad.nn.Linear(3, 2).weight)), "seeded"


@pytest.mark.heavy  # tens of thousands of draws
def test_embedding_and_bilinear_default_init(backend: str) -> None:
    mine, theirs = minigrad.nn.Embedding(500, 8), torch.nn.Embedding(500, 8)
    _same_distribution(to_numpy(mine.weight).ravel(), to_numpy(theirs.weight).ravel(), "normal")
    mine, theirs = minigrad.nn.Bilinear(9, 4, 100), torch.nn.Bilinear(9, 4, 100)
    _same_distribution(to_numpy(mine.weight).ravel(), to_numpy(theirs.weight).ravel(), "uniform")


INITS = {
    "uniform_": (lambda nn, a: (lambda t: nn.init.uniform_(t, -a, 2 * a)), "uniform"),
    "normal_": (lambda nn, a: (lambda t: nn.init.normal_(t, a, 1 + a)), "normal"),
    "trunc_normal_": (lambda nn, a: (lambda t: nn.init.trunc_normal_(t, a / 3, 1.0, -1.0, 1.5)), "normal"),
    # [2, 3 + a] holds 2% to 16% of the mass: torch's uniform proposals, not normal ones
    "trunc_normal_tail": (lambda nn, a: (lambda t: nn.init.trunc_normal_(t, a / 3, 1.0, 2.0, 3.0 + a)),
                          "normal"),
    "xavier_uniform_": (lambda nn, a: (lambda t: nn.init.xavier_uniform_(t, gain=1 + a)), "uniform"),
    "xavier_normal_": (lambda nn, a: (lambda t: nn.init.xavier_normal_(t, gain=1 + a)), "normal"),
    "kaiming_uniform_": (lambda nn, a: (lambda t: nn.init.kaiming_uniform_(t, a=a)), "uniform"),
    "kaiming_uniform_fan_out_relu": (lambda nn, a: (lambda t: nn.init.kaiming_uniform_(
        t, mode="fan_out", nonlinearity="relu")), "uniform"),
    "kaiming_normal_": (lambda nn, a: (lambda t: nn.init.kaiming_normal_(t, a=a, mode="fan_out")),
                        "normal"),
    "kaiming_normal_tanh": (lambda nn, a: (lambda t: nn.init.kaiming_normal_(
        t, nonlinearity="tanh")), "normal"),
}


@pytest.mark.heavy  # thousands of fills of small tensors
@pytest.mark.parametrize("name", sorted(INITS))
# a = 0, or bounds of normal float32 size: at a subnormal size (a = 1.4e-45) float32 holds three
# or four values in [-a, 2a], and torch's uniform draw rounds onto them differently from minigrad's
@given(shape=shapes(2, 4, 2, 4), a=st.one_of(st.just(0.0), st.floats(1e-6, 3.0)), seed=seeds)
def test_init_distributions(backend: str, name: str, shape: tuple, a: float, seed: int) -> None:
    """Each scheme draws from torch's distribution (its fans, gain and bounds) for drawn shapes."""
    make, kind = INITS[name]
    minigrad.manual_seed(seed)
    torch.manual_seed(seed % 2**31)
    mine = _pooled(minigrad, shape, make(minigrad.nn, a), 2000)
    theirs = _pooled(torch, shape, make(torch.nn, a), 2000)
    _same_distribution(mine, theirs, kind)
    if name == "trunc_normal_":
        assert mine.min() >= -1.0 and mine.max() <= 1.5
    if name == "trunc_normal_tail":
        # a uniform draw u·(b - a) + a in float32 may round one ulp above float32(b), in torch too
        assert mine.min() >= 2.0 and mine.max() <= np.nextafter(np.float32(3.0 + a), np.inf)
    t = minigrad.nn.Parameter(minigrad.zeros(shape))
    assert make(minigrad.nn, a)(t) is t and t.requires_grad and t.grad_fn is None


def test_init_intervals_as_torch(backend: str) -> None:
    """A backwards interval is refused with torch's error; an empty one fills with its bound; a
    mean far from [a, b] warns as torch, and the tail is still sampled (it used to loop forever)."""
    for lib in (torch, minigrad):
        for fill in (lambda t: lib.nn.init.uniform_(t, 0.5, -0.5),
                     lambda t: lib.nn.init.trunc_normal_(t, 0.0, 1.0, 0.5, -0.5)):
            with pytest.raises(RuntimeError, match=r"^uniform_ expects to return a \[from, to\) range, "
                               r"but found from=0.5 > to=-0.5$"):
                fill(lib.empty(3))
    same = [lib.nn.init.trunc_normal_(lib.empty(4), 2.0, 0.5, 3.0, 3.0) for lib in (minigrad, torch)]
    assert_close(*same, family="exact")
    messages = []
    for lib in (minigrad, torch):
        with pytest.warns(UserWarning) as caught:
            far = lib.nn.init.trunc_normal_(lib.empty(500), 0.0, 1.0, 5.0, 6.0)
        messages.append([str(w.message) for w in caught if w.category is UserWarning])
        assert 5.0 <= float(far.min()) and float(far.max()) <= 6.0
    assert messages[0] == messages[1] and "mean is more than 2 std" in messages[0][0]


def test_init_constants_gain_and_errors(backend: str) -> None:
    for lib in (torch, minigrad):
        p = lib.nn.Parameter(lib.zeros(2, 3))
        assert lib.nn.init.constant_(p, 0.25) is p and float(p.detach().sum()) == 1.5
        assert float(lib.nn.init.ones_(p).detach().sum()) == 6.0
        assert float(lib.nn.init.zeros_(p).detach().sum()) == 0.0
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            lib.nn.init.xavier_uniform_(lib.zeros(3))
        with pytest.raises(ValueError, match="not supported"):
            lib.nn.init.kaiming_normal_(lib.zeros(2, 2), mode="fan_middle")
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            lib.nn.init.calculate_gain("swish")
        with pytest.raises(ValueError, match="not a valid number"):
            lib.nn.init.calculate_gain("leaky_relu", True)
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("selu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3)]:
        assert minigrad.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
