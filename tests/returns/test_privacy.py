"""Returns in a customer's export and erasure: the returns and credit are exported;
erasure takes the shopper's words and the label links, and keeps the money."""

from __future__ import annotations

from afterward import privacy
from afterward.returns.models import Return


def export(db, store_id, customer_id):
    with db.reading() as session:
        return privacy.export_customer(session, store_id=store_id, customer_id=customer_id)


def test_the_export_holds_the_customer_s_returns_and_store_credit(shop):
    made = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small",
                          "comment": "Too small for my hands"}], resolution="store_credit").json()
    shop.post(f"/api/v1/returns/{made['id']}/receive",
              {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]})

    data = export(shop.db, shop.store.id, shop.customer_id)["returns"]

    [returned] = data["returns"]
    assert (returned["number"], returned["status"], returned["credit_minor"]) == (
        made["number"], "resolved", 1320)
    assert returned["lines"] == [{"sku": "MUG-1", "title": "Mug", "quantity": 1,
                                  "reason": "too_small", "comment": "Too small for my hands",
                                  "received_quantity": 1, "condition": "new"}]
    assert data["store_credit"]["balance_minor"] == 1320
    assert [e["kind"] for e in data["store_credit"]["entries"]] == ["return", "bonus"]


def test_erasure_removes_comments_and_label_links_and_keeps_amounts_and_credit(shop):
    shop.put_policy(auto_approve=False)
    made = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small",
                          "comment": "Call me on +49 151 2345678"}]).json()
    shop.post(f"/api/v1/returns/{made['id']}/reject", {"reason": "Ada sent it worn"})
    with shop.db.reading() as session:
        old_token = session.get(Return, made["id"]).label_token

    with shop.db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=shop.store.id,
                                      customer_id=shop.customer_id)

    assert (rows["returns"], rows["return_lines"]) == (1, 1)
    with shop.db.reading() as session:
        rma = session.get(Return, made["id"])
        assert (rma.reject_reason, rma.lines[0].comment) == (None, None)
        assert rma.label_token != old_token and len(rma.label_token) == 43
        assert (rma.value_minor, rma.status, rma.customer_id) == (1200, "rejected",
                                                                   shop.customer_id)


def test_a_customer_without_returns_exports_none_and_erases_nothing(shop, db):
    data = export(db, shop.store.id, shop.customer_id)["returns"]

    assert data == {"returns": [], "gifts_returned_to_me": [], "store_credit": None}
