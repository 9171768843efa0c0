"""Every admin page and every shopper page, opened on a 390 px wide phone over a store
with long names, long product titles and many lines (long_shop.py): none is wider
than the phone, and no text is drawn over other text. A page route that no visit
covers fails the walk, so a new page cannot be forgotten."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e import long_shop as s
from tests.e2e.conftest import PHONE, sign_in_admin
from tests.e2e.loyalty_member import loyalty_member
from tests.e2e.phone import problems_on
from tests.web import referral_walk, returns_walk
from tests.web.helpers import PASSWORD, make_admin
from tests.web.hostile_walk import routes_of

pytestmark = pytest.mark.e2e

# Routes that are not pages a person reads on a phone, each with the reason.
NOT_PAGES = {
    "/openapi.json": "the API's description, JSON",
    "/docs": "the API explorer for integrators (Swagger UI's own layout)",
    "/docs/oauth2-redirect": "Swagger UI's OAuth2 helper, no content",
    "/redoc": "the API reference for integrators (ReDoc's own layout)",
    "/healthz": "a JSON status",
    "/admin/customers/{customer_id}/export": "a JSON download",
    "/m/c/{token}": "a redirect to the link in an email",
    "/m/o/{token}.gif": "an open-tracking pixel",
    "/media/products/{product_id}.svg": "a picture",
    "/media/stores/{slug}/logo.svg": "a picture",
    "/returns/labels/{token}.pdf": "a 4x6 inch label to print, a PDF",
    "/returns/o/{token}/{step:path}": "a redirect to the portal's items page",
    "/returns/r/{token}/photos/{photo_id}": "a photo",
    "/reviews/{store_slug}/{sku}.json": "a product's reviews as JSON",
    "/reviews/{store_slug}/photos/{photo_id}": "a review's photo",
    "/feeds/{store_slug}/google-product-reviews.xml": "Google's Product Review Feed, XML",
    "/embed/{store_slug}/assistant.js": "a script for the store's own site (the chat it "
                                        "draws on a phone: tests/e2e/"
                                        "test_assistant_embed_browser.py)",
    "/assistant/conversations/{conversation_id}/messages": "the chat's new answers, JSON",
    "/embed/{store_slug}/conversations/{conversation_id}/messages":
        "the embedded chat's new answers, JSON",
    "/admin/insights/kpis.csv": "a CSV download",
    "/admin/insights/months.csv": "a CSV download",
    "/admin/insights/cohorts.csv": "a CSV download",
    "/admin/insights/clv.csv": "a CSV download",
    "/admin/insights/programs.csv": "a CSV download",
}
LOOKUP = urlencode({"order_number": s.ORDER_NUMBER, "email": s.EMAIL})
SHOPPER = (
    ("/t/{token:path}", "/t/{shop.tokens[0]}"),
    ("/t/{token:path}", "/t/{shop.tokens[1]}"),
    ("/t/{token:path}", "/t/not-a-token"),
    ("/track", "/track"),
    ("/track", "/track?" + LOOKUP),
    ("/s/{store_slug}/track", f"/s/{s.SLUG}/track"),
    ("/preferences/{token}", "{shop.preferences_path}"),
    ("/m/u/{token}", "{shop.unsubscribe_path}"),
    ("/returns", f"/returns?store={s.SLUG}"),
    ("/returns/from/{tracking_token}", "/returns/from/{shop.tokens[0]}"),
    ("/returns/o/{token}", "{shop.portal_path}"),
    ("/returns/r/{token}", "{shop.return_path}"),
    ("/r/{code}", "{shop.referral_path}"),
    ("/r/{code}", "/r/not-a-code"),
)
SIGNED_OUT = (("/admin/login", "/admin/login"),)
ADMIN = (
    ("/admin", "/admin"),
    ("/admin", "/admin?days=90"),
    ("/admin/jobs", "/admin/jobs"),
    ("/admin/deliveries", "/admin/deliveries"),
    ("/admin/orders", "/admin/orders"),
    ("/admin/orders", "/admin/orders?" + urlencode({"q": s.EMAIL})),
    ("/admin/orders/{order_id}", "/admin/orders/{shop.order_id}"),
    ("/admin/orders/{order_id}", "/admin/orders/999999"),
    ("/admin/shipments", "/admin/shipments"),
    ("/admin/shipments", "/admin/shipments?period=all&show=problems"),
    ("/admin/customers", "/admin/customers"),
    ("/admin/customers/{customer_id}", "/admin/customers/{shop.customer_id}"),
    ("/admin/journeys", "/admin/journeys"),
    ("/admin/journeys/{key}", "/admin/journeys/nachfassen-nach-der-zustellung"),
    ("/admin/journeys/enrolments/{enrolment_id}",
     "/admin/journeys/enrolments/{shop.enrolment_id}"),
    ("/admin/messages", "/admin/messages"),
    ("/admin/messages/outbox", "/admin/messages/outbox"),
    ("/admin/messages/outbox/{entry_id}", "/admin/messages/outbox/{shop.outbox_id}"),
    ("/admin/messages/templates", "/admin/messages/templates"),
    ("/admin/messages/preview", "/admin/messages/preview?key=review_request&locale=de"),
    ("/admin/messages/{message_id}", "/admin/messages/{shop.message_id}"),
)
# The returns pages: `shop` here is the ids returns_shop() made.
ADMIN_RETURNS = (
    ("/admin/returns", "/admin/returns"),
    ("/admin/returns", "/admin/returns?status=rejected&age=2"),
    ("/admin/returns/{return_id}", "/admin/returns/{shop.rejected_id}"),
    ("/admin/returns/{return_id}", "/admin/returns/{shop.approved_id}"),
    ("/admin/returns/analytics", "/admin/returns/analytics?product={shop.product_id}"),
    ("/admin/returns/policy", "/admin/returns/policy"),
)
# The loyalty pages: `shop` here is the member's ids (LoyaltyIds).
LOYALTY = (
    ("/loyalty/{token}", "{shop.member_path}"),
    ("/loyalty/from/{tracking_token}", "/loyalty/from/{shop.token}"),
)
ADMIN_LOYALTY = (
    ("/admin/loyalty", "/admin/loyalty"),
    ("/admin/loyalty/program", "/admin/loyalty/program"),
    ("/admin/loyalty/members", "/admin/loyalty/members"),
    ("/admin/loyalty/members/{customer_id}", "/admin/loyalty/members/{shop.customer_id}"),
    ("/admin/loyalty/referrals", "/admin/loyalty/referrals"),
    ("/admin/loyalty/import", "/admin/loyalty/import"),
)


def measured(page: Any, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("load")
    return problems_on(page)


def walk(page: Any, base: str, shop: s.LongShop, visits: tuple[tuple[str, str], ...]
         ) -> list[str]:
    problems = []
    for _route, url in visits:
        target = url.format(shop=shop)
        problems += [f"{target}: {problem}" for problem in measured(page, base + target)]
    return problems


@pytest.fixture
def shop(client, db, settings) -> s.LongShop:
    built = s.open_long_shop(client, db, settings)
    make_admin(db, stores=(s.SLUG, "feinkost-mueller-at"))
    store_id, return_id, _ = returns_walk.returnable(
        db, built.order_id, "Die Verpackung war beschädigt, " * 20, "Nicht originalverpackt")
    return referral_walk.with_referral(db, dataclasses.replace(
        built, portal_path=returns_walk.portal_path(client, built.tokens[0]),
        return_path=returns_walk.status_path(settings, store_id, return_id)))


def test_no_shopper_page_is_wider_than_a_phone_or_draws_text_over_text(
        live_server, new_page, shop):
    page = new_page(viewport=PHONE)

    problems = walk(page, live_server.url, shop, SHOPPER)

    assert problems == [], "\n".join(problems)


def test_no_returns_portal_step_is_wider_than_a_phone(live_server, new_page, shop):
    page = new_page(viewport=PHONE)
    page.goto(live_server.url + shop.portal_path)
    problems = problems_on(page)
    first = page.locator("fieldset.return-line").first
    first.get_by_label("How many to return").select_option("1")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/review")
    problems += [f"resolution: {p}" for p in problems_on(page)]
    if page.get_by_label("Search the shop for another product").count():
        page.get_by_label("Search the shop for another product").fill("no such thing")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        problems += [f"exchange search: {p}" for p in problems_on(page)]
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check")
    problems += [f"confirmation: {p}" for p in problems_on(page)]

    assert problems == [], "\n".join(problems)


def test_no_admin_page_is_wider_than_a_phone_or_draws_text_over_text(
        live_server, new_page, shop):
    page = new_page(viewport=PHONE)
    signed_out = walk(page, live_server.url, shop, SIGNED_OUT)
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin")

    signed_in = walk(page, live_server.url, shop, ADMIN)

    assert signed_out + signed_in == [], "\n".join(signed_out + signed_in)


@dataclasses.dataclass(frozen=True)
class ReturnIds:
    rejected_id: int
    approved_id: int
    product_id: int


def returns_shop(db: Any, order_id: int) -> ReturnIds:
    """The long shop's rejected return (the fixture's), and a second one approved."""
    from sqlalchemy import select

    from afterward.commerce.models import OrderLine
    from afterward.returns import service
    from afterward.returns.models import Return
    from afterward.returns.schemas import ReturnIn, ReturnLineIn

    with db.transaction() as session:
        rejected = session.scalar(select(Return).where(Return.order_id == order_id))
        line = session.scalar(select(OrderLine).where(OrderLine.order_id == order_id)
                              .order_by(OrderLine.id))
        approved, _ = service.request_return(session, store_id=line.store_id, data=ReturnIn(
            order_number=line.order.number, resolution="refund", lines=[ReturnLineIn(
                sku=line.sku or "", quantity=1, reason="damaged",
                comment="Der Henkel war abgebrochen, " * 10)]))
        return ReturnIds(rejected.id, approved.id, line.product_id or 0)


def test_no_admin_returns_page_is_wider_than_a_phone(live_server, new_page, shop, db):
    ids = returns_shop(db, shop.order_id)
    page = new_page(viewport=PHONE)
    sign_in_admin(page, live_server.url)

    problems = walk(page, live_server.url, ids, ADMIN_RETURNS)  # type: ignore[arg-type]

    assert problems == [], "\n".join(problems)


@dataclasses.dataclass(frozen=True)
class LoyaltyIds:
    member_path: str
    token: str
    customer_id: int


def test_no_loyalty_page_is_wider_than_a_phone(live_server, new_page, shop, db, settings):
    ids = LoyaltyIds(loyalty_member(db, settings, shop.customer_id), shop.tokens[0],
                     shop.customer_id)
    page = new_page(viewport=PHONE)

    shopper = walk(page, live_server.url, ids, LOYALTY)  # type: ignore[arg-type]
    page.goto(live_server.url + ids.member_path)
    page.get_by_role("button", name="Redeem").first.click()
    page.wait_for_url("**/redeem")
    shopper += [f"redeemed: {p}" for p in problems_on(page)]
    page.goto(live_server.url + "/t/" + ids.token)
    shopper += [f"tracking with points: {p}" for p in problems_on(page)]
    sign_in_admin(page, live_server.url)
    admin = walk(page, live_server.url, ids, ADMIN_LOYALTY)  # type: ignore[arg-type]

    assert shopper + admin == [], "\n".join(shopper + admin)


# The review pages: `shop` here is the review's ids (ReviewIds).
REVIEWS = (("/review/{token}", "{shop.form_path}"), ("/review/{token}", "/review/not-a-token"))
ADMIN_REVIEWS = (
    ("/admin/reviews", "/admin/reviews?status=any"),
    ("/admin/reviews/{review_id}", "/admin/reviews/{shop.review_id}"),
)
# The survey pages: `shop` here is SurveyIds.
SURVEYS = (
    ("/survey/{token}", "{shop.survey_path}"),
    ("/survey/{token}", "/survey/not-a-token"),
)
ADMIN_SURVEYS = (
    ("/admin/surveys", "/admin/surveys"),
    ("/admin/surveys/inbox", "/admin/surveys/inbox"),
    ("/admin/surveys/inbox", "/admin/surveys/inbox?status=closed"),
)
# The review pages: `shop` here is the long shop's reviewed product (ReviewPageIds).
REVIEW_PAGES = (
    ("/reviews/{store_slug}/{sku}", "{shop.page}"),
    ("/reviews/{store_slug}/{sku}", "{shop.page}?sort=lowest&page=2&lang=de"),
    ("/reviews/{store_slug}/{sku}", f"/reviews/{s.SLUG}/NO-SUCH-SKU"),
    ("/reviews/{store_slug}/{sku}/widget", "{shop.page}/widget"),
    ("/reviews/{store_slug}/{sku}/widget", "{shop.page}/widget?lang=pt_BR"),
)


@dataclasses.dataclass(frozen=True)
class ReviewIds:
    form_path: str
    review_id: int


def long_review(db: Any, settings: Any, order_id: int) -> ReviewIds:
    """A long review of the long shop's first product, and the order's form."""
    from afterward.commerce import stores
    from afterward.feedback import links, service
    from afterward.feedback.schemas import ReviewIn

    def work(session: Any) -> tuple[int, int]:
        store = stores.get_by_slug(session, s.SLUG)
        assert store is not None
        review, _ = service.submit(session, store_id=store.id, data=ReviewIn(
            sku=s.SKUS[0], rating=2, title="Außergewöhnlich " * 12,
            body="Die Verpackung war beschädigt, aber der Inhalt " * 40,
            author_name="Maximiliane Theodora von Hohenzollern-Sigmaringen",
            email="max@example.com"))
        service.reply(session, review=review, text="Vielen Dank für Ihre Geduld " * 30)
        return store.id, review.id

    store_id, review_id = db.run(work)
    return ReviewIds(links.form_path(settings.secret_key, store_id, order_id), review_id)


def test_no_review_page_is_wider_than_a_phone(live_server, new_page, shop, db, settings):
    ids = long_review(db, settings, shop.order_id)
    page = new_page(viewport=PHONE)

    shopper = walk(page, live_server.url, ids, REVIEWS)  # type: ignore[arg-type]
    sign_in_admin(page, live_server.url)
    admin = walk(page, live_server.url, ids, ADMIN_REVIEWS)  # type: ignore[arg-type]

    assert shopper + admin == [], "\n".join(shopper + admin)


@dataclasses.dataclass(frozen=True)
class SurveyIds:
    survey_path: str


def test_no_survey_page_is_wider_than_a_phone(live_server, new_page, shop, db, settings):
    from afterward.commerce.models import Order
    from afterward.feedback import survey_links, surveys

    with db.transaction() as session:
        order = session.get(Order, shop.order_id)
        assert order is not None
        surveys.answer(session, store_id=order.store_id, order_id=order.id, survey="nps",
                       score=2, source="link", comment="Die Verpackung war nass, " * 40)
        token = survey_links.signed(settings.secret_key, survey_links.ScoreLink(
            order.store_id, order.id, "nps", 2))
    ids = SurveyIds(f"{survey_links.PATH}/{token}")
    page = new_page(viewport=PHONE)

    shopper = walk(page, live_server.url, ids, SURVEYS)  # type: ignore[arg-type]
    sign_in_admin(page, live_server.url)
    admin = walk(page, live_server.url, ids, ADMIN_SURVEYS)  # type: ignore[arg-type]

    assert shopper + admin == [], "\n".join(shopper + admin)


@dataclasses.dataclass(frozen=True)
class ReviewPageIds:
    page: str


def reviewed_product(db: Any) -> ReviewPageIds:
    """Twelve long reviews of the long shop's first SKU, some with photos, attributes,
    a reward disclosed and the merchant's long reply."""
    from afterward.commerce import stores
    from tests.feedback.factories import review

    with db.reading() as session:
        store = stores.get_by_slug(session, s.SLUG)
        assert store is not None
        store_id = store.id
    for n in range(12):
        review(db, store_id, s.SKUS[0], rating=1 + n % 5, day=n, photos=n % 4,
               title="Wunderschöne Steinzeugschale mit Reaktivglasur " * 3,
               body="Die Glasur ist noch schöner als auf den Fotos, " * 40,
               author_name="Maximiliane Theodora von Hohenzollern-Sigmaringen",
               attributes={"quality": 5, "value": 4, "durability": 3},
               incentive="points" if n % 2 else None,
               reply="Vielen herzlichen Dank für Ihre ausführliche Bewertung! " * 12)
    return ReviewPageIds(f"/reviews/{s.SLUG}/{s.SKUS[0]}")


