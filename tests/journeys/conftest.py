"""Journey fixtures: messaging's runtime (outbox unless a test brings SMTP) and its
loopback SMTP server; builders live in helpers.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from afterward.journeys import consumer
from tests.messaging.conftest import (  # noqa: F401  (fixtures, re-exported)
    messaging_runtime,
    smtp,
    smtp_server,
)


@pytest.fixture(autouse=True)
def no_visibility_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: read events as soon as they commit (tests have no concurrent writers)."""
    monkeypatch.setattr(consumer, "VISIBILITY_MARGIN", timedelta(0))
