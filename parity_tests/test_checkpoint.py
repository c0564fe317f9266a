"""Checkpoints: bit-exact round trips, atomic writes, corrupt and truncated files refused, and
state dicts going from minigrad to torch and back through a checkpoint."""

from __future__ import annotations

import io
import json
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad.serialization import CheckpointError
from .helpers import assert_close
from .strategies import seeds, shapes

DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}


@st.composite
def stored_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every minigrad dtype, any values (nan, inf, -0.0), sometimes not contiguous."""
    dtype = draw(st.sampled_from(list(DTYPES.values())))
    array = draw(hnp.arrays(dtype, shapes(max_dims=3)))
    return array.T if draw(st.booleans()) else array


@st.composite
def stored_tensors(draw: st.DrawFn) -> minigrad.Tensor:
    array = draw(stored_arrays())
    result = minigrad.tensor(array)
    if result.is_floating_point() and draw(st.booleans()):
        result.requires_grad_(True)
    return result


leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                   stored_tensors(), stored_arrays())
keys = st.one_of(st.text(max_size=5), st.integers(-3, 3), st.none(), st.booleans(), st.floats())
structures = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
                            st.dictionaries(keys, inner, max_size=3),
                            st.dictionaries(keys, inner, max_size=3).map(OrderedDict)),
    max_leaves=8,
)


def assert_identical(loaded: object, saved: object, where: str = "obj") -> None:
    """Same types, same keys in the same order, and tensors with the same dtype, shape and bytes."""
    assert type(loaded) is type(saved), f"{where}: {type(loaded).__name__} != {type(saved).__name__}"
    if isinstance(saved, minigrad.Tensor):
        assert (loaded.dtype, loaded.shape) == (saved.dtype, saved.shape), where
        assert loaded.requires_grad == saved.requires_grad, where
        saved = saved.detach().numpy()
        loaded = loaded.detach().numpy()
    if isinstance(saved, np.ndarray):
        assert (loaded.dtype, loaded.shape) == (saved.dtype, saved.shape), where
        assert np.ascontiguousarray(loaded).tobytes() == np.ascontiguousarray(saved).tobytes(), where
    elif isinstance(saved, dict):
        assert [repr(k) for k in loaded] == [repr(k) for k in saved], where
        for (key, a), b in zip(loaded.items(), saved.values()):
            assert_identical(a, b, f"{where}[{key!r}]")
    elif isinstance(saved, (list, tuple)):
        assert len(loaded) == len(saved), where
        for i, (a, b) in enumerate(zip(loaded, saved)):
            assert_identical(a, b, f"{where}[{i}]")
    elif isinstance(saved, float):
        assert struct.pack("<d", loaded) == struct.pack("<d", saved), f"{where}: {loaded} != {saved}"
    else:
        assert loaded == saved, f"{where}: {loaded!r} != {saved!r}"


@given(obj=structures)
def test_round_trip_is_bit_exact(backend: str, tmp_path, obj: object) -> None:
    path = tmp_path / "checkpoint.mg"
    minigrad.save(obj, path)
    assert_identical(minigrad.load(path), obj)
    buffer = io.BytesIO()
    minigrad.save(obj, buffer)
    assert buffer.getvalue() == path.read_bytes()
    assert_identical(minigrad.load(io.BytesIO(buffer.getvalue())), obj)
    assert os.listdir(tmp_path) == ["checkpoint.mg"], "no temporary file is left behind"


def test_shared_tensors_and_parameters(backend: str, tmp_path) -> None:
    weight = minigrad.nn.Parameter(minigrad.randn(2, 3))
    minigrad.save({"a": weight, "b": [weight]}, tmp_path / "c")
    loaded = minigrad.load(tmp_path / "c")
    assert loaded["a"] is loaded["b"][0], "one tensor stored twice comes back as one tensor"
    assert isinstance(loaded["a"], minigrad.nn.Parameter) and loaded["a"].requires_grad


@pytest.mark.parametrize("bad, named", [
    ({"model": minigrad.nn.Linear(2, 2)}, r"obj\['model'\].*Linear"),
    ({"x": [1, {2}]}, r"obj\['x'\]\[1\].*set"),
    ({"x": torch.zeros(2)}, r"obj\['x'\].*Tensor"),
    ({"x": np.float32(1.0)}, r"obj\['x'\].*float32"),
    ({"x": np.zeros(2, np.uint8)}, r"obj\['x'\].*uint8"),
    ({("a", 1): 0}, r"key \('a', 1\)"),
    ({"f": lambda: 0}, r"obj\['f'\].*function"),
])
def test_unstorable_objects_leave_the_checkpoint_intact(backend: str, tmp_path, bad: dict,
                                                        named: str) -> None:
    path = tmp_path / "model.mg"
    minigrad.save({"w": minigrad.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=named):
        minigrad.save(bad, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.mg"]


def test_cycles_are_refused(backend: str, tmp_path) -> None:
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="cyclic"):
        minigrad.save({"loop": loop}, tmp_path / "c")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("failing", ["write", "replace"])
def test_a_failing_write_changes_nothing(backend: str, tmp_path, monkeypatch, failing: str) -> None:
    """A disk error in the middle of writing, or at the rename, keeps the old checkpoint whole."""
    path = tmp_path / "model.mg"
    minigrad.save({"w": minigrad.ones(2)}, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    if failing == "write":
        real_write = io.BufferedWriter.write
        calls = []

        class Handle(io.BufferedWriter):
            def write(self, data):
                calls.append(1)
                if len(calls) > 1:
                    broken()
                return real_write(self, data)

        monkeypatch.setattr(minigrad.serialization.os, "fdopen",
                            lambda fd, mode: Handle(io.FileIO(fd, "w")))
    else:
        monkeypatch.setattr(minigrad.serialization.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"w": minigrad.zeros(1000), "v": minigrad.ones(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.mg"]


def checkpoint_bytes(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    minigrad.save({"weight": minigrad.tensor(rng.standard_normal((3, 2))), "step": 3,
                   "lr": 0.1, "names": ["a", "b"]}, buffer)
    return buffer.getvalue()


@given(seed=seeds, data=st.data())
def test_flipped_byte_is_refused(backend: str, seed: int, data: st.DataObject) -> None:
    raw = bytearray(checkpoint_bytes(seed))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CheckpointError, match="corrupt|truncated|not a minigrad checkpoint"):
        minigrad.load(io.BytesIO(bytes(raw)))


@given(seed=seeds, data=st.data())
def test_truncated_or_extended_file_is_refused(backend: str, seed: int, data: st.DataObject) -> None:
    raw = checkpoint_bytes(seed)
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(CheckpointError, match="truncated"):
        minigrad.load(io.BytesIO(raw[:cut]))
    with pytest.raises(CheckpointError, match="corrupt"):
        minigrad.load(io.BytesIO(raw + b"\0" * data.draw(st.integers(1, 40))))


def test_a_corrupt_file_on_disk_changes_nothing(backend: str, tmp_path) -> None:
    path = tmp_path / "model.mg"
    path.write_bytes(checkpoint_bytes(0)[:-1])
    with pytest.raises(RuntimeError, match="truncated"):
        minigrad.load(path)
    assert path.read_bytes() == checkpoint_bytes(0)[:-1]


def test_other_formats_are_refused(backend: str, tmp_path) -> None:
    torch.save({"w": torch.zeros(2)}, tmp_path / "torch.pt")
    np.savez(tmp_path / "arrays.npz", w=np.zeros(2))
    (tmp_path / "text.txt").write_text("weights: [1, 2, 3]\n" * 10)
    for name in ["torch.pt", "arrays.npz", "text.txt"]:
        with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
            minigrad.load(tmp_path / name)
    with pytest.raises(NotImplementedError, match="weights_only"):
        minigrad.load(tmp_path / "torch.pt", weights_only=False)


TORCH_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "BOOL": torch.bool}


def read_safetensors(raw: bytes) -> dict[str, torch.Tensor]:
    """A reader written from the safetensors spec alone: u64 header size, JSON header, bytes."""
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    data = raw[8 + size:]
    tensors = {}
    for name, entry in header.items():
        if name != "__metadata__":
            start, end = entry["data_offsets"]
            flat = torch.frombuffer(bytearray(data[start:end]), dtype=TORCH_DTYPES[entry["dtype"]]) \
                if end > start else torch.empty(0, dtype=TORCH_DTYPES[entry["dtype"]])
            tensors[name] = flat.reshape(entry["shape"])
    return tensors


def write_safetensors(tensors: dict[str, torch.Tensor]) -> bytes:
    """A writer written from the safetensors spec alone (no metadata, no checksum)."""
    codes = {dtype: code for code, dtype in TORCH_DTYPES.items()}
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        blob = value.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": codes[value.dtype], "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def models(lib, seed: int) -> tuple:
    """The same small MLP in ``lib``, with seeded (different per library) weights."""
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


@given(seed=seeds)
def test_minigrad_checkpoint_loads_into_torch_and_back(backend: str, tmp_path, seed: int) -> None:
    """A minigrad model's checkpoint gives the torch model the same outputs, and the reverse."""
    mine, theirs = models(minigrad, seed), models(torch, seed + 1)
    x = np.random.default_rng(seed).standard_normal((5, 3)).astype(np.float32)
    minigrad.save(mine.state_dict(), tmp_path / "mine.mg")
    loaded = minigrad.load(tmp_path / "mine.mg")
    assert list(loaded) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in loaded.items()})
    assert_close(mine(minigrad.tensor(x)), theirs(torch.from_numpy(x)), family="reduction", n=4)

    theirs = models(torch, seed + 2)
    minigrad.save({k: v.numpy() for k, v in theirs.state_dict().items()}, tmp_path / "theirs.mg")
    mine.load_state_dict(minigrad.load(tmp_path / "theirs.mg"))
    assert_close(mine(minigrad.tensor(x)), theirs(torch.from_numpy(x)), family="reduction", n=4)
    for (name, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
        assert_close(a, b, family="exact", what=name)


@given(seed=seeds)
def test_state_dicts_travel_as_safetensors_files(backend: str, tmp_path, seed: int) -> None:
    """A minigrad checkpoint of a state_dict is a safetensors file that torch reads under torch's
    keys; a plain safetensors file written from torch loads into the minigrad model."""
    mine, theirs = models(minigrad, seed), models(torch, seed + 1)
    minigrad.save(mine.state_dict(), tmp_path / "mine.safetensors")
    from_mine = read_safetensors((tmp_path / "mine.safetensors").read_bytes())
    assert list(from_mine) == list(theirs.state_dict())
    theirs.load_state_dict(from_mine)
    for (name, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
        assert_close(a, b, family="exact", what=name)

    theirs = models(torch, seed + 2)
    (tmp_path / "theirs.safetensors").write_bytes(write_safetensors(theirs.state_dict()))
    mine.load_state_dict(minigrad.load(tmp_path / "theirs.safetensors"))
    for (name, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
        assert_close(a, b, family="exact", what=name)


def test_the_safetensors_library_agrees(backend: str, tmp_path) -> None:
    """The reference implementation reads minigrad's files and writes files minigrad reads."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    state = {"w": minigrad.randn(2, 3), "n": minigrad.tensor(3), "mask": minigrad.tensor([True, False]),
             "x": minigrad.zeros(0, 2, dtype=minigrad.float64)}
    minigrad.save(state, tmp_path / "mine.safetensors")
    read = safetensors_numpy.load_file(str(tmp_path / "mine.safetensors"))
    assert_identical({k: minigrad.tensor(v) for k, v in read.items()}, state)
    safetensors_numpy.save_file({k: v.numpy() for k, v in state.items()},
                                str(tmp_path / "theirs.safetensors"))
    loaded = minigrad.load(tmp_path / "theirs.safetensors")
    assert sorted(loaded) == sorted(state)  # the library orders tensors its own way
    assert_identical({k: loaded[k] for k in state}, state)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_optimizer_state_survives_a_checkpoint(backend: str, tmp_path, optimizer: str) -> None:
    """Training, saving, loading into a fresh model and optimizer, and training on, is the same
    as training on without the checkpoint."""
    options = {"SGD": dict(lr=0.1, momentum=0.9)}.get(optimizer, dict(lr=0.01))
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            model(x).square().mean().backward()
            opt.step()

    model = models(minigrad, 0)
    opt = getattr(minigrad.optim, optimizer)(model.parameters(), **options)
    train(model, opt, 3)
    minigrad.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c.mg")
    train(model, opt, 3)

    checkpoint = minigrad.load(tmp_path / "c.mg")
    resumed = models(minigrad, 1)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = getattr(minigrad.optim, optimizer)(resumed.parameters(), **options)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    train(resumed, resumed_opt, 3)
    for (name, a), b in zip(resumed.state_dict().items(), model.state_dict().values()):
        assert_close(a, b, family="exact", what=name)
