"""Journey fixtures: messaging's runtime (outbox unless a test brings SMTP) and its
loopback SMTP server; builders live in helpers.py."""

from __future__ import annotations

from tests.messaging.conftest import (  # noqa: F401  (fixtures, re-exported)
    messaging_runtime,
    smtp,
    smtp_server,
)

