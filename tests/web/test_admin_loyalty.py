"""Loyalty in the admin: the program edited as JSON with the API's own validation
(a bad document kept as typed, each problem said, nothing saved), the members list
(search by email, filter by tier, pages), a member's ledger and adjustments by hand
(a double submit one entry, too few points refused readably with nothing written),
and the overview's weekly figures and liability."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from afterward.loyalty import programs, reports
from afterward.loyalty.models import LoyaltyEntry
from afterward.loyalty.program import Program
from afterward.storage.types import utcnow
from tests.loyalty.conftest import Club
from tests.web.helpers import csrf_of, make_admin, sign_in
from tests.web.loyalty_scene import REWARDS, Member, member


@pytest.fixture
def club(client, db, make_store) -> Club:
    return Club(client, db, make_store("acme", currency="EUR"))


@pytest.fixture
def ada(club, db, client) -> Member:
    found = member(club)
    make_admin(db)
    sign_in(client)
    return found


def entries(db) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LoyaltyEntry)) or 0)


def stored_program(db, store_id: int) -> Program:
    with db.reading() as session:
        return programs.load(session, store_id=store_id)


def test_the_program_page_shows_the_document_and_a_summary(ada, client):
    page = client.get("/admin/loyalty/program")

    assert page.status_code == 200
    assert "In force now" in page.text
    assert "Silver from €20.00; Gold from €100.00" in page.text
    assert escape(json.dumps(REWARDS[0]["name"])) in page.text


def test_the_summary_lists_the_campaigns_in_order_and_says_which_runs_now(ada, client):
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    campaigns = [(key, today + timedelta(days=start), today + timedelta(days=start + 2))
                 for key, start in (("later", 10), ("now", -1), ("past", -9))]
    assert ada.club.put_program(campaigns=[
        {"key": key, "name": key.title(), "starts_at": starts.isoformat(),
         "ends_at": ends.isoformat(), "multiplier_percent": 200}
        for key, starts, ends in campaigns]).status_code == 200

    text = client.get("/admin/loyalty/program").text

    listed = re.search(r'<li id="campaigns">(.*?)</li>', text, re.S)
    assert listed is not None
    assert listed.group(1).startswith("3 bonus points campaigns: Past, 200% of the points")
    assert [name for name in re.findall(r"(Past|Now|Later), 200%", listed.group(1))] == [
        "Past", "Now", "Later"]
    assert listed.group(1).count("(running now)") == 1
    assert "Now, 200% of the points" in listed.group(1).split("(running now)")[0]
    assert listed.group(1).count("(over)") == 1


def test_the_summary_says_what_reaching_a_tier_gives(ada, client):
    assert ada.club.put_program(tiers=[
        {"key": "silver", "name": "Silver", "min_spend_minor": 2000, "entry_points": 1500},
        {"key": "gold", "name": "Gold", "min_spend_minor": 10000}]).status_code == 200

    text = client.get("/admin/loyalty/program").text

    assert "Silver from €20.00 (1,500 points on reaching it); Gold from €100.00." in text


def test_a_program_saved_from_the_admin_is_the_program(ada, client, db):
    form = client.get("/admin/loyalty/program")
    document = json.dumps({"points_per_currency_unit": 3, "rewards": REWARDS[:1]})

    saved = client.post("/admin/loyalty/program", follow_redirects=False, data={
        "csrf": csrf_of(form.text), "document": document})

    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/loyalty/program?saved=1"
    program = stored_program(db, ada.club.store.id)
    assert program.points_per_currency_unit == 3
    assert [r.key for r in program.rewards] == ["five-off"]


@pytest.mark.parametrize(("document", "said"), [
    ('{"points_per_currency_unit": 1,', "Line 1, column 32: Expecting property name"),
    ('{"rewards": [{"key": "free", "name": "Free", "points": 0, "discount_minor": 100}]}',
     "Line 1, rewards.0.points: Input should be greater than or equal to 1."),
    ('{"tiers": [{"key": "a", "name": "A", "min_spend_minor": 100},\n'
     ' {"key": "b", "name": "B", "min_spend_minor": 100}]}',
     "two tiers overlap"),
    ('{"surprise": 1}', "Line 1, surprise: Extra inputs are not permitted."),
])
def test_a_bad_program_is_kept_as_typed_with_its_problems_and_nothing_is_saved(
        ada, client, db, document, said):
    before = stored_program(db, ada.club.store.id)
    form = client.get("/admin/loyalty/program")

    refused = client.post("/admin/loyalty/program", data={
        "csrf": csrf_of(form.text), "document": document})

    assert refused.status_code == 422
    assert "Nothing was saved." in refused.text
    assert str(escape(said)) in refused.text
    assert str(escape(document)) in refused.text
    assert stored_program(db, ada.club.store.id) == before


def test_a_program_form_without_the_session_s_csrf_saves_nothing(ada, client, db):
    before = stored_program(db, ada.club.store.id)

    refused = client.post("/admin/loyalty/program", data={"csrf": "forged",
                                                          "document": "{}"})

    assert refused.status_code == 403
    assert stored_program(db, ada.club.store.id) == before


def test_the_members_list_shows_each_member_s_tier_and_points(ada, client):
    page = client.get("/admin/loyalty/members")

    row = re.search(r'<tr>\s*<th scope="row" data-label="Member">.*?</tr>', page.text, re.S)
    assert row is not None
    assert "ada@example.com" in row.group(0)
    assert '<td data-label="Tier">Silver</td>' in row.group(0)
    assert '<td data-label="Spendable" class="num">600</td>' in row.group(0)
    assert '<td data-label="Pending" class="num">300</td>' in row.group(0)


def test_the_members_list_searches_by_email_and_filters_by_tier(ada, client):
    ada.club.order("1002", email="bea@example.com")
    ada.club.consume()

    by_email = client.get("/admin/loyalty/members?q=BEA@")
    by_tier = client.get("/admin/loyalty/members?tier=silver")
    no_tier = client.get("/admin/loyalty/members?tier=-")
    unknown = client.get("/admin/loyalty/members?tier=platinum")

    assert "bea@example.com" in by_email.text and "ada@example.com" not in by_email.text
    assert "ada@example.com" in by_tier.text and "bea@example.com" in by_tier.text
    assert "No member matches." in no_tier.text
    assert unknown.status_code == 400


def test_the_members_list_pages_through_every_member(ada, client, db):
    for n in range(30):
        ada.club.order(f"2{n:03d}", email=f"m{n}@example.com")
    ada.club.consume()

    first = client.get("/admin/loyalty/members")
    after = re.search(r'rel="next" href="[^"]*after=(\d+)', first.text)
    assert after is not None
    second = client.get(f"/admin/loyalty/members?after={after.group(1)}")

    shown = re.findall(r"/admin/loyalty/members/(\d+)\"", first.text + second.text)
    assert len(shown) == len(set(shown)) == 31


def test_a_member_s_page_shows_the_ledger_and_pending_orders(ada, client):
    page = client.get(f"/admin/loyalty/members/{ada.customer_id}")

    assert page.status_code == 200
    assert '<dd id="balance">600</dd>' in page.text
    assert '<dd id="pending">300</dd>' in page.text
    assert '<td data-label="Reason">welcome</td>' in page.text
    assert ">order 1001</a>" in page.text
    assert "Gold: €70.00 more" in page.text


def test_another_store_s_member_is_not_found_nor_adjusted(ada, client, db, make_store):
    other = Club(client, db, make_store("other", currency="EUR"))
    assert other.put_program().status_code == 200
    _, theirs = other.order("9001", email="eve@example.com")
    assert other.adjust(theirs, 10, "theirs").status_code == 201
    form = {**adjust_form(client, ada), "points": "-10", "reason": "not mine"}
    before = entries(db)

    shown = client.get(f"/admin/loyalty/members/{theirs}")
    adjusted = client.post(f"/admin/loyalty/members/{theirs}/adjust", data=form)
    listed = client.get("/admin/loyalty/members?q=eve")

    assert (shown.status_code, adjusted.status_code) == (404, 404)
    assert entries(db) == before
    assert "eve@example.com" not in listed.text
    assert client.get("/admin/loyalty/members/999999").status_code == 404


def adjust_form(client, ada: Member) -> dict[str, str]:
    page = client.get(f"/admin/loyalty/members/{ada.customer_id}").text
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    return {"csrf": csrf_of(page), "key": key.group(1)}


def test_an_adjustment_sent_twice_is_one_entry(ada, client, db):
    form = {**adjust_form(client, ada), "points": "250", "reason": "late parcel"}
    before = entries(db)

    first = client.post(f"/admin/loyalty/members/{ada.customer_id}/adjust", data=form,
                        follow_redirects=False)
    again = client.post(f"/admin/loyalty/members/{ada.customer_id}/adjust", data=form,
                        follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert entries(db) == before + 1
    assert ada.club.points(ada.customer_id)[0] == 850
    shown = client.get(first.headers["location"])
    assert "The adjustment was recorded." in shown.text
    assert '<td data-label="Reason">late parcel</td>' in shown.text


@pytest.mark.parametrize(("points", "reason", "said"), [
    ("-601", "too many", "The member does not have that many spendable points"),
    ("0", "nothing", "Points must be a whole number"),
    ("ten", "words", "Points must be a whole number"),
    ("1000000001", "huge", "Points must be a whole number"),
    ("50", "  ", "Give a reason"),
])
def test_a_refused_adjustment_is_said_readably_and_nothing_is_written(
        ada, client, db, points, reason, said):
    form = {**adjust_form(client, ada), "points": points, "reason": reason}
    before = entries(db)

    refused = client.post(f"/admin/loyalty/members/{ada.customer_id}/adjust", data=form)

    assert refused.status_code == 422
    assert said in refused.text
    assert f'value="{points}"' in refused.text  # kept as typed
    assert entries(db) == before
    assert ada.club.points(ada.customer_id)[0] == 600


def test_the_overview_shows_this_week_s_points_and_the_liability(ada, client):
    page = client.get("/admin/loyalty")

    assert page.status_code == 200
    assert '<span class="figure-value" id="points-balance">600</span>' in page.text
    assert '<span class="figure-value" id="points-pending">300</span>' in page.text
    # 900 points at the lowest rate of the fixed rewards: 5.00 for 500 (1 cent a point)
    assert '<span class="figure-value" id="liability">€9.00</span>' in page.text
    assert "at its highest they would cost €10.00" in page.text  # 10.00 for 900
    rows = re.findall(r'<td data-label="Issued" class="num">([\d,]+)</td>', page.text)
    assert rows[-1] == "900" and set(rows[:-1]) == {"0"}
    assert 'id="issued-chart"' in page.text and 'id="expired-chart"' in page.text


def test_weekly_figures_count_each_kind_in_its_week(ada, club, db):
    club.client.post("/api/v1/loyalty/redemptions", headers=club.auth, json={
        "customer_id": ada.customer_id, "reward": "five-off", "idempotency_key": "w1"})
    assert club.adjust(ada.customer_id, -50, "oops").status_code == 201

    with db.reading() as session:
        weeks = reports.weekly(session, store_id=club.store.id,
                               until=utcnow() + timedelta(seconds=1), weeks=3)

    assert [(w.issued, w.redeemed, w.taken_back, w.expired) for w in weeks] == [
        (0, 0, 0, 0), (0, 0, 0, 0), (900, 500, 50, 0)]


def test_liability_without_a_fixed_amount_reward_has_no_value(ada, club, db):
    program = Program.model_validate({"rewards": [REWARDS[3]]})

    with db.reading() as session:
        owed = reports.liability(session, store_id=club.store.id, program=program)

    assert (owed.points, owed.low_minor, owed.high_minor, owed.members) == (900, None, None, 1)


def test_the_navigation_has_loyalty(ada, client):
    assert '<a href="/admin/loyalty"' in client.get("/admin").text
