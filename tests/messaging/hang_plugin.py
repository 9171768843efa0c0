"""Loaded into a worker subprocess by a test: the send step hangs, so the test can
kill the real process after the message was rendered and before it was sent."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from afterward.jobs import JobContext, handler


@handler("messaging.send")
def hang(session: Session, job: JobContext) -> None:
    time.sleep(3600)
