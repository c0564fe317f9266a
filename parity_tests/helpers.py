"""The one comparison helper of the parity suite, and the op checker built on it.

Tolerances (``|actual - expected| <= atol + rtol·|expected|``, nan equal to nan, infinities equal
by sign) by dtype and op family:

===============  ==========================  ==========================================
family           float32                     float64
===============  ==========================  ==========================================
``exact``        bitwise equal               bitwise equal
``elementwise``  rtol 1.3e-6, atol 1e-5      rtol 1e-7, atol 1e-7   (torch's defaults)
``reduction``    rtol 1.3e-6·√n, atol 1e-5·√n  rtol 1e-7, atol 1e-7·√n
===============  ==========================  ==========================================

``reduction`` is for results that add up ``n`` terms (sums, means, matmul, the gradient of a
broadcast operand): NumPy and torch add in different orders, and in float32 each order rounds
differently; the error of a sum grows like √n for random signs, hence the scaling.

``check_op`` compares an op against torch on forward values, on the gradients of every input for a
random upstream gradient, and (float64 only) on second derivatives through ``create_graph``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch

import minigrad

TOLERANCES = {
    ("elementwise", "float32"): (1.3e-6, 1e-5),
    ("elementwise", "float64"): (1e-7, 1e-7),
    ("reduction", "float32"): (1.3e-6, 1e-5),
    ("reduction", "float64"): (1e-7, 1e-7),
}


DEVICE_ASSERT = "CUDA error: device-side assert triggered: "


def raised(case: Callable[[Any], Any], lib: Any) -> BaseException:
    """The exception ``case(lib)`` raises (a test failure when it raises none). minigrad's result
    is read back to the host: on the cuda backend an index out of range is checked on the device
    and fails at the next host read, as torch's device-side assert."""
    try:
        result = case(lib)
        if lib is minigrad:
            for value in result if isinstance(result, tuple) else (result,):
                if isinstance(value, minigrad.Tensor):
                    value.tolist()
    except Exception as error:  # noqa: BLE001 - any class may be the expected one
        return error
    raise AssertionError(f"{lib.__name__} raised nothing")


def unwrap_device_assert(mine: BaseException, theirs: BaseException) -> BaseException:
    """The error torch's CPU raises, when ``mine`` is the cuda backend's late device-side assert
    that carries it (torch's CUDA kernels raise that RuntimeError instead of the CPU's error);
    ``mine`` itself otherwise."""
    message = str(mine)
    if (type(mine) is RuntimeError and message.startswith(DEVICE_ASSERT)
            and minigrad.get_backend().name == "cuda"):
        return type(theirs)(message.removeprefix(DEVICE_ASSERT))
    return mine


def builtin_class(error: BaseException) -> type:
    """The first built-in class of an exception (torch raises a few subclasses of RuntimeError)."""
    return next(cls for cls in type(error).__mro__ if cls.__module__ == "builtins")


def expect_torch_error(case: Callable[[Any], Any], same_message: bool = True) -> None:
    """``case(minigrad)`` raises the class torch raises for ``case(torch)`` (and its message)."""
    theirs = raised(case, torch)
    mine = unwrap_device_assert(raised(case, minigrad), theirs)
    assert isinstance(mine, builtin_class(theirs)), f"minigrad raised {mine!r}, torch raised {theirs!r}"
    if same_message:
        assert str(mine) == str(theirs).splitlines()[0], f"minigrad: {mine}\ntorch:    {theirs}"


def to_numpy(value: Any) -> np.ndarray:
    """A NumPy copy of a minigrad tensor, a torch tensor or an array."""
    if isinstance(value, minigrad.Tensor):
        return np.array(value.detach().cpu().numpy())
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy(force=True).copy()
    return np.asarray(value)


def assert_close(actual: Any, expected: Any, family: str = "elementwise", n: int = 1,
                 what: str = "value") -> None:
    """Assert a minigrad result equals torch's: same shape, same dtype, values within tolerance."""
    if isinstance(actual, minigrad.Tensor) and isinstance(expected, torch.Tensor):
        expected_dtype = str(expected.dtype).replace("torch.", "")
        assert actual.dtype.name == expected_dtype, (
            f"{what}: dtype {actual.dtype.name}, torch gives {expected_dtype}")
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, torch gives {e.shape}"
    if family == "exact" or a.dtype.kind in "biu":
        assert np.array_equal(a, e, equal_nan=a.dtype.kind == "f"), f"{what}: {a} != {e}"
        return
    rtol, atol = TOLERANCES[(family, str(e.dtype))]
    scale = math.sqrt(max(n, 1)) if family == "reduction" else 1.0
    rtol, atol = rtol * (scale if e.dtype == np.float32 else 1.0), atol * scale
    same_special = (np.isnan(a) & np.isnan(e)) | ((a == e) & np.isinf(e))
    finite = ~same_special
    assert not (np.isnan(a) ^ np.isnan(e)).any(), f"{what}: nan pattern differs\n{a}\n{e}"
    diff = np.abs(a[finite].astype(np.float64) - e[finite].astype(np.float64))
    bound = atol + rtol * np.abs(e[finite].astype(np.float64))
    assert (diff <= bound).all(), (
        f"{what}: largest difference {diff.max()} exceeds tolerance "
        f"(rtol {rtol:.2g}, atol {atol:.2g})\nminigrad:\n{a}\ntorch:\n{e}")


