"""The shopper's loyalty page: reached by a signed link (from messages and the
tracking page), it shows the balance, the points pending with the day each becomes
spendable, the tier and the spend to the next, the rewards that fit first, and the
history in words; a reward is redeemed by a form, once however often it is sent,
and too few points are refused readably with nothing written."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from afterward.commerce.code_models import DiscountCode
from afterward.loyalty import links
from afterward.loyalty.models import LoyaltyEntry
from afterward.storage.types import utcnow
from tests.loyalty.conftest import Club, iso
from tests.web.loyalty_scene import REWARDS, SECRET, TIERS, Member, field, member


@pytest.fixture
def club(client, db, make_store) -> Club:
    return Club(client, db, make_store("acme", currency="EUR"))


@pytest.fixture
def ada(club) -> Member:
    return member(club)


def written(db) -> tuple[int, int]:
    with db.reading() as session:
        return (int(session.scalar(select(func.count()).select_from(LoyaltyEntry)) or 0),
                int(session.scalar(select(func.count()).select_from(DiscountCode)) or 0))


def test_the_page_shows_the_balance_pending_points_and_the_tier_progress(ada):
    page = ada.page(lang="en")

    assert page.status_code == 200
    assert '<p class="loyalty-balance" id="balance">600 points</p>' in page.text
    assert '<dd id="pending-total">300 points</dd>' in page.text  # 30.00 EUR x 10
    assert "300 points from order 1001, spendable on" in page.text
    assert '<dd id="tier">Silver</dd>' in page.text  # 30.00 spent reaches Silver (20.00)
    assert "Spend €70.00 more to reach Gold." in page.text
    assert '<progress id="tier-progress" max="100" value="12">' in page.text


def test_the_rewards_affordable_now_come_first_then_the_closest(ada):
    text = ada.page(lang="en").text

    order = [text.index(f'id="reward-{key}"') for key in ("mug", "five-off", "ship", "ten-off")]
    assert order == sorted(order)
    assert "300 points more needed" in text  # ten-off: 900 - 600
    assert "Goes with what you buy" in text  # the mug: MUG-1 was bought
    assert text.count('name="reward" value=') == 3  # all but ten-off can be redeemed now


def test_the_history_tells_each_entry_in_words(ada):
    text = ada.page(lang="en").text

    assert "Adjusted by the store" in text and "+600" in text
    assert "Points for order 1001" in text and "+300" in text


def test_redeeming_shows_the_code_and_takes_the_points_once(ada, db):
    before = written(db)
    page = ada.page(lang="en")

    first = ada.redeem("five-off", page)
    again = ada.redeem("five-off", page)  # the same form sent twice

    assert first.status_code == again.status_code == 200
    assert 'id="redeemed"' in first.text
    with db.reading() as session:
        code = session.scalar(select(DiscountCode.code))
    assert code in first.text and code in again.text
    assert written(db) == (before[0] + 1, before[1] + 1)
    assert ada.club.points(ada.customer_id)[0] == 100


def test_too_few_points_are_refused_readably_and_nothing_is_written(ada, db):
    page = ada.page(lang="en")
    before = written(db)

    refused = ada.redeem("five-off", page, {"key": "k" * 20, "reward": "ten-off"})

    assert refused.status_code == 422
    assert "You do not have enough points for this reward yet." in refused.text
    assert written(db) == before


def test_a_form_without_its_cookie_redeems_nothing(ada, db):
    page = ada.page(lang="en")
    before = written(db)
    ada.club.client.cookies.clear()

    refused = ada.club.client.post(f"{ada.path}/redeem", data={
        "csrf": field(page.text, "csrf"), "key": "k" * 20, "reward": "five-off"})

    assert refused.status_code == 403
    assert written(db) == before


@pytest.mark.parametrize(("lang", "words"), [("de", "600 Punkte"), ("fr", "600 points"),
                                             ("pt_BR", "600 pontos")])
def test_the_page_speaks_the_shopper_s_language(ada, lang, words):
    page = ada.page(lang=lang)

    assert f'<p class="loyalty-balance" id="balance">{words}</p>' in page.text


def test_a_forged_or_unknown_token_is_not_found(club, ada):
    assert club.client.get("/loyalty/not-a-token").status_code == 404
    assert club.client.get(ada.path[:-3] + "abc").status_code == 404


def test_a_token_naming_another_store_s_customer_is_not_found(club, ada, make_store):
    other = make_store("other", currency="EUR")
    mixed = links.member_path(SECRET, other.id, ada.customer_id)

    assert club.client.get(mixed).status_code == 404
    assert club.client.post(f"{mixed}/redeem", data={"reward": "five-off"}).status_code == 404


def test_the_tracking_page_shows_the_balance_and_what_it_buys(ada):
    page = ada.club.client.get(f"/t/{ada.tracking_token()}?lang=en")

    assert '<section class="card loyalty-block"' in page.text
    assert "You have 600 points." in page.text
    assert "Enough for 5 off." in page.text
    link = ada.club.client.get(f"/loyalty/from/{ada.tracking_token()}?lang=en",
                               follow_redirects=False)
    assert link.status_code == 303
    assert link.headers["location"] == f"{ada.path}?lang=en"


def test_the_tracking_page_has_no_block_without_a_program(client, db, make_store):
    club = Club(client, db, make_store("acme", currency="EUR"))
    order_id, _ = club.order()
    club.deliver(order_id, utcnow())
    ada = Member(club, 0, order_id)

    page = client.get(f"/t/{ada.tracking_token()}")

    assert "loyalty-block" not in page.text


@pytest.mark.parametrize("changed", [{"key": "short"}, {"key": "k" * 300},
                                     {"reward": "R" * 500}, {"reward": ""}])
def test_a_tampered_form_shows_the_page_and_redeems_nothing(ada, db, changed):
    page = ada.page(lang="en")
    before = written(db)

    refused = ada.redeem("five-off", page, changed)

    assert refused.status_code == 400
    assert "Something in the form was not right, so nothing was redeemed." in refused.text
    assert written(db) == before


def midnight(days: int) -> datetime:
    """Midnight UTC, `days` from today."""
    return (utcnow() + timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)


def run_campaign(club: Club, starts: datetime, ends: datetime, percent: int) -> None:
    assert club.put_program(
        points_per_currency_unit=10, pending_days=30, tiers=TIERS, rewards=REWARDS,
        campaigns=[{"key": "boost", "name": "Double points weekend", "starts_at": iso(starts),
                    "ends_at": iso(ends), "multiplier_percent": percent}]).status_code == 200


def test_a_campaign_running_now_is_announced_with_its_end(ada):
    ends = midnight(3)
    run_campaign(ada.club, midnight(-1), ends, 200)

    text = ada.page(lang="en").text

    said = (f'<p class="notice" id="campaign">Double points weekend: orders placed until '
            f'{format_date(ends, "medium", locale="en")}, 12:00\u202fAM earn 2 times the '
            f'points.</p>')
    assert said in text


def test_a_campaign_starting_within_two_weeks_is_announced_in_the_shopper_s_language(ada):
    starts, ends = midnight(5), midnight(7)
    run_campaign(ada.club, starts, ends, 150)

    text = ada.page(lang="de").text

    assert (f'Double points weekend: Bestellungen vom {format_date(starts, "medium", locale="de")}'
            f', 00:00 bis {format_date(ends, "medium", locale="de")}, 00:00 bringen '
            f'1,5-fache Punkte.') in text


@pytest.mark.parametrize(("starts", "ends"), [(-3, 0), (15, 16)])
def test_a_campaign_over_or_further_off_is_not_announced(ada, starts, ends):
    run_campaign(ada.club, midnight(starts), midnight(ends), 200)

    assert 'id="campaign"' not in ada.page(lang="en").text


def test_the_tracking_page_announces_a_campaign_running_now(ada):
    run_campaign(ada.club, midnight(-1), midnight(3), 300)

    page = ada.club.client.get(f"/t/{ada.tracking_token()}?lang=en")

    assert '<p id="loyalty-campaign">Double points weekend: orders placed until ' in page.text
    assert " earn 3 times the points.</p>" in page.text


def ways(text: str) -> list[str]:
    listed = re.search(r'<ul class="plain" id="ways">(.*?)</ul>', text, re.S)
    assert listed is not None
    return [item.strip() for item in re.findall(r"<li>(.*?)</li>", listed.group(1))]


def test_the_ways_to_earn_list_the_rate_the_tier_s_multiplier_and_each_bonus_given(ada):
    tiers = [{**TIERS[0], "multiplier_percent": 125, "entry_points": 100},
             {**TIERS[1], "entry_points": 1000}]
    assert ada.club.put_program(
        points_per_currency_unit=10, pending_days=30, tiers=tiers, rewards=REWARDS,
        bonuses={"first_order": 100, "birthday": 200, "review": 50, "review_photo": 0},
        referral={"enabled": True, "referrer_points": 500}).status_code == 200

    assert ways(ada.page(lang="en").text) == [
        "10 points for every €1.00 spent",
        "As Silver you earn 1.25 times the points on orders.",
        # no first order bonus: this member has earned already; no photo bonus: 0
        "200 points on your birthday",
        "50 points for a review",
        "500 points for each friend you refer who places an order",
        "1,000 points when you reach Gold"]  # not Silver's: reached already
    assert ways(ada.page(lang="de").text)[:2] == [
        "10 Punkte pro 1,00\xa0€ Einkaufswert",
        "Als Silver bekommst du 1,25-fache Punkte auf Bestellungen."]


def test_a_customer_who_has_earned_nothing_yet_is_told_of_the_first_order_bonus(club):
    assert club.put_program(points_per_currency_unit=1, bonuses={"first_order": 100}
                            ).status_code == 200
    _, customer_id = club.order()  # not consumed yet: nothing earned, no account
    page = club.client.get(links.member_path(SECRET, club.store.id, customer_id),
                           params={"lang": "en"})

    assert ways(page.text) == ["1 point for every €1.00 spent",
                               "100 points on your first order"]


def test_the_history_names_the_tier_whose_entry_points_came(club):
    assert club.put_program(points_per_currency_unit=10, tiers=[
        {**TIERS[0], "entry_points": 250}]).status_code == 200
    _, customer_id = club.order()
    club.consume()

    page = club.client.get(links.member_path(SECRET, club.store.id, customer_id),
                           params={"lang": "fr"})

    assert "Bonus pour avoir atteint Silver" in page.text
    assert '<p class="loyalty-balance" id="balance">250 points</p>' in page.text


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Carried over from our previous rewards program"),
    ("de", "Aus unserem bisherigen Prämienprogramm übernommen")])
def test_the_history_says_which_points_were_carried_over_from_the_previous_program(
        club, db, lang, words):
    from afterward.loyalty import balance_import

    assert club.put_program(points_per_currency_unit=10).status_code == 200
    _, customer_id = club.order()
    rows, report = balance_import.read(b"email,points,reason\nada@example.com,450,Smile.io\n")
    balance_import.carry(db, store_id=club.store.id, rows=rows, report=report)

    page = club.client.get(links.member_path(SECRET, club.store.id, customer_id),
                           params={"lang": lang})

    assert words in page.text and "+450" in page.text
    assert '<p class="loyalty-balance" id="balance">450 ' in page.text


def test_the_signup_bonus_is_offered_to_a_customer_without_an_account_and_named_once_given(
        club, db):
    from afterward.commerce import customers

    assert club.put_program(points_per_currency_unit=1, bonuses={"signup": 250}
                            ).status_code == 200
    _, customer_id = club.order()
    page = club.client.get(links.member_path(SECRET, club.store.id, customer_id),
                           params={"lang": "fr"})
    assert ways(page.text)[:2] == ["1 point par tranche de 1,00\xa0€ d\u2019achats",
                                   "250 points pour la création d\u2019un compte"]

    db.run(lambda session: customers.account_seen(
        session, store_id=club.store.id, customer_id=customer_id, state="enabled",
        opened_at=utcnow(), created_on_platform=True, source="shopify"))
    club.consume()
    page = club.client.get(links.member_path(SECRET, club.store.id, customer_id),
                           params={"lang": "fr"})

    assert "250 points pour la création d\u2019un compte" not in ways(page.text)
    assert "Bonus pour la création de votre compte" in page.text and "+250" in page.text
