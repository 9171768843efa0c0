"""Every form that writes, submitted by many clients at once (double clicks, two
merchants on one page, a shopper's repeated taps) to a real `afterward serve`, and
again spread over two such processes on one database: no 5xx, no hang, and the final
state one submission at a time would leave."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from afterward.commerce import stores
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Consent, Customer, Order
from afterward.events import Event
from afterward.inbound.models import HeldDelivery
from afterward.jobs import Job
from afterward.journeys.models import Journey, JourneyVersion
from afterward.loyalty.links import member_path
from afterward.loyalty.models import LoyaltyEntry
from afterward.messaging.models import Message
from afterward.messaging.tokens import PREFERENCES, LinkSigner
from afterward.returns.models import RefundRequest, Return, ReturnPhoto
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from afterward.web.pages import lookup
from afterward.web.pages.returns_links import signed_order, signed_return
from tests.api.shopify_helpers import resource
from tests.factories import order_body
from tests.servers import (
    SECRET_KEY,
    SERVER_COUNT_IDS,
    SERVER_COUNTS,
    Answer,
    Call,
    ServerProcess,
    fresh_database,
    hammer,
    http_client,
    http_get,
    http_post,
)
from tests.web.helpers import PASSWORD, csrf_of, make_admin
from tests.webhook_listeners import listening

pytestmark = pytest.mark.slow


@dataclass
class Site:
    url: str  # the public URL (the first server's)
    urls: tuple[str, ...]  # every server's: hammer(site.urls, ...) spreads calls over them
    db: Database
    store_id: int
    auth: dict[str, str]
    cookie: str  # a signed-in admin's session
    csrf: str


@pytest.fixture(scope="module", params=SERVER_COUNTS, ids=SERVER_COUNT_IDS)
def site(request: pytest.FixtureRequest, template_url: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = fresh_database(template_url, tmp_path_factory.mktemp("forms"),
                         f"forms{request.param}")
    db = Database(url)
    with db.transaction() as session:
        store = stores.create_store(session, slug="acme", name="Acme", currency="EUR")
        key, store_id = stores.issue_api_key(session, store=store), store.id
    listening(db, store_id)  # what the store raises is queued for its webhooks
    make_admin(db)
    server = ServerProcess(url).wait_ready()
    servers = [server] + [ServerProcess(url, public_url=server.url).wait_ready()
                          for _ in range(request.param - 1)]
    with http_client(base_url=server.url, timeout=20) as admin:
        form = admin.get("/admin/login")
        admin.post("/admin/login", data={"email": "ann@example.com", "password": PASSWORD,
                                         "csrf": csrf_of(form.text), "next": ""})
        cookie = "; ".join(f"{k}={v}" for k, v in admin.cookies.items())
        csrf = csrf_of(admin.get("/admin/journeys").text)
    yield Site(server.url, tuple(s.url for s in servers), db, store_id,
               {"Authorization": f"Bearer {key}"}, cookie, csrf)
    took = [each.terminate() for each in servers]
    db.dispose()
    assert max(took) < 15
    assert [each.errors_logged() for each in servers] == [""] * len(servers)


def count(db: Database, model: object, *where: object) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(a.status for a in answers)


def admin_post(site: Site, path: str, times: int, **fields: str) -> list[Answer]:
    call = Call("POST", path, {"data": {"csrf": site.csrf, **fields},
                               "headers": {"Cookie": site.cookie},
                               "follow_redirects": False})
    return hammer(site.urls, [call] * times)


def test_built_in_journeys_installed_from_many_tabs_exist_once(site):
    answers = admin_post(site, "/admin/journeys/install-builtins", 8)

    assert statuses(answers) == {303: 8}
    installed = count(site.db, Journey, Journey.store_id == site.store_id)
    with site.db.reading() as session:
        versions = session.scalar(select(func.count()).select_from(JourneyVersion).join(
            Journey).where(Journey.store_id == site.store_id))
    assert installed > 0
    assert versions == installed


def test_one_journey_edit_saved_from_many_tabs_is_one_new_version(site):
    hammer(site.urls, [Call("POST", "/api/v1/journeys/install-builtins",
                           {"headers": site.auth})], clients=1)
    definition = json.dumps({"name": "Thanks, edited", "trigger": {"event": "order.created"},
                             "steps": [{"key": "thank", "send": {
                                 "channel": "email", "template": "order_confirmation"}}]})

    answers = admin_post(site, "/admin/journeys/order_confirmation", 8, definition=definition)

    assert statuses(answers) == {303: 8}
    with site.db.reading() as session:
        journey = session.scalar(select(Journey).where(Journey.key == "order_confirmation"))
        assert count(site.db, JourneyVersion, JourneyVersion.journey_id == journey.id) == 2


def test_a_journey_switched_on_and_off_from_two_tabs_ends_in_one_state(site):
    hammer(site.urls, [Call("POST", "/api/v1/journeys/install-builtins",
                            {"headers": site.auth})], clients=1)
    on = admin_post(site, "/admin/journeys/order_confirmation/enable", 6)
    off = admin_post(site, "/admin/journeys/order_confirmation/disable", 6)

    assert statuses(on + off) == {303: 12}
    with site.db.reading() as session:
        journey = session.scalar(select(Journey).where(Journey.key == "order_confirmation"))
        assert journey.enabled is False


def test_recompute_now_clicked_from_many_tabs_queues_one_job(site):
    answers = admin_post(site, "/admin/insights/words/recompute", 8)

    assert statuses(answers) == {303: 8}
    assert count(site.db, Job, Job.kind == "insights.words",
                 Job.store_id == site.store_id) == 1


def test_a_dead_job_retried_from_many_tabs_is_still_one_job(site):
    with site.db.transaction() as session:
        job = Job(store_id=site.store_id, kind="test.form_retry", payload={}, status="dead",
                  attempts=8, max_attempts=8, last_error="boom")
        session.add(job)
        session.flush()
        job_id = job.id

    answers = admin_post(site, f"/admin/jobs/{job_id}/retry", 8)

    assert statuses(answers) == {303: 8}
    assert count(site.db, Job, Job.kind == "test.form_retry") == 1


def kept_for_review(site: Site, external_id: int) -> int:
    """A Shopify order delivery kept for review (as a clash with another order's number
    leaves it); its row's id."""
    body = resource("order") | {"id": external_id, "name": f"#K{external_id}"}
    with site.db.transaction() as session:
        row = HeldDelivery(store_id=site.store_id, provider="shopify", topic="orders/create",
                           waiting_for="review:number: clash", delivery_key=f"k{external_id}",
                           body=body)
        session.add(row)
        session.flush()
        return row.id


