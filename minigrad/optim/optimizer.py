"""Optimizer base (being written)."""

__all__: list[str] = []
