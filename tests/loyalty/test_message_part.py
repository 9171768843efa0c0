"""The `loyalty` part of a message's context: the member's points, tier, the spend to
the next tier, the rewards that fit first and the signed link to their page; nothing
for a store without a program or a customer without an account."""

from __future__ import annotations

from datetime import timedelta

from afterward.loyalty import links, message_part
from afterward.storage.types import utcnow
from tests.loyalty.conftest import Club, iso

REWARDS = [
    {"key": "ten-off", "name": "10 off", "points": 900, "discount_minor": 1000},
    {"key": "five-off", "name": "5 off", "points": 500, "discount_minor": 500},
    {"key": "ship", "name": "Free shipping", "points": 200, "free_shipping": True},
]
TIERS = [{"key": "gold", "name": "Gold", "min_spend_minor": 10000}]


def part(db, store_id: int, customer_id: int, secret: str = "s3cret") -> dict | None:
    with db.reading() as session:
        return message_part.load(session, store_id=store_id, id=customer_id,
                                 public_url="https://shop.example/", secret_key=secret)


def test_a_member_s_part_has_points_tier_progress_rewards_and_the_link(club: Club, db):
    assert club.put_program(points_per_currency_unit=10, rewards=REWARDS,
                            tiers=TIERS).status_code == 200
    _, customer_id = club.order()
    club.consume()
    assert club.adjust(customer_id, 600, "k1").status_code == 201

    found = part(db, club.store.id, customer_id)

    assert found is not None
    assert (found["points_balance"], found["points_pending"]) == (600, 300)
    assert (found["tier_name"], found["next_tier_name"]) == (None, "Gold")
    assert found["spend_to_next_tier_minor"] == 10000 - 3000
    assert [(r["name"], r["affordable"], r["short_by"]) for r in found["suggested"]] == [
        ("5 off", True, 0), ("Free shipping", True, 0), ("10 off", False, 300)]
    assert found["url"] == "https://shop.example" + links.member_path(
        "s3cret", club.store.id, customer_id)
    assert links.read_member("s3cret", found["url"].rsplit("/", 1)[-1]) == (
        club.store.id, customer_id)
    assert set(found) == set(message_part.sample(currency="EUR", public_url="https://x"))
    assert (found["campaign"], found["tier_entry_points"]) == (None, 0)


def test_the_part_names_a_campaign_running_now_or_starting_within_two_weeks(club: Club, db):
    now = utcnow().replace(microsecond=0)
    _, customer_id = club.order()
    shown = []
    for starts in (-1, 13, 15):
        begins, ends = now + timedelta(days=starts), now + timedelta(days=starts + 2)
        assert club.put_program(campaigns=[{
            "key": "boost", "name": "Triple day", "starts_at": iso(begins),
            "ends_at": iso(ends), "multiplier_percent": 300}]).status_code == 200
        found = part(db, club.store.id, customer_id)
        assert found is not None
        shown.append(found["campaign"])

    assert shown == [
        {"name": "Triple day", "multiplier_percent": 300, "starts_at": now - timedelta(days=1),
         "ends_at": now + timedelta(days=1), "running": True},
        {"name": "Triple day", "multiplier_percent": 300,
         "starts_at": now + timedelta(days=13), "ends_at": now + timedelta(days=15),
         "running": False},
        None]


def test_no_part_without_a_program_and_no_link_without_an_account(client, db, make_store):
    plain = Club(client, db, make_store("plain", currency="EUR"))
    _, customer_id = plain.order()

    assert part(db, plain.store.id, customer_id) is None  # no program
    assert plain.put_program().status_code == 200
    found = part(db, plain.store.id, customer_id)  # no account (order before the program)
    assert found is not None
    assert (found["member"], found["points_balance"], found["url"]) == (False, 0, None)


def test_a_token_signed_with_another_secret_or_tampered_is_refused(club):
    token = links.signed_member("s3cret", 1, 2)

    assert links.read_member("s3cret", token) == (1, 2)
    assert links.read_member("other", token) is None
    assert links.read_member("s3cret", token[:-2] + "xx") is None
    assert links.read_member("s3cret", "x" * 400) is None