@pytest.mark.parametrize("action", ["apply", "dismiss"])
def test_a_kept_delivery_handled_from_many_tabs_is_handled_once(site, action):
    external_id = 7001 if action == "apply" else 7002
    delivery_id = kept_for_review(site, external_id)

    answers = admin_post(site, f"/admin/deliveries/{delivery_id}/{action}", 8)

    done = "applied" if action == "apply" else "dismissed"
    assert statuses(answers) == {303: 8}
    assert Counter(a.location for a in answers) == {
        f"/admin/deliveries?done={done}": 1, "/admin/deliveries?done=gone": 7}
    assert count(site.db, HeldDelivery, HeldDelivery.id == delivery_id) == 0
    assert count(site.db, Order, Order.number == f"#K{external_id}") == (
        1 if action == "apply" else 0)


def test_a_customer_erased_from_many_tabs_is_erased_once(site):
    answer = hammer(site.urls, [Call("POST", "/api/v1/orders", {
        "json": order_body("F-1", email="forget@example.com",
                           customer={"email": "forget@example.com", "first_name": "F"}),
        "headers": site.auth})], clients=1)[0]
    with site.db.reading() as session:
        customer_id = session.scalar(select(Order.customer_id).where(
            Order.id == answer.body["id"]))

    answers = admin_post(site, f"/admin/customers/{customer_id}/erase", 8, confirm="yes")

    assert statuses(answers) == {303: 8}
    assert count(site.db, Customer, Customer.email == "forget@example.com") == 0
    assert count(site.db, Event, Event.name == "customer.erased",
                 Event.subject_id == customer_id) == 1


