"""A customer's conversations and messages are in their export and go with their
erasure; another customer's stay."""

from __future__ import annotations

from afterward import privacy
from tests.assistant.conftest import counts


def _customer_of(chat, number: str) -> int:
    return chat.client.get(f"/api/v1/orders?number={number}",
                           headers=chat.auth).json()["items"][0]["customer_id"]


def test_export_holds_the_conversations_and_erase_deletes_them(chat):
    chat.widget("where is my order?", token=chat.token("delivered"))
    chat.widget("<b>where</b> is my order?", token=chat.token("in_transit"))
    ada = _customer_of(chat, "1001")
    past = chat.widget("where is my order?", order_number="H1", email="past1@example.com").json()
    assert past["reply"].startswith("Order H1 has not shipped yet.")

    exported = chat.client.get(f"/api/v1/customers/{ada}/export", headers=chat.auth).json()
    erased = chat.client.post(f"/api/v1/customers/{ada}/erase", headers=chat.auth).json()

    talks = exported["assistant"]["conversations"]
    assert [(c["messages"][0]["author"], c["messages"][0]["text"]) for c in talks] == [
        ("shopper", "where is my order?"), ("shopper", "<b>where</b> is my order?")]
    assert (erased["rows"]["conversations"], erased["rows"]["conversation_messages"]) == (2, 4)
    assert counts(chat.db)["conversations"] == 1
    assert counts(chat.db)["messages"] == 2
    with chat.db.reading() as session:
        again = privacy.export_customer(session, store_id=chat.scene.store_id, customer_id=ada)
    assert again["assistant"] is None
