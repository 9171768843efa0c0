"""The tracking pages' coffee shop (tests/web/tracking_scenes.py) and a way to talk to
the assistant: through the widget's endpoint with a parcel's token or two facts, or
through the API with the store's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from afterward.assistant.models import Conversation, ConversationMessage
from afterward.commerce import stores
from afterward.events import Event
from afterward.storage.db import Database
from tests.web import tracking_scenes as scenes
from tests.webhook_listeners import listening


@dataclass
class Chat:
    client: Any
    db: Database
    scene: scenes.Scene
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def widget(self, text: str, **fields: Any) -> Any:
        return self.client.post("/assistant/messages", json={"text": text, **fields})

    def token(self, name: str) -> str:
        return self.scene.tokens[name]

    def api(self, text: str, **fields: Any) -> Any:
        return self.client.post("/api/v1/assistant/messages", json={"text": text, **fields},
                                headers=self.auth)


@pytest.fixture
def chat(client, db: Database) -> Chat:
    scene = scenes.build(db)
    with db.transaction() as session:
        store = stores.get_by_slug(session, scenes.SLUG)
        assert store is not None
        key = stores.issue_api_key(session, store=store)
    listening(db, store.id)  # the store's help desk hears of conversations handed over
    return Chat(client, db, scene, key)


def counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        found = {"conversations": session.scalar(select(func.count()).select_from(
            Conversation)) or 0, "messages": session.scalar(select(func.count()).select_from(
                ConversationMessage)) or 0}
        rows = session.execute(select(Event.name, func.count()).where(
            Event.name.like("assistant.%") | Event.name.like("conversation.%")
            | Event.name.like("return.%") | (Event.name == "customer.consent_changed"))
            .group_by(Event.name))
        found.update({name: int(n) for name, n in rows})
        return found


@pytest.fixture
def admin_client(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The same client, signed in to the admin as a member of the coffee shop."""
    from afterward.accounts import service as accounts
    from tests.web.helpers import CHEAP_HASHER, make_admin, sign_in

    monkeypatch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)
    make_admin(chat.db, stores=(scenes.SLUG,))
    assert sign_in(chat.client).status_code == 303
    return chat.client