def leaf_pair(array: np.ndarray, layout: str = "contiguous",
              requires_grad: bool = True) -> tuple[minigrad.Tensor, torch.Tensor]:
    """The same values as a minigrad leaf and a torch leaf, both stored with ``layout``.

    ``transposed`` stores the array as the transpose of a contiguous one (all dims reversed),
    ``strided`` as every other column of a wider one; both libraries get the same layout.
    """
    backend = minigrad.get_backend()
    if layout == "transposed" and array.ndim >= 2:
        axes = tuple(reversed(range(array.ndim)))
        base = np.ascontiguousarray(array.transpose(axes))
        data = backend.transpose(backend.array(base, base.dtype), axes)
        theirs = torch.from_numpy(base).permute(axes)
    elif layout == "strided" and array.ndim >= 1:
        base = np.repeat(array, 2, axis=-1)
        every_other = (Ellipsis, slice(None, None, 2))
        data = backend.getitem(backend.array(base, base.dtype), every_other)
        theirs = torch.from_numpy(base)[every_other]
    else:
        data = backend.array(array, array.dtype)
        theirs = torch.from_numpy(np.array(array, copy=True))
    grad = requires_grad and array.dtype.kind == "f"
    mine = minigrad.Tensor(data, backend=backend)
    return mine.requires_grad_(grad), theirs.detach().requires_grad_(grad)


def _grads(outputs: Sequence, inputs: Sequence, upstream: Sequence, lib: Any,
           create_graph: bool = False) -> list:
    """d(outputs · upstream)/d(inputs), with zeros where an input got no gradient."""
    pairs = [(o, u) for o, u in zip(outputs, upstream) if o.requires_grad]
    wanted = [x for x in inputs if x.requires_grad]
    got = iter(lib.autograd.grad([o for o, _ in pairs], wanted, [u for _, u in pairs],
                                 create_graph=create_graph, allow_unused=True)
               if pairs and wanted else [None] * len(wanted))
    result = []
    for x in inputs:
        g = next(got) if x.requires_grad else None
        result.append(lib.zeros_like(x) if g is None and x.requires_grad else g)
    return result


def check_op(mine: Callable, theirs: Callable, arrays: Sequence[np.ndarray], seed: int = 0,
             family: str = "elementwise", n: int = 1, grad_family: str | None = None,
             grad_n: int | None = None, double_backward: bool = True,
             layouts: Sequence[str] | None = None) -> None:
    """Compare ``mine(*minigrad tensors)`` with ``theirs(*torch tensors)``: forward, gradients
    for a random upstream gradient, and second derivatives when every float input is float64.

    ``family``/``n`` set the forward tolerance, ``grad_family``/``grad_n`` the gradients' (they
    default to the forward's). ``layouts`` gives each input's memory layout (see ``leaf_pair``).
    """
    rng = np.random.default_rng(seed)
    layouts = layouts or ["contiguous"] * len(arrays)
    pairs = [leaf_pair(a, layout) for a, layout in zip(arrays, layouts)]
    xs, ts = [p[0] for p in pairs], [p[1] for p in pairs]
    out_m, out_t = mine(*xs), theirs(*ts)
    outs_m = out_m if isinstance(out_m, tuple) else (out_m,)
    outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
    for i, (m, t) in enumerate(zip(outs_m, outs_t)):
        assert_close(m, t, family, n, what=f"forward output {i}")
        assert m.requires_grad == t.requires_grad, f"output {i}: requires_grad differs from torch"
    upstream = [rng.standard_normal(t.shape).astype(to_numpy(t).dtype) if t.is_floating_point()
                else None for t in outs_t]
    up_m = [minigrad.tensor(u) if u is not None else None for u in upstream]
    up_t = [torch.from_numpy(u) if u is not None else None for u in upstream]
    grad_family = grad_family or family
    grad_n = n if grad_n is None else grad_n
    create = double_backward and all(t.dtype == torch.float64 for t in ts if t.is_floating_point())
    g_m = _grads(outs_m, xs, up_m, minigrad, create_graph=create)
    g_t = _grads(outs_t, ts, up_t, torch, create_graph=create)
    for i, (gm, gt) in enumerate(zip(g_m, g_t)):
        if gt is not None:
            assert_close(gm, gt, grad_family, grad_n, what=f"gradient of input {i}")
    if not create:
        return
    vs = [rng.standard_normal(tuple(g.shape)) if g is not None else None for g in g_t]
    s_m = _weighted_sum(g_m, vs, minigrad)
    s_t = _weighted_sum(g_t, vs, torch)
    second_m = _grads([s_m], xs, [minigrad.tensor(1.0, dtype=minigrad.float64)], minigrad)
    second_t = _grads([s_t], ts, [torch.tensor(1.0, dtype=torch.float64)], torch)
    for i, (gm, gt) in enumerate(zip(second_m, second_t)):
        if gt is not None:
            assert_close(gm, gt, "reduction", max(grad_n, 8), what=f"second derivative of input {i}")


def _weighted_sum(grads: Sequence, weights: Sequence, lib: Any) -> Any:
    """Σ g·v over the gradients: a scalar whose gradient gives Hessian-vector products."""
    total = lib.tensor(0.0, dtype=lib.float64)
    for g, v in zip(grads, weights):
        if g is not None:
            total = total + (g * lib.tensor(v, dtype=lib.float64)).sum()
    return total


def refuse_reference(monkeypatch: Any, reference: type, names: Sequence[str]) -> None:
    """Make these NumPy reference primitives of ``reference`` raise, so that a kernel test fails
    when the numba backend silently falls back to NumPy instead of running its kernel."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the NumPy reference ran instead of a kernel")
    for name in names:
        monkeypatch.setattr(reference, name, refuse)
