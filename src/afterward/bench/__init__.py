"""Benchmark suites behind `afterward bench SUITE`: one module per suite, each a
`run(options) -> list[Figure]`. Figures print as JSON lines (see DESIGN.md)."""