def test_preferences_saved_by_many_taps_change_each_consent_once(site):
    with site.db.transaction() as session:
        ada = Customer(store_id=site.store_id, email="taps@example.com",
                       phone="+4915112345679")
        session.add(ada)
        session.flush()
        message = Message(store_id=site.store_id, channel="email", purpose="marketing",
                          category="news", idempotency_key="taps", template_key="x",
                          customer_id=ada.id, recipient="taps@example.com", status="sent")
        session.add(message)
        session.flush()
        customer_id, message_id = ada.id, message.id
    path = f"/preferences/{LinkSigner(SECRET_KEY, site.url).token(PREFERENCES, message_id)}"
    with http_client(base_url=site.url, timeout=20) as shopper:
        csrf = csrf_of(shopper.get(path).text)
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", path, {"data": {"csrf": csrf, "sms": "1", "action": "save"},
                               "headers": {"Cookie": cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 8)

    assert statuses(answers) == {303: 8}
    with site.db.reading() as session:
        granted = dict(session.execute(select(Consent.channel, Consent.granted).where(
            Consent.customer_id == customer_id, Consent.purpose == "marketing")).all())
    assert granted == {"email": False, "sms": True}
    # what one save records: email off and SMS on, each once (not once per tap)
    with site.db.reading() as session:
        changes = sorted(json.dumps(p, sort_keys=True) for p in session.scalars(
            select(Event.payload).where(Event.name == "customer.consent_changed",
                                        Event.subject_id == customer_id)))
    assert [json.loads(c)["channel"] for c in changes] == ["email", "sms"]


def test_a_return_confirmed_by_many_taps_is_one_return(site):
    order = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        "R-TAPS", placed_at=utcnow().isoformat(), email="taps-return@example.com",
        customer={"email": "taps-return@example.com"})).json()
    path = f"/returns/o/{signed_order(SECRET_KEY, site.store_id, order['id'])}"
    with http_client(base_url=site.url, timeout=20) as shopper:
        body = {"csrf": csrf_of(shopper.get(path).text), "resolution": "refund",
                "exchange_for_sku": ""}
        for line in order["lines"]:
            body |= {f"qty_{line['id']}": "1", f"reason_{line['id']}": "changed_mind"}
        confirmation = shopper.post(f"{path}/check", data=body).text
        key = re.search(r'name="key" value="([^"]+)"', confirmation)
        assert key, confirmation
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", f"{path}/confirm", {"data": {**body, "key": key.group(1)},
                                            "headers": {"Cookie": cookie},
                                            "follow_redirects": False})

    answers = hammer(site.urls, [call] * 12)

    assert statuses(answers) == {303: 12}
    assert len({a.location for a in answers}) == 1
    assert count(site.db, Return, Return.order_id == order["id"]) == 1
    assert count(site.db, Event, Event.name == "return.requested",
                 Event.subject_type == "return") == 1


def _photo_order(site: Site, number: str) -> tuple[dict, str]:
    order = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        number, placed_at=utcnow().isoformat(), email=f"{number.lower()}@example.com",
        customer={"email": f"{number.lower()}@example.com"})).json()
    return order, f"/returns/o/{signed_order(SECRET_KEY, site.store_id, order['id'])}"


def _damaged(order: dict, csrf: str) -> dict[str, str]:
    line = order["lines"][0]
    return {"csrf": csrf, f"qty_{line['id']}": "1", f"reason_{line['id']}": "damaged"}


def test_photos_uploaded_by_many_taps_at_once_are_each_kept_once(site):
    from tests.returns.test_photo_files import png

    order, path = _photo_order(site, "R-PHOTO-TAPS")
    with http_client(base_url=site.url, timeout=20) as shopper:
        body = _damaged(order, csrf_of(shopper.get(path).text))
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    upload = f"upload_{order['lines'][0]['id']}"
    call = Call("POST", f"{path}/review", {
        "data": body, "files": [(upload, ("a.jpg", png(), "image/jpeg"))],
        "headers": {"Cookie": cookie}})

    answers = hammer(site.urls, [call] * 8)

    assert statuses(answers) == {200: 8}
    assert count(site.db, ReturnPhoto, ReturnPhoto.order_id == order["id"],
                 ReturnPhoto.return_id.is_(None)) == 8


