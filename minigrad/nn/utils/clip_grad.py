"""Gradient clipping (being written)."""

__all__: list[str] = []
