"""Journey fixtures: messaging's runtime (outbox unless a test brings SMTP) and its
loopback SMTP server; builders live in helpers.py."""

from __future__ import annotations

import pytest

from afterward.worker import EventNudge
from tests.messaging.conftest import (  # noqa: F401  (fixtures, re-exported)
    messaging_runtime,
    smtp,
    smtp_server,
)


@pytest.fixture(autouse=True)
def fresh_event_nudge() -> None:
    """Each test's database starts its event ids again; the nudge must not remember."""
    EventNudge.forget()