def test_a_return_with_a_photo_confirmed_by_many_taps_takes_its_photo_once(site):
    from tests.returns.test_photo_files import png

    order, path = _photo_order(site, "R-PHOTO-CONFIRM")
    with http_client(base_url=site.url, timeout=20) as shopper:
        body = _damaged(order, csrf_of(shopper.get(path).text))
        resolution = shopper.post(f"{path}/review", data=body, files=[
            (f"upload_{order['lines'][0]['id']}", ("a.jpg", png(), "image/jpeg"))]).text
        carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                  resolution))
        confirmation = shopper.post(f"{path}/check", data={
            **carried, "resolution": "refund", "exchange_for_sku": ""}).text
        key = re.search(r'name="key" value="([^"]+)"', confirmation)
        assert key, confirmation
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", f"{path}/confirm", {
        "data": {**carried, "resolution": "refund", "exchange_for_sku": "",
                 "key": key.group(1)},
        "headers": {"Cookie": cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 12)

    assert statuses(answers) == {303: 12}
    assert len({a.location for a in answers}) == 1
    assert count(site.db, Return, Return.order_id == order["id"]) == 1
    assert count(site.db, ReturnPhoto, ReturnPhoto.order_id == order["id"],
                 ReturnPhoto.return_id.is_not(None)) == 1


def test_a_return_parcel_s_tracking_number_told_by_many_taps_tracks_one_parcel(site):
    order = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        "R-PARCEL", placed_at=utcnow().isoformat(), email="parcel@example.com",
        customer={"email": "parcel@example.com"})).json()
    made = http_post(f"{site.url}/api/v1/returns", headers=site.auth, json={
        "order_number": "R-PARCEL", "resolution": "refund", "lines": [
            {"sku": order["lines"][0]["sku"], "quantity": 1, "reason": "changed_mind"}]})
    assert made.status_code == 201, made.text
    path = f"/returns/r/{signed_return(SECRET_KEY, site.store_id, made.json()['id'])}"
    with http_client(base_url=site.url, timeout=20) as shopper:
        csrf = csrf_of(shopper.get(path).text)
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", f"{path}/tracking", {"data": {"csrf": csrf,
                                                      "tracking_number": "JJDTAPS0001"},
                                             "headers": {"Cookie": cookie},
                                             "follow_redirects": False})

    answers = hammer(site.urls, [call] * 12)

    assert statuses(answers) == {303: 12}
    assert {a.location for a in answers} == {path}
    assert count(site.db, Shipment, Shipment.tracking_number == "JJDTAPS0001",
                 Shipment.direction == "inbound") == 1
    assert count(site.db, Event, Event.name == "return.label_issued",
                 Event.subject_id == made.json()["id"]) == 1


def test_lookups_sent_at_once_are_counted_to_the_limit_and_no_further(site):
    call = Call("POST", "/track", {"data": {"order_number": "NOPE-1",
                                            "email": "nobody@example.com"}})

    answers = hammer(site.urls, [call] * (lookup.LIMIT + 4))

    assert statuses(answers) == {404: lookup.LIMIT, 429: 4}


# The admin's returns queue: each step clicked by many merchants at once takes once.
HOLD = {"name": "held by hand", "when": {"skus": ["HOLD-1"]}, "then": {"review": True}}
NO_FRAUD = {"max_returns_90d": 0, "max_return_rate_percent": 0}


def a_return(site: Site, number: str, sku: str = "HOLD-1") -> int:
    """A return of one unit of a new order's line: held for review for HOLD-1, else
    approved at once."""
    policy = httpx.put(f"{site.url}/api/v1/returns/policy", headers=site.auth,
                       json={"rules": [HOLD], "fraud": NO_FRAUD})
    assert policy.status_code == 200, policy.text
    order = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        number, placed_at=utcnow().isoformat(), email=f"{number}@example.com",
        customer={"email": f"{number}@example.com"},
        lines=[{"sku": sku, "title": "Held", "quantity": 2, "unit_price_minor": 1000}]))
    assert order.status_code == 201, order.text
    answer = http_post(f"{site.url}/api/v1/returns", headers=site.auth, json={
        "order_number": number, "resolution": "refund",
        "lines": [{"sku": sku, "quantity": 1, "reason": "other"}]})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def return_events(site: Site, return_id: int) -> Counter[str]:
    with site.db.reading() as session:
        return Counter(session.scalars(select(Event.name).where(
            Event.subject_type == "return", Event.subject_id == return_id)))


@pytest.mark.parametrize("step", ["approve", "reject"])
def test_a_held_return_approved_or_rejected_from_many_tabs_moves_once(site, step):
    return_id = a_return(site, f"Q-{step}")

    answers = admin_post(site, f"/admin/returns/{return_id}/{step}", 8, reason="Worn")

    assert statuses(answers) == {303: 1, 409: 7}
    events = return_events(site, return_id)
    done, other = (("return.approved", "return.rejected") if step == "approve"
                   else ("return.rejected", "return.approved"))
    assert (events[done], events[other]) == (1, 0)