def test_no_public_review_page_is_wider_than_a_phone(live_server, new_page, shop, db):
    ids = reviewed_product(db)
    page = new_page(viewport=PHONE)

    problems = walk(page, live_server.url, ids, REVIEW_PAGES)  # type: ignore[arg-type]


    assert problems == [], "\n".join(problems)


ADMIN_WORDS = (
    ("/admin/insights/words", "/admin/insights/words"),
    ("/admin/insights/words", "/admin/insights/words?sku=" + "LANGE-ARTIKELNUMMER-" * 4),
)


def test_the_words_page_is_no_wider_than_a_phone(live_server, new_page, shop, db):
    from afterward.commerce import stores
    from afterward.insights import words
    from tests.insights.words_scene import add_reviews

    with db.reading() as session:
        found = stores.get_by_slug(session, s.SLUG)
        assert found is not None
        store_id = found.id
    sku = "LANGE-ARTIKELNUMMER-" * 4
    long_words = "Reißverschlussschiebergriffbefestigungsschraube " * 3
    add_reviews(db, store_id, [(f"Reißverschluss kaputt {n}",
                                f"Der Reißverschluss ist nach einer Woche kaputt. {long_words}",
                                1, sku) for n in range(6)]
                + [(f"Schöne Farbe {n}", "Weicher Stoff und eine schöne Farbe, passt gut.", 5,
                    "T-SHIRT") for n in range(6)])
    with db.transaction() as session:
        assert words.recompute(session, store_id).themes == 2
    page = new_page(viewport=PHONE)
    sign_in_admin(page, live_server.url)

    problems = walk(page, live_server.url, shop, ADMIN_WORDS)

    assert problems == [], "\n".join(problems)


