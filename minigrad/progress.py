"""A tiny progress bar on stderr: ``epoch 3/10 [##########..........] 24/47  loss 0.3121  1.2 s``.

On a terminal it redraws its line after every ``update``; elsewhere (a log file, a pipe, a test)
it writes its final state once, at ``close``, so that logs do not fill with half-drawn bars.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Count ``total`` steps under ``label``, showing the latest named values (``loss=0.31``)."""

    def __init__(self, total: int, label: str, width: int = 24, stream: TextIO | None = None) -> None:
        self.total, self.label, self.width = total, label, width
        self.stream = sys.stderr if stream is None else stream
        self.live = self.stream.isatty()
        self.done = 0
        self.values: dict[str, float] = {}
        self.start = time.perf_counter()

    def update(self, steps: int = 1, **values: float) -> None:
        """Advance by ``steps`` and remember ``values`` (shown after the bar)."""
        self.done += steps
        self.values.update(values)
        if self.live:
            self._draw("\r")

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._draw("\r" if self.live else "")
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, prefix: str) -> None:
        """Write the bar after ``prefix`` (a carriage return redraws the line in place)."""
        filled = self.width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        shown = "".join(f"  {name} {value:.4f}" for name, value in self.values.items())
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"{prefix}{self.label} [{bar}] {self.done}/{self.total}{shown}  "
                          f"{elapsed:.1f} s")
        self.stream.flush()