def test_a_return_received_from_many_tabs_is_received_and_refunded_once(site):
    return_id = a_return(site, "Q-receive", sku="FREE-1")

    answers = admin_post(site, f"/admin/returns/{return_id}/receive", 8, sku="FREE-1",
                         quantity="1", condition="new", accept="FREE-1")

    assert statuses(answers) == {303: 1, 409: 7}
    events = return_events(site, return_id)
    assert (events["return.received"], events["return.resolved"]) == (1, 1)
    with site.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(RefundRequest).where(
            RefundRequest.return_id == return_id)) == 1


def test_returns_approved_in_bulk_from_many_tabs_are_each_approved_once(site):
    ids = [a_return(site, f"Q-bulk-{n}") for n in range(3)]
    call = Call("POST", "/admin/returns/bulk", {
        "data": {"csrf": site.csrf, "action": "approve", "ids": [str(i) for i in ids]},
        "headers": {"Cookie": site.cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 6)

    assert statuses(answers) == {200: 6}
    assert [return_events(site, i)["return.approved"] for i in ids] == [1, 1, 1]
    # each return is reported approved on exactly one page, already approved on the rest
    assert sum(str(a.body).count("was approved.") for a in answers) == 3
    assert sum(str(a.body).count("was already approved") for a in answers) == 15


LOYALTY_REWARDS = [{"key": "five-off", "name": "5 off", "points": 500, "discount_minor": 500}]


def loyalty_member(site: Site, number: str, points: int) -> int:
    assert httpx.put(f"{site.url}/api/v1/loyalty/program", headers=site.auth, json={
        "rewards": LOYALTY_REWARDS}).status_code == 200
    order = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        number, placed_at=utcnow().isoformat(), email=f"{number.lower()}@example.com",
        customer={"email": f"{number.lower()}@example.com"})).json()
    assert http_post(f"{site.url}/api/v1/loyalty/adjustments", headers=site.auth, json={
        "customer_id": order["customer_id"], "points": points, "reason": "start",
        "idempotency_key": f"start-{number}"}).status_code == 201
    return int(order["customer_id"])


def loyalty_balance(site: Site, customer_id: int) -> int:
    found = http_get(f"{site.url}/api/v1/customers/{customer_id}/loyalty", headers=site.auth)
    return int(found.json()["points_balance"])


def test_a_reward_redeemed_by_many_taps_is_one_code(site):
    customer_id = loyalty_member(site, "L-TAPS", 1200)
    path = member_path(SECRET_KEY, site.store_id, customer_id)
    with http_client(base_url=site.url, timeout=20) as shopper:
        page = shopper.get(path).text
        key = re.search(r'name="key" value="([^"]+-five-off)"', page)
        assert key, page
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", f"{path}/redeem", {"data": {
        "csrf": csrf_of(page), "key": key.group(1), "reward": "five-off"},
        "headers": {"Cookie": cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 12)

    assert statuses(answers) == {200: 12}
    assert count(site.db, DiscountCode, DiscountCode.customer_id == customer_id) == 1
    assert loyalty_balance(site, customer_id) == 700


def test_points_adjusted_from_many_tabs_are_one_entry(site):
    customer_id = loyalty_member(site, "L-ADJUST", 100)

    answers = admin_post(site, f"/admin/loyalty/members/{customer_id}/adjust", 8,
                         points="-60", reason="Goodwill taken back", key="adjust-tabs-1")

    assert statuses(answers) == {303: 8}
    assert loyalty_balance(site, customer_id) == 40
    assert count(site.db, LoyaltyEntry, LoyaltyEntry.idempotency_key == "admin:adjust-tabs-1"
                 ) == 1


