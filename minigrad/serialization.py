"""Checkpoints: ``minigrad.save(obj, path)`` and ``minigrad.load(path)``, in a format that runs no code.

torch pickles, so loading an untrusted ``.pt`` file can execute anything. minigrad writes the
safetensors layout instead, which holds only data::

    header size N (uint64, little-endian) | header (N bytes of JSON) | the tensors' raw bytes

The header names each tensor with its dtype, shape and byte range; its ``__metadata__`` holds the
nested structure around the tensors (dicts, lists, tuples, numbers, strings, None: what the
``state_dict()`` of a module or an optimizer contains) and a SHA-256 of the whole file (computed
with the checksum's own 64 digits set to zeros). A flat dict of tensors, like a module's
``state_dict()``, is stored under its own keys, so ``safetensors.torch.load_file`` reads it too;
and ``minigrad.load`` reads plain safetensors files (F32, F64, I64 and BOOL tensors).

Saving writes a temporary file next to the target, flushes it to disk and renames it over the
target in one step: an error or a crash never leaves a half-written checkpoint. Loading checks the
sizes and the SHA-256 before building anything: a truncated or corrupt file raises
``CheckpointError`` (a RuntimeError). A round trip is bit-exact; one tensor object stored twice
comes back as one object (tensors that are views of one another come back as separate copies).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from .creation import tensor as _tensor
from .tensor import Tensor

__all__ = ["save", "load"]

_DTYPES = {"float32": "F32", "float64": "F64", "int64": "I64", "bool": "BOOL"}  # NumPy → safetensors
_NUMPY = {code: np.dtype(name).newbyteorder("<") for name, code in _DTYPES.items()}
_UNSET = "0" * 64  # the checksum's placeholder while the checksum is computed
_PREFIX = b'{"__metadata__":{"sha256":"'  # how a minigrad header starts: the checksum is at a fixed place
_KEY_TYPES = (str, int, float, bool, type(None))


class CheckpointError(RuntimeError):
    """A file that is not a minigrad checkpoint, or one that is truncated or corrupt."""


class _Encoder:
    """Turns an object into a JSON structure plus named arrays, refusing what it cannot store."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._seen: dict[int, dict] = {}  # id(tensor) -> its reference: a tensor stored once
        self._open: set[int] = set()  # containers being encoded, to refuse cycles

    def encode(self, obj: Any, path: tuple) -> Any:
        """The JSON form of ``obj``, found at ``path`` (the keys leading to it)."""
        if obj is None or isinstance(obj, (bool, str)) or type(obj) is int:
            return obj
        if type(obj) is float:
            return {"float": struct.pack("<d", obj).hex()}  # the IEEE bits: nan signs included
        if isinstance(obj, Tensor) or type(obj) is np.ndarray:
            return self._store(obj, path)
        if type(obj) in (list, tuple, dict, OrderedDict):
            if id(obj) in self._open:
                raise ValueError(f"minigrad.save: {_where(path)} contains itself (a cyclic structure)")
            self._open.add(id(obj))
            encoded = self._encode_container(obj, path)
            self._open.discard(id(obj))
            return encoded
        raise TypeError(f"minigrad.save cannot store {_where(path)}, an object of type "
                        f"{type(obj).__qualname__}: it stores tensors, NumPy arrays, numbers, strings, "
                        "None and dicts, lists and tuples of them (save model.state_dict(), not the model)")

    def _encode_container(self, obj: Any, path: tuple) -> dict:
        if isinstance(obj, (list, tuple)):
            items = [self.encode(item, path + (i,)) for i, item in enumerate(obj)]
            return {"list" if type(obj) is list else "tuple": items}
        pairs = []
        for key, value in obj.items():
            if type(key) not in _KEY_TYPES:
                raise TypeError(f"minigrad.save cannot store the key {key!r} of {_where(path)}: dict keys "
                                f"must be str, int, float, bool or None, not {type(key).__qualname__}")
            pairs.append([self.encode(key, path), self.encode(value, path + (key,))])
        return {"dict" if type(obj) is dict else "ordered_dict": pairs}

    def _store(self, obj: Tensor | np.ndarray, path: tuple) -> dict:
        if id(obj) in self._seen:
            return self._seen[id(obj)]
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter

            array = obj._backend.to_numpy(obj.data)
            reference = {"tensor": "", "kind": "parameter" if isinstance(obj, Parameter) else "tensor",
                         "requires_grad": obj.requires_grad, "device": str(obj.device)}
        else:
            array, reference = obj, {"tensor": "", "kind": "ndarray"}
        if array.dtype.name not in _DTYPES:
            raise TypeError(f"minigrad.save cannot store {_where(path)}: its dtype {array.dtype} is not "
                            f"one of minigrad's ({', '.join(_DTYPES)})")
        name = "/".join(str(key) for key in path) or "obj"
        while name in self.arrays or name == "__metadata__":  # e.g. keys "a/b" and ("a", "b")
            name += "'"
        reference["tensor"] = name
        self.arrays[name] = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
        self._seen[id(obj)] = reference
        return reference


def _where(path: tuple) -> str:
    return "obj" + "".join(f"[{key!r}]" for key in path)


