def bench(suite: str) -> None:
    """Run a benchmark suite."""
    raise SystemExit("not yet")
