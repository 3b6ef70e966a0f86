"""Deliveries of submissions to back-office destinations (placeholder: being written)."""


def register() -> None:
    """Hook into the forms engine (filled in by the deliveries work)."""
