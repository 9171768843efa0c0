"""Loyalty in a customer's export and erasure: the account and every entry are
exported; erasure blanks the reasons and keeps every amount and the balance."""

from __future__ import annotations

from afterward import privacy


def export(db, store_id, customer_id):
    with db.reading() as session:
        return privacy.export_customer(session, store_id=store_id, customer_id=customer_id)


def test_the_export_holds_the_account_and_its_entries(club, db, store):
    _, customer_id = club.order()
    club.consume()
    club.adjust(customer_id, 40, "k", reason="Ada was upset about the parcel")

    data = export(db, store.id, customer_id)["loyalty"]

    assert (data["points_balance"], data["points_pending"], data["lifetime_points"],
            data["tier"]) == (40, 300, 340, None)
    assert [(e["kind"], e["points"], e["reason"]) for e in data["entries"]] == [
        ("earn", 300, "order"), ("adjust", 40, "Ada was upset about the parcel")]


def test_erasure_blanks_reasons_and_keeps_the_points(club, db, store):
    _, customer_id = club.order()
    club.consume()
    club.adjust(customer_id, 40, "k", reason="Ada was upset about the parcel")

    with db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=store.id, customer_id=customer_id)

    assert rows["loyalty_entries"] == 2
    data = export(db, store.id, customer_id)["loyalty"]
    assert [(e["kind"], e["points"], e["reason"]) for e in data["entries"]] == [
        ("earn", 300, None), ("adjust", 40, None)]
    assert club.points(customer_id) == (40, 300, 0)


def test_a_customer_without_an_account_exports_none(club, db, store):
    _, customer_id = club.order()

    assert export(db, store.id, customer_id)["loyalty"] is None


def test_a_referred_friend_is_exported_and_erased_down_to_a_hash(club, db, store):
    assert club.put_program(referral={"enabled": True, "friend_discount_minor": 500}
                            ).status_code == 200
    _, referrer = club.order()
    made = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json={
        "referrer_customer_id": referrer, "friend_email": "Bob.Friend@gmail.com",
        "ip": "203.0.113.5"}).json()
    _, friend = club.order("2001", email="bobfriend@gmail.com")

    exported = export(db, store.id, friend)["loyalty"]["referred_by"]
    by_referrer = export(db, store.id, referrer)["loyalty"]["referrals_made"]
    with db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=store.id, customer_id=friend)

    assert [(r["id"], r["friend_email"]) for r in exported] == [
        (made["id"], "Bob.Friend@gmail.com")]
    assert [r["id"] for r in by_referrer] == [made["id"]]
    assert rows["loyalty_referrals"] == 1
    from afterward.loyalty.models import LoyaltyReferral
    with db.reading() as session:
        kept = session.get(LoyaltyReferral, made["id"])
        assert (kept.friend_email, kept.device_hash, kept.friend_mailbox[:7],
                kept.status) == (None, None, "erased:", "pending")