def _serialize(obj: Any) -> list[bytes | memoryview]:
    """The file's bytes, in pieces (the tensors are not copied)."""
    encoder = _Encoder()
    structure = json.dumps(encoder.encode(obj, ()), separators=(",", ":"))
    header: dict[str, Any] = {"__metadata__": {"sha256": _UNSET, "format": "minigrad", "version": "1",
                                               "structure": structure}}
    offset = 0
    for name, array in encoder.arrays.items():
        header[name] = {"dtype": _DTYPES[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the tensors start 8-byte aligned, as safetensors does
    pieces = [struct.pack("<Q", len(text)), text]
    pieces += [memoryview(array.reshape(-1)).cast("B") for array in encoder.arrays.values() if array.size]
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    pieces[1] = _PREFIX + digest.hexdigest().encode() + text[len(_PREFIX) + 64:]
    return pieces


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write ``obj`` (e.g. a ``state_dict()``) to the path ``f`` atomically, or to a binary file object.

    Everything is checked before the file system is touched: an object that cannot be stored
    raises TypeError naming it, and the file at ``f``, if any, stays as it was.
    """
    pieces = _serialize(obj)
    if hasattr(f, "write"):
        for piece in pieces:
            f.write(piece)  # type: ignore[union-attr]
        return
    path = os.fspath(f)
    temporary = f"{path}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_directory(os.path.dirname(os.path.abspath(path)))


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _parse(raw: bytes, name: str) -> tuple[dict, memoryview, bool]:
    """The header, the tensors' bytes, and whether it is a minigrad checkpoint, all verified:
    the sizes add up and, for minigrad's checkpoints, the SHA-256 matches."""
    if len(raw) < 9:
        raise CheckpointError(f"{name} is truncated: {len(raw)} bytes is too short for a checkpoint")
    (size,) = struct.unpack_from("<Q", raw)
    if raw[8:9] != b"{":
        raise CheckpointError(f"{name} is not a minigrad checkpoint (nor a safetensors file); "
                              "minigrad.load does not read torch's pickled .pt files")
    if 8 + size > len(raw):
        raise CheckpointError(f"{name} is truncated: its header announces {8 + size} bytes or more, "
                              f"the file has {len(raw)}")
    text = raw[8:8 + size]
    try:
        header = json.loads(text)
        ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
        metadata = header.get("__metadata__", {})
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise CheckpointError(f"{name} is corrupt: its header cannot be read ({error})") from None
    expected = 8 + size + max(ends, default=0)
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "corrupt"
        raise CheckpointError(f"{name} is {state}: its header announces {expected} bytes, "
                              f"the file has {len(raw)}")
    ours = text.startswith(_PREFIX) or metadata.get("format") == "minigrad"
    if ours:
        stated = text[len(_PREFIX):len(_PREFIX) + 64]
        blanked = raw[:8] + _PREFIX + _UNSET.encode() + raw[8 + len(_PREFIX) + 64:]
        if not text.startswith(_PREFIX) or hashlib.sha256(blanked).hexdigest().encode() != stated:
            raise CheckpointError(f"{name} is corrupt: its SHA-256 checksum does not match its content")
    return header, memoryview(raw)[8 + size:], ours


def _rebuild(entry: dict, reference: dict, data: memoryview, map_location: Any) -> Any:
    """One stored tensor (or NumPy array) from its header entry and the tensors' bytes."""
    if entry["dtype"] not in _NUMPY:
        raise TypeError(f"dtype {entry['dtype']} is not one of minigrad's ({', '.join(_NUMPY)})")
    start, end = entry["data_offsets"]
    array = np.frombuffer(data[start:end], dtype=_NUMPY[entry["dtype"]]).reshape(entry["shape"])
    if reference["kind"] == "ndarray":
        return array.astype(array.dtype.newbyteorder("="))  # a writable copy in native byte order
    device = reference.get("device", "cpu") if map_location is None else str(map_location)
    result = _tensor(array, device=device)
    if reference["kind"] == "parameter":
        from .nn.parameter import Parameter

        return Parameter(result, requires_grad=reference["requires_grad"])
    return result.requires_grad_(True) if reference.get("requires_grad") else result


def _decode(value: Any, tensor: Any) -> Any:
    """The object a JSON structure describes; ``tensor(reference)`` builds a stored tensor."""
    if not isinstance(value, dict):
        return value
    if "tensor" in value:
        return tensor(value)
    ((kind, content),) = value.items()
    if kind == "float":
        return struct.unpack("<d", bytes.fromhex(content))[0]
    if kind in ("list", "tuple"):
        items = [_decode(item, tensor) for item in content]
        return items if kind == "list" else tuple(items)
    pairs = ((_decode(key, tensor), _decode(item, tensor)) for key, item in content)
    return {"dict": dict, "ordered_dict": OrderedDict}[kind](pairs)


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, weights_only: bool | None = None) -> Any:
    """Read a checkpoint written by ``minigrad.save`` (or a plain safetensors file: a dict of tensors).

    Tensors go to ``map_location`` if given, else to the device they were saved from. The whole
    file is verified before anything is built. Loading never runs code: ``weights_only=False``
    (torch's way to allow unpickling) is refused.
    """
    if weights_only is False:
        raise NotImplementedError("minigrad.load never unpickles: weights_only=False is not supported")
    if hasattr(f, "read"):
        raw, name = f.read(), "the file object"  # type: ignore[union-attr]
    else:
        with open(f, "rb") as handle:
            raw, name = handle.read(), repr(os.fspath(f))
    header, data, ours = _parse(raw, name)
    built: dict[str, Any] = {}

    def tensor(reference: dict) -> Any:
        key = reference["tensor"]
        if key not in built:
            built[key] = _rebuild(header[key], reference, data, map_location)
        return built[key]

    try:
        if not ours:
            return {key: tensor({"tensor": key, "kind": "tensor"}) for key in header if key != "__metadata__"}
        return _decode(json.loads(header["__metadata__"]["structure"]), tensor)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
        raise CheckpointError(f"{name} has an invalid structure: {error!r}") from error
