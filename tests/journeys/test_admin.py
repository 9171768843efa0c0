"""Journeys in the admin: the list with counts, a journey with its steps, results and
editor, an enrolment with its history, and another store's journeys out of reach."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from afterward.accounts import service as accounts
from afterward.journeys import service
from afterward.storage.types import utcnow
from tests.journeys.helpers import consume, definition, install, step, the_enrolments
from tests.journeys.test_results import seed_winback_results
from tests.web.helpers import CHEAP_HASHER, csrf_of, make_admin, place_order, sign_in


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)


@pytest.fixture
def signed_in(client, db, store):
    make_admin(db)
    sign_in(client)
    return client


def one_enrolment(client, db, store):
    install(db, store.id, definition(steps=[
        {"key": "wait", "wait": {"duration": "P1D"}},
        {"key": "hello", "send": {"template": "order_confirmation"}}]))
    place_order(client, store.auth, "1001", placed_at=utcnow().isoformat())
    consume(db, store.id)
    [row] = the_enrolments(db, store.id)
    step(db, row.id)
    return row.id


def test_the_list_shows_each_journey_with_its_counts(signed_in, db, store):
    one_enrolment(signed_in, db, store)

    page = signed_in.get("/admin/journeys")

    assert page.status_code == 200
    assert '<a href="/admin/journeys/thanks">Thanks</a>' in page.text
    row = page.text[page.text.index('id="journeys"'):]
    cells = re.findall(r'class="num">(\d+)</td>', row)
    assert cells[:5] == ["1", "1", "1", "0", "0"]  # version, enrolled, active, completed, exited
    assert 'aria-current="page">Journeys</a>' in page.text


def test_the_built_ins_can_be_installed_from_the_list(signed_in, db, store):
    page = signed_in.get("/admin/journeys")

    done = signed_in.post("/admin/journeys/install-builtins", follow_redirects=False,
                          data={"csrf": csrf_of(page.text)})
    after = signed_in.get(done.headers["location"])

    assert done.status_code == 303
    assert "27 built-in journeys are installed and on." in after.text
    assert after.text.count('href="/admin/journeys/') == 27


def test_a_journey_page_shows_steps_enrolments_and_versions(signed_in, db, store):
    enrolment_id = one_enrolment(signed_in, db, store)

    page = signed_in.get("/admin/journeys/thanks")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Wait 1 day" in text
    assert "Send email “order_confirmation” (transactional)" in text
    assert f'<a href="/admin/journeys/enrolments/{enrolment_id}">#{enrolment_id}</a>' in page.text
    assert "Version 1" in text and "live" in text
    assert '"duration": "P1D"' in text


def test_saving_from_the_editor_makes_a_new_version_or_shows_the_problems(signed_in, db, store):
    one_enrolment(signed_in, db, store)
    page = signed_in.get("/admin/journeys/thanks")
    token = csrf_of(page.text)
    broken = definition(steps=[{"wait": {"duration": "soon"}}])

    refused = signed_in.post("/admin/journeys/thanks", data={
        "csrf": token, "definition": json.dumps(broken)})
    saved = signed_in.post("/admin/journeys/thanks", follow_redirects=False, data={
        "csrf": token, "definition": json.dumps(definition(name="Thank you"))})

    assert refused.status_code == 422
    assert ("steps[0].wait.duration: 'soon' is not a duration like P3D, PT12H, 3d or 12h"
            in html.unescape(refused.text))
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/journeys/thanks?version=2"
    assert "<h1>Thank you" in signed_in.get("/admin/journeys/thanks").text


def test_a_journey_can_be_switched_off_and_on(signed_in, db, store):
    install(db, store.id, definition())
    token = csrf_of(signed_in.get("/admin/journeys/thanks").text)

    off = signed_in.post("/admin/journeys/thanks/disable", data={"csrf": token})
    forged = signed_in.post("/admin/journeys/thanks/enable", data={"csrf": "nope"})

    assert "Switch on" in off.text
    assert forged.status_code == 403
    assert "Switch on" in signed_in.get("/admin/journeys/thanks").text


def test_an_enrolment_page_shows_its_history(signed_in, db, store):
    enrolment_id = one_enrolment(signed_in, db, store)
    step(db, enrolment_id, now=utcnow() + timedelta(days=1))

    page = signed_in.get(f"/admin/journeys/enrolments/{enrolment_id}")

    assert page.status_code == 200
    whats = re.findall(r'<td data-label="What">([^<]+)</td>', page.text)
    assert whats == ["enrolled", "wait", "waited", "send", "completed"]
    assert "message 1" in page.text


def test_another_store_s_journeys_are_out_of_reach(client, db, make_store):
    a, b = make_store("acme"), make_store("other")
    enrolment_id = one_enrolment(client, db, a)
    make_admin(db, "bob@example.com", stores=("other",))
    sign_in(client, "bob@example.com")

    token = csrf_of(client.get("/admin/journeys").text)

    assert client.get("/admin/journeys/thanks").status_code == 404
    assert client.get(f"/admin/journeys/enrolments/{enrolment_id}").status_code == 404
    assert client.post("/admin/journeys/thanks/disable", data={"csrf": token}).status_code == 404
    assert "No journeys yet." in client.get("/admin/journeys").text
    with db.reading() as session:
        assert service.get(session, store_id=a.id, key="thanks").enabled
        assert service.get(session, store_id=b.id, key="thanks") is None


def test_a_journey_page_shows_its_results_against_the_holdout(signed_in, db, store):
    seed_winback_results(db, store.id, now=utcnow())

    page = signed_in.get("/admin/journeys/winback?window=30")

    text = " ".join(re.sub(r"<[^>]+>", "", html.unescape(page.text)).split())
    assert page.status_code == 200
    rows = re.findall(r"<th scope=\"row\">(Treated|Holdout)</th>\s*<td class=\"num\">(\d+)</td>"
                      r"\s*<td class=\"num\">(\d+)</td>", page.text)
    assert rows == [("Treated", "4", "2"), ("Holdout", "3", "1")]
    assert "50.0% (15.0%\u201385.0%)" in text  # an en dash between the bounds
    assert "Conversion lift: +16.7 points" in text
    assert "Revenue per customer: $8.33 (95% interval -$10.00 to $28.33)" in text
    assert "1 more customers are still inside their 30-day window." in text


def test_a_journey_page_counts_the_personal_codes_its_treated_customers_used(
        signed_in, db, store):
    from sqlalchemy import select

    from afterward.commerce import codes
    from afterward.commerce.models import Order
    from afterward.journeys.models import Enrolment

    seed_winback_results(db, store.id, now=utcnow())
    with db.transaction() as session:
        treated = list(session.scalars(select(Enrolment).where(
            Enrolment.holdout_group == "treatment").order_by(Enrolment.id)))
        issued = [codes.issue(session, store_id=store.id, kind="discount", source="journey",
                              percent=10, customer_id=enrolment.customer_id,
                              source_id="winback", enrolment_id=enrolment.id,
                              idempotency_key=f"enr:{enrolment.id}:treat",
                              now=enrolment.enrolled_at) for enrolment in treated[:2]]
        first_order = session.scalar(select(Order).where(
            Order.customer_id == treated[0].customer_id).order_by(Order.placed_at))
        assert codes.mark_used(session, store_id=store.id, code=issued[0].code,
                               order_id=first_order.id, placed_at=first_order.placed_at)

    page = signed_in.get("/admin/journeys/winback?window=30")

    text = " ".join(re.sub(r"<[^>]+>", "", html.unescape(page.text)).split())
    assert ("Personal codes: 2 issued to treated customers, 1 used within the window, in "
            "orders worth $20.00.") in text