def test_members_imported_from_many_tabs_at_once_are_each_carried_once(site):
    loyalty_member(site, "L-IMPORT", 10)  # the program, and a known member
    members = ("email,points\nl-import@example.com,500\n"
               + "".join(f"import-tab-{i}@example.com,{100 + i}\n" for i in range(6))).encode()
    call = Call("POST", "/admin/loyalty/import", {
        "data": {"csrf": site.csrf, "keep_tier_days": "365"},
        "files": {"members": ("members.csv", members, "text/csv")},
        "headers": {"Cookie": site.cookie}})

    answers = hammer(site.urls, [call] * 6)

    assert statuses(answers) == {200: 6}
    assert sum("Carried over 7 members" in a.body for a in answers) == 1
    assert sum("Carried over 0 members" in a.body and "7 imported before" in a.body
               for a in answers) == 5
    assert count(site.db, LoyaltyEntry, LoyaltyEntry.source == "import") == 7
    assert count(site.db, Customer, Customer.email.like("import-tab-%")) == 6
    assert loyalty_balance(site, loyalty_member_id(site, "l-import@example.com")) == 510


def loyalty_member_id(site: Site, email: str) -> int:
    with site.db.reading() as session:
        found = session.scalar(select(Customer.id).where(Customer.store_id == site.store_id,
                                                         Customer.email == email))
        assert found is not None
        return int(found)


def test_a_loyalty_program_saved_from_many_tabs_is_that_program(site):
    document = json.dumps({"points_per_currency_unit": 4, "rewards": LOYALTY_REWARDS})

    answers = admin_post(site, "/admin/loyalty/program", 8, document=document)

    assert statuses(answers) == {303: 8}
    program = http_get(f"{site.url}/api/v1/loyalty/program", headers=site.auth).json()
    assert program["points_per_currency_unit"] == 4


def test_a_friend_signing_up_by_many_taps_on_a_referral_link_is_one_referral(site):
    from afterward.loyalty import ledger, referrals
    from afterward.loyalty.models import LoyaltyReferral

    put = hammer(site.urls, [Call("PUT", "/api/v1/loyalty/program", {"json": {
        "referral": {"enabled": True, "referrer_points": 100, "friend_discount_minor": 500}},
        "headers": site.auth})], clients=1)[0]
    assert put.status == 200, put
    with site.db.transaction() as session:
        member = Customer(store_id=site.store_id, email="member-taps@example.com")
        session.add(member)
        session.flush()
        code = referrals.code_for(session, ledger.account(
            session, store_id=site.store_id, customer_id=member.id))
    path = f"/r/{code}"
    with http_client(base_url=site.url, timeout=20) as friend:
        csrf = csrf_of(friend.get(path).text)
        cookie = "; ".join(f"{k}={v}" for k, v in friend.cookies.items())
    call = Call("POST", path, {"data": {"csrf": csrf, "email": "friend-taps@example.com"},
                               "headers": {"Cookie": cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 8)

    assert statuses(answers) == {200: 8}
    assert count(site.db, LoyaltyReferral,
                 LoyaltyReferral.friend_mailbox == "friend-taps@example.com") == 1
    # the code is shown on the page of the tap that made the referral, once
    shown = [re.findall(r"<strong>([A-Z0-9]{16})</strong>", str(a.body)) for a in answers]
    assert sum(len(codes) for codes in shown) == 1


def test_a_referral_decided_from_many_tabs_is_decided_once(site):
    from afterward.loyalty.models import LoyaltyReferral

    put = hammer(site.urls, [Call("PUT", "/api/v1/loyalty/program", {"json": {
        "referral": {"enabled": True, "referrer_points": 100, "friend_discount_minor": 500}},
        "headers": site.auth})], clients=1)[0]
    assert put.status == 200, put
    now = utcnow()
    with site.db.transaction() as session:
        member = Customer(store_id=site.store_id, email="member-decide@example.com")
        session.add(member)
        session.flush()
        referral = LoyaltyReferral(
            store_id=site.store_id, referrer_customer_id=member.id,
            friend_email="friend-decide@example.com", friend_mailbox="friend-decide@example.com",
            status="review", signals=["same_device"], cleared=[], channel="api", points=0,
            created_at=now, updated_at=now)
        session.add(referral)
        session.flush()
        referral_id = referral.id

    answers = admin_post(site, f"/admin/loyalty/referrals/{referral_id}/approve", 8,
                         reason="Checked by phone")

    assert sorted(statuses(answers).elements()) == [303] + [409] * 7
    with site.db.reading() as session:
        found = session.get(LoyaltyReferral, referral_id)
        assert found is not None
        assert (found.status, found.cleared, found.code_id is not None) == (
            "pending", ["same_device"], True)
    assert count(site.db, DiscountCode, DiscountCode.source == "referral",
                 DiscountCode.source_id == str(referral_id)) == 1


def test_a_review_form_sent_by_many_taps_is_one_review_per_item(site):
    from afterward.feedback import links
    from afterward.feedback.models import Review, ReviewRequest

    order = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        "REV-TAPS", email="rev-taps@example.com", customer={"email": "rev-taps@example.com"},
        lines=[{"sku": "REV-TAP-1", "title": "Tea", "quantity": 1, "unit_price_minor": 450},
               {"sku": "REV-TAP-2", "title": "Mug", "quantity": 1, "unit_price_minor": 900}]
    )).json()
    path = links.form_path(SECRET_KEY, site.store_id, order["id"])
    with http_client(base_url=site.url, timeout=20) as shopper:
        csrf = csrf_of(shopper.get(path).text)
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", path, {"data": {"csrf": csrf, "sku_0": "REV-TAP-1", "rating_0": "5",
                                        "title_0": "Fresh", "sku_1": "REV-TAP-2",
                                        "rating_1": "3", "title_1": "Fine"},
                               "headers": {"Cookie": cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 10)

    assert statuses(answers) == {200: 1, 409: 9}
    assert count(site.db, Review, Review.order_id == order["id"]) == 2
    assert count(site.db, ReviewRequest, ReviewRequest.order_id == order["id"],
                 ReviewRequest.status == "answered") == 1
    assert count(site.db, Event, Event.name == "review.submitted") == 2


