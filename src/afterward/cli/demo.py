def demo() -> None:
    """Create a demo store with realistic history, then serve it."""
    raise SystemExit("not yet")
