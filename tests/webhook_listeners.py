"""A store's webhook endpoint, for tests of what a module publishes (afterward/outbound.py
queues nothing for a store that has none)."""

from __future__ import annotations

from afterward.messaging.endpoints import add_webhook_endpoint
from afterward.storage.db import Database


def listening(db: Database, store_id: int, *, events: list[str] | None = None,
              url: str = "https://hooks.invalid/in") -> int:
    """An active endpoint of the store taking `events` (None: every event); its id."""
    with db.transaction() as session:
        return add_webhook_endpoint(session, store_id=store_id, url=url, events=events).id