def test_a_review_published_from_many_admin_tabs_is_published_once(site):
    made = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        "REV-ADMIN", lines=[{"sku": "REV-ADM-1", "title": "Tea", "quantity": 1,
                             "unit_price_minor": 450}]))
    assert made.status_code == 201, made.text
    review = http_post(f"{site.url}/api/v1/reviews", headers=site.auth, json={
        "sku": "REV-ADM-1", "rating": 2, "title": "Meh", "author_name": "Ada"}).json()

    published = admin_post(site, f"/admin/reviews/{review['id']}/publish", 8)
    rejected = admin_post(site, f"/admin/reviews/{review['id']}/reject", 8, reason="Spam")

    assert statuses(published) == {303: 1, 409: 7}
    assert statuses(rejected) == {303: 1, 409: 7}
    assert count(site.db, Event, Event.name == "review.published",
                 Event.subject_id == review["id"]) == 1
    assert count(site.db, Event, Event.name == "review.rejected",
                 Event.subject_id == review["id"]) == 1
def test_reviews_published_in_bulk_from_many_admin_tabs_are_published_once_each(site):
    made = http_post(f"{site.url}/api/v1/orders", headers=site.auth, json=order_body(
        "REV-BULK", lines=[{"sku": "REV-BULK-1", "title": "Tea", "quantity": 1,
                            "unit_price_minor": 450}]))
    assert made.status_code == 201, made.text
    ids = [http_post(f"{site.url}/api/v1/reviews", headers=site.auth, json={
        "sku": "REV-BULK-1", "rating": 2, "title": f"Meh {n}", "author_name": "Ada"}).json()["id"]
        for n in range(3)]
    call = Call("POST", "/admin/reviews/bulk", {"data": {
        "csrf": site.csrf, "action": "publish", "review": [f"{i}:pending" for i in ids]},
        "headers": {"Cookie": site.cookie}, "follow_redirects": False})

    answers = hammer(site.urls, [call] * 8)

    assert statuses(answers) == {200: 8}
    for review_id in ids:
        assert count(site.db, Event, Event.name == "review.published",
                     Event.subject_id == review_id) == 1


