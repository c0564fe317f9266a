"""The real 8×8 handwritten digits (UCI, CC BY 4.0), shipped inside the package and read offline."""

from __future__ import annotations

import gzip
import hashlib
import io
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..creation import tensor
from ..dtypes import float32, int64
from ..tensor import Tensor

__all__ = ["load_digits"]

DIGITS_FILE = Path(__file__).parent / "data" / "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


@lru_cache(maxsize=1)
def _read_digits() -> np.ndarray:
    """The 1797 × 65 integer table (64 pixels, then the label), checked against its SHA-256."""
    packed = DIGITS_FILE.read_bytes()
    if hashlib.sha256(packed).hexdigest() != DIGITS_SHA256:
        raise RuntimeError(f"{DIGITS_FILE} is damaged: its SHA-256 differs from the shipped file's; "
                           "reinstall minigrad")
    table = np.loadtxt(io.BytesIO(gzip.decompress(packed)), delimiter=",", dtype=np.int64)
    table.flags.writeable = False
    return table


def load_digits(images: bool = False) -> tuple[Tensor, Tensor]:
    """The 1797 handwritten digits of the UCI test set: ``(x, y)``.

    ``x`` is float32 with raw pixel counts 0..16 (divide by 16 to scale to [0, 1]), shaped
    (1797, 64), or (1797, 8, 8) with ``images=True``; ``y`` is int64 (1797,) with the digits 0..9.
    Attribution and licence: ``minigrad/datasets/data/LICENSE-digits.txt``.
    """
    table = _read_digits()
    pixels = table[:, :64].reshape(-1, 8, 8) if images else table[:, :64]
    return tensor(pixels, dtype=float32), tensor(table[:, 64], dtype=int64)
