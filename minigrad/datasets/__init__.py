"""Built-in data sets (being written)."""

__all__: list[str] = []