def test_a_survey_link_clicked_many_times_at_once_records_one_answer(site):
    from afterward.feedback import survey_links
    from afterward.feedback.models import SurveyAlert, SurveyResponse

    made = hammer(site.urls, [Call("POST", "/api/v1/orders", {
        "json": order_body("SURVEY-TAPS"), "headers": site.auth})], clients=1)[0]
    assert made.status == 201, made
    order_id = int(made.body["id"])
    path = survey_links.PATH + "/" + survey_links.signed(SECRET_KEY, survey_links.ScoreLink(
        site.store_id, order_id, "nps", 2))

    clicks = hammer(site.urls, [Call("GET", path, {})] * 12)

    assert statuses(clicks) == {200: 12}
    assert count(site.db, SurveyResponse, SurveyResponse.order_id == order_id) == 1
    with site.db.reading() as session:
        answer_id = session.scalar(select(SurveyResponse.id).where(
            SurveyResponse.order_id == order_id))
    assert count(site.db, Event, Event.name == "survey.answered",
                 Event.subject_id == answer_id) == 1
    assert count(site.db, SurveyAlert, SurveyAlert.response_id == answer_id) == 1

    with http_client(base_url=site.url, timeout=20) as shopper:
        csrf = csrf_of(shopper.get(path).text)
        cookie = "; ".join(f"{k}={v}" for k, v in shopper.cookies.items())
    call = Call("POST", path, {"data": {"csrf": csrf, "comment": "Box crushed"},
                               "headers": {"Cookie": cookie}})

    taps = hammer(site.urls, [call] * 8)

    assert statuses(taps) == {200: 8}
    with site.db.reading() as session:
        assert session.scalar(select(SurveyResponse.comment).where(
            SurveyResponse.id == answer_id)) == "Box crushed"
        comments = [p for p in session.scalars(select(Job.payload).where(
            Job.kind == "webhooks.publish")) if p["event_type"] == "survey.detractor_comment"
            and p["data"]["response_id"] == answer_id]
    assert len(comments) == 1

    with site.db.reading() as session:
        alert_id = session.scalar(select(SurveyAlert.id).where(
            SurveyAlert.response_id == answer_id))
    closed = admin_post(site, f"/admin/surveys/inbox/{alert_id}/close", 8)

    assert statuses(closed) == {303: 8}
    with site.db.reading() as session:
        alert = session.scalar(select(SurveyAlert).where(SurveyAlert.response_id == answer_id))
        assert (alert.status, alert.closed_by) == ("closed", "ann@example.com")
def test_helpful_votes_tapped_many_times_by_several_voters_count_once_per_voter(site):
    from afterward.feedback.models import Review, ReviewVote
    from tests.feedback.factories import review

    review_id = review(site.db, site.store_id, "TAP-1")
    path = "/reviews/acme/TAP-1"
    calls = []
    for _ in range(4):  # four voters, each with their own cookies, tapping three times
        with http_client(base_url=site.url, timeout=20) as voter:
            csrf = csrf_of(voter.get(path).text)
            cookie = "; ".join(f"{k}={v}" for k, v in voter.cookies.items())
        calls += [Call("POST", f"{path}/vote", {
            "data": {"csrf": csrf, "review": str(review_id), "helpful": "yes"},
            "headers": {"Cookie": cookie}, "follow_redirects": False})] * 3

    answers = hammer(site.urls, calls)

    assert statuses(answers) == {303: 12}
    assert Counter(a.location.split("?")[1].split("#")[0] for a in answers) == {
        "voted=counted": 4, "voted=again": 8}
    assert count(site.db, ReviewVote, ReviewVote.review_id == review_id) == 4
    with site.db.reading() as session:
        assert session.get(Review, review_id).helpful == 4


def test_a_conversation_answered_and_closed_from_many_tabs_moves_once(site):
    from afterward.assistant.models import Conversation, ConversationMessage

    opened = hammer(site.urls, [Call("POST", "/api/v1/assistant/messages", {
        "json": {"text": "I want to talk to a person"}, "headers": site.auth})])[0]
    with site.db.reading() as session:
        conversation_id = session.scalar(select(Conversation.id).where(
            Conversation.public_id == opened.body["conversation_id"]))
    path = f"/admin/conversations/{conversation_id}"

    assigned = admin_post(site, f"{path}/assign", 8)
    replied = admin_post(site, f"{path}/reply", 8, text="We are on it.")
    closed = admin_post(site, f"{path}/close", 8)

    assert [statuses(assigned), statuses(replied), statuses(closed)] == [{303: 8}] * 3
    assert count(site.db, ConversationMessage,
                 ConversationMessage.conversation_id == conversation_id,
                 ConversationMessage.author == "agent") == 1
    assert count(site.db, Event, Event.name == "conversation.replied",
                 Event.subject_id == conversation_id) == 1
    assert count(site.db, Event, Event.name == "conversation.closed",
                 Event.subject_id == conversation_id) == 1
    with site.db.reading() as session:
        row = session.get(Conversation, conversation_id)
        assert (row.status, row.assignee) == ("closed", "ann@example.com")
