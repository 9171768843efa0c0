"""The assistant's inbox in the hostile shop (hostile_shop.py): a conversation opened
from a parcel's tracking page by a shopper who wrote hostile text and asked for a
person, answered by the team with hostile text, and the visits the walk makes to the
admin's pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from afterward.assistant.models import Conversation
from afterward.storage.db import Database
from tests.hostile import hostile
from tests.web import hostile_shop as h
from tests.web.hostile_walk import CSRF, Visit

ASKED = hostile("shopper message", 3000) + " I want to talk to a person"
ANSWER = hostile("agent answer", 3000)


def conversation_shop(client: TestClient, db: Database, shop: h.Shop) -> int:
    answer = client.post("/assistant/messages", json={"text": ASKED, "token": shop.tokens[0]})
    assert answer.status_code == 200, answer.text
    with db.reading() as session:
        found = session.scalar(select(Conversation.id).order_by(Conversation.id.desc()))
    assert found is not None
    return found


def visits(conversation_id: int = 1) -> tuple[Visit, ...]:
    path = f"/admin/conversations/{conversation_id}"
    return (
        Visit("/admin/conversations", "/admin/conversations?status=open"),  # its first 120
        Visit("/admin/conversations/{conversation_id}", path, (ASKED, h.ORDER_NUMBER)),
        Visit("/admin/conversations/{conversation_id}/reply", path + "/reply",
              (ASKED, ANSWER), form={"csrf": CSRF, "text": ANSWER}),
        Visit("/admin/conversations/{conversation_id}/assign", path + "/assign", (ASKED,),
              form={"csrf": CSRF}),
        Visit("/admin/conversations/{conversation_id}/close", path + "/close", (ASKED,),
              form={"csrf": CSRF}),
        Visit("/admin/conversations/{conversation_id}", path, (ASKED, ANSWER)),
        Visit("/admin/conversations/stats", "/admin/conversations/stats"),
    )
