"""Surveys in a customer's export and erasure: every answer with its alert is
exported; erasure blanks the comments and keeps the scores (the store's NPS stays)."""

from __future__ import annotations

from afterward import privacy
from tests.feedback.survey_scene import Shop, answers, shop_fixture  # noqa: F401 (a fixture)


def export(db, store_id, customer_id):
    with db.reading() as session:
        return privacy.export_customer(session, store_id=store_id, customer_id=customer_id)


def answer(shop: Shop, number: str, survey: str, score: int, comment: str | None = None):
    body = {"order_number": number, "survey": survey, "score": score}
    if comment:
        body["comment"] = comment
    assert shop.client.post("/api/v1/surveys/responses", headers=shop.store.auth,
                            json=body).status_code == 201


def test_the_export_holds_every_answer_and_its_alert(shop: Shop, db):
    _, customer_id = shop.order("1001")
    _, other_id = shop.order("1002", email="bob@example.com")
    answer(shop, "1001", "nps", 4, "Slow parcel")
    answer(shop, "1001", "delivery", 1)
    answer(shop, "1002", "nps", 10)

    data = export(db, shop.store.id, customer_id)["surveys"]

    assert [(a["survey"], a["score"], a["comment"], a["source"], a["detractor"])
            for a in data] == [("nps", 4, "Slow parcel", "api", True),
                               ("delivery", 1, None, "api", False)]
    assert (data[0]["alert"]["status"], data[0]["alert"]["reason"]) == ("open",
                                                                        "nps_detractor")
    assert data[1]["alert"] is None
    assert len(export(db, shop.store.id, other_id)["surveys"]) == 1


def test_a_customer_without_answers_exports_nothing(shop: Shop, db):
    _, customer_id = shop.order("1001")

    assert export(db, shop.store.id, customer_id)["surveys"] is None


def test_erasure_blanks_the_comments_and_keeps_the_scores(shop: Shop, db):
    _, customer_id = shop.order("1001")
    shop.order("1002", email="bob@example.com")
    answer(shop, "1001", "nps", 4, "Slow parcel, Ada Lovelace, 3 Elm St")
    answer(shop, "1002", "nps", 9, "Great")

    with db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=shop.store.id,
                                      customer_id=customer_id)

    assert rows["survey_responses"] == 1
    assert answers(db) == [("nps", 4, None), ("nps", 9, "Great")]


def test_the_comments_are_read_for_the_text_models_oldest_first(shop: Shop, db):
    from datetime import timedelta

    from afterward import modules
    from afterward.feedback import survey_texts
    from afterward.storage.types import utcnow

    shop.order("1001")
    shop.order("1002", email="bob@example.com")
    answer(shop, "1001", "csat", 2, "Refund was slow")
    answer(shop, "1002", "nps", 9, "Great tea")
    answer(shop, "1002", "delivery", 1)

    with db.reading() as session:
        found = list(survey_texts.comments(session, store_id=shop.store.id, since=None))
        later = list(survey_texts.comments(session, store_id=shop.store.id,
                                           since=utcnow() + timedelta(minutes=1)))

    assert [(t.source, t.text, t.rating) for t in found] == [
        ("survey", "Refund was slow", 2), ("survey", "Great tea", None)]
    assert later == []
    assert "afterward.feedback.survey_texts:comments" in list(modules.each("texts"))
