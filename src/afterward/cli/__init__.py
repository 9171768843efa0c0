"""The `afterward` command and its groups (serve, worker, migrate, store, admin, demo,
import, jobs, journeys, insights, bench)."""

from __future__ import annotations

from afterward.cli.main import app


def main() -> None:
    app()
