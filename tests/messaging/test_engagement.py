"""What comes back: opens, clicks, one-click unsubscribes, bounces, complaints;
signed tokens that cannot be forged or reused for another purpose."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterward.commerce.models import Consent
from afterward.messaging import service
from afterward.messaging.models import Suppression
from afterward.messaging.runtime import current
from afterward.messaging.tokens import CLICK, OPEN, UNSUBSCRIBE, InvalidToken, LinkSigner
from tests.messaging.conftest import message_row, queue, run_jobs, shop


def sent_message(db, store_id, **fields):
    customer_id, order_id, _, _ = shop(db, store_id, marketing=True)
    message_id = queue(db, store_id, customer_id=customer_id, refs={"order_id": order_id},
                       template_key="order_confirmation", **fields)
    run_jobs(db)
    return message_id, customer_id


def test_tokens_are_bound_to_their_purpose_and_key():
    links = LinkSigner("secret-one", "https://shop.example")
    token = links.token(OPEN, 42)
    assert links.read(OPEN, token) == (42, None)
    with pytest.raises(InvalidToken):
        links.read(CLICK, token)
    with pytest.raises(InvalidToken):
        LinkSigner("secret-two", "https://shop.example").read(OPEN, token)
    with pytest.raises(InvalidToken):
        links.read(OPEN, token[:-2] + "xx")


@pytest.mark.parametrize(("purpose", "message_id", "url"), [
    (OPEN, 42, None), (UNSUBSCRIBE, 12_345_678_901, None),
    (CLICK, 8, "https://ü.example/"), (CLICK, 9, "https://shop.example/p/1?a=1&b=2")])
def test_tokens_are_the_ones_itsdangerous_makes(purpose, message_id, url):
    # given: the serializer tokens were made with before the fast path
    from itsdangerous import URLSafeSerializer

    expected = URLSafeSerializer("secret-one", salt=f"afterward.messaging.{purpose}").dumps(
        [message_id] if url is None else [message_id, url])
    # when / then
    assert LinkSigner("secret-one", "https://shop.example").token(
        purpose, message_id, url) == expected


def test_a_long_link_s_token_is_signed_uncompressed_and_itsdangerous_reads_it():
    # given: a URL that itsdangerous would have compressed (its token starts with ".")
    from itsdangerous import URLSafeSerializer

    url = "https://shop.example/tea?utm=a&x=%20" * 4
    serializer = URLSafeSerializer("secret-one", salt="afterward.messaging.click")
    # when
    token = LinkSigner("secret-one", "https://shop.example").token(CLICK, 7, url)
    # then
    assert serializer.dumps([7, url]).startswith(".")
    assert not token.startswith(".")
    assert serializer.loads(token) == [7, url]
    assert LinkSigner("secret-one", "https://shop.example").read(
        CLICK, serializer.dumps([7, url])) == (7, url)  # older, compressed tokens still read


def test_a_click_redirect_goes_only_where_it_was_signed_to(db, make_store):
    store = make_store("acme")
    message_id, _ = sent_message(db, store.id)
    links = current().links
    url = links.click_url(message_id, "https://shop.example/t/abc")

    with db.transaction() as session:
        target = service.record_click(session, token=url.rsplit("/", 1)[1], links=links)

    assert target == "https://shop.example/t/abc"
    clicked = message_row(db, message_id)
    assert (clicked.status, clicked.click_count) == ("clicked", 1)
    assert clicked.opened_at is not None and clicked.clicked_at is not None


def test_opens_count_and_never_move_a_message_back(db, make_store):
    store = make_store("acme")
    message_id, _ = sent_message(db, store.id)
    links = current().links
    with db.transaction() as session:
        service.record_click(session, token=links.token(CLICK, message_id, "https://x.example"),
                             links=links)
        service.record_open(session, token=links.token(OPEN, message_id), links=links)
        service.record_open(session, token=links.token(OPEN, message_id), links=links)
        service.record_delivery(session, store_id=store.id, message_id=message_id)

    row = message_row(db, message_id)
    assert (row.status, row.open_count, row.click_count) == ("clicked", 2, 1)
    assert row.delivered_at is not None


def test_one_click_unsubscribe_revokes_marketing_consent_and_lists_the_address(db, make_store):
    store = make_store("acme")
    message_id, customer_id = sent_message(db, store.id)
    links = current().links

    with db.transaction() as session:
        service.unsubscribe(session, token=links.token(UNSUBSCRIBE, message_id), links=links)
    with db.transaction() as session:  # twice is the same as once
        service.unsubscribe(session, token=links.token(UNSUBSCRIBE, message_id), links=links)

    with db.reading() as session:
        consent = session.scalars(select(Consent.granted).where(
            Consent.customer_id == customer_id, Consent.channel == "email",
            Consent.purpose == "marketing")).one()
        listed = session.scalars(select(Suppression.reason).where(
            Suppression.address == "ada@example.com")).all()
    assert consent is False
    assert listed == ["unsubscribe"]


def test_a_hard_bounce_suppresses_the_address_a_soft_one_does_not(db, make_store):
    store = make_store("acme")
    message_id, _ = sent_message(db, store.id, idempotency_key="a")
    with db.transaction() as session:
        service.record_bounce(session, store_id=store.id, message_id=message_id,
                              permanent=False, detail="452 mailbox full")
    with db.reading() as session:
        assert session.scalars(select(Suppression)).all() == []
    assert message_row(db, message_id).status == "bounced"

    with db.transaction() as session:
        service.record_bounce(session, store_id=store.id, message_id=message_id,
                              permanent=True, detail="550 5.1.1 user unknown")
    with db.reading() as session:
        [row] = session.scalars(select(Suppression)).all()
    assert (row.reason, row.address, row.message_id) == ("hard_bounce", "ada@example.com",
                                                         message_id)


def test_a_complaint_stops_marketing(db, make_store):
    store = make_store("acme")
    message_id, customer_id = sent_message(db, store.id)
    with db.transaction() as session:
        service.record_complaint(session, store_id=store.id, message_id=message_id)
    with db.reading() as session:
        reasons = session.scalars(select(Suppression.reason)).all()
        consent = session.scalars(select(Consent.granted).where(
            Consent.customer_id == customer_id, Consent.purpose == "marketing")).one()
    assert (reasons, consent) == (["complaint"], False)


def test_another_store_s_message_cannot_be_bounced(db, make_store):
    acme, other = make_store("acme"), make_store("other")
    message_id, _ = sent_message(db, acme.id)
    with db.transaction() as session:
        assert service.record_bounce(session, store_id=other.id, message_id=message_id,
                                     permanent=True) is None
    assert message_row(db, message_id).status == "sent"


def test_settings_are_checked(db, make_store):
    from afterward.commerce.validation import InvalidValue

    store = make_store("acme")
    for bad in ({"quiet_start": "25:00"}, {"marketing_budget": -1}, {"budget_days": 0},
                {"from_email": "nope"}, {"colour": "red"}):
        with db.transaction() as session, pytest.raises(InvalidValue):
            service.update_sending_settings(session, store_id=store.id, **bad)
    with db.transaction() as session:
        row = service.update_sending_settings(session, store_id=store.id, quiet_start="9:05",
                                              from_email="Shop@Acme.Example")
        assert (row.quiet_start, row.from_email, row.marketing_budget) == (
            "09:05", "Shop@acme.example", 3)
