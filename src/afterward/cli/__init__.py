"""The `afterward` command: serve | worker | migrate | store | admin | demo | import | jobs | bench."""

from __future__ import annotations

from afterward.cli.main import app


def main() -> None:
    app()
