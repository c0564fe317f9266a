"""Adam and AdamW (being written)."""

__all__: list[str] = []