ADMIN_INSIGHTS = (
    ("/admin/insights", "/admin/insights"),
    ("/admin/insights", "/admin/insights?days=365"),
    ("/admin/insights/programs", "/admin/insights/programs"),
)
LONG_PROGRAM = ("Nachfassen nach der Zustellung mit Gutschein für Stammkundinnen und "
                "Stammkunden, Kontrollgruppe Hälfte")


def test_the_insights_pages_are_no_wider_than_a_phone(live_server, new_page, shop, db):
    from afterward.commerce import stores
    from tests.web.insights_walk import add_program

    with db.reading() as session:
        found = stores.get_by_slug(session, s.SLUG)
        assert found is not None
        store_id = found.id
    add_program(db, store_id, LONG_PROGRAM, key="lange-kontrollgruppe")
    page = new_page(viewport=PHONE)
    sign_in_admin(page, live_server.url)

    problems = walk(page, live_server.url, shop, ADMIN_INSIGHTS)

    assert problems == [], "\n".join(problems)


ADMIN_CONVERSATIONS = (
    ("/admin/conversations", "/admin/conversations?status=open"),
    ("/admin/conversations/{conversation_id}", "/admin/conversations/1"),
    ("/admin/conversations/stats", "/admin/conversations/stats"),
)


def test_the_assistants_inbox_is_no_wider_than_a_phone(live_server, new_page, client, shop):
    words = "Ich möchte mit einem Menschen sprechen, die Lieferung ist beschädigt " * 12
    asked = client.post("/assistant/messages", json={
        "text": words + "Reißverschlussschiebergriffbefestigungsschraube",
        "token": shop.tokens[0], "locale": "de"})
    assert asked.status_code == 200, asked.text
    page = new_page(viewport=PHONE)
    sign_in_admin(page, live_server.url)

    problems = walk(page, live_server.url, shop, ADMIN_CONVERSATIONS)

    assert problems == [], "\n".join(problems)


def test_the_walk_covers_every_page_the_app_serves(app):
    walked = {route for route, _url in (*SHOPPER, *SIGNED_OUT, *ADMIN, *ADMIN_RETURNS,
                                        *LOYALTY, *ADMIN_LOYALTY, *REVIEWS, *ADMIN_REVIEWS,
                                        *SURVEYS, *ADMIN_SURVEYS,
                                        *REVIEW_PAGES,
                                        *ADMIN_WORDS, *ADMIN_INSIGHTS, *ADMIN_CONVERSATIONS)}
    served = {path for path in routes_of(app, "GET") if not path.startswith("/api/")}

    assert sorted(served - walked - set(NOT_PAGES)) == []
    assert sorted(set(NOT_PAGES) - served) == []  # no stale excuse
