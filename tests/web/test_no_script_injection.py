"""No script injection: a store whose every outside-controlled field holds hostile
text (hostile_shop.py), and every page a shopper or a merchant can open, walked
(hostile_walk.py). Each page shows the text as text, whole, and has no script, no
event handler attribute and no javascript: URL of its own making; a route that no
visit covers fails the walk, so a new page cannot be forgotten."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from afterward.commerce import stores
from afterward.commerce.validation import InvalidValue
from tests.hostile import SCRIPT_URL, hostile
from tests.web import (
    conversations_walk,
    insights_walk,
    loyalty_walk,
    referral_walk,
    returns_walk,
    review_pages_walk,
    reviews_walk,
    survey_walk,
    words_walk,
)
from tests.web import hostile_shop as h
from tests.web.admin_returns_walk import admin_returns_shop, admin_returns_visits
from tests.web.helpers import csrf_of, make_admin, sign_in
from tests.web.hostile_walk import CSRF, Visit, problems_with, q, query, routes_of

# Routes the walk leaves out, each with the reason.
NOT_PAGES = {
    "/openapi.json": "the API's description, JSON",
    "/docs": "FastAPI's API explorer: no stored or request data in it",
    "/docs/oauth2-redirect": "FastAPI's API explorer: no stored or request data in it",
    "/redoc": "FastAPI's API reference: no stored or request data in it",
    "/healthz": "a JSON status",
    "/returns/labels/{token}.pdf": "a PDF drawn by reportlab: text on a page, never markup",
    "/returns/r/{token}/photos/{photo_id}": "a photo re-encoded by Pillow (JPEG, PNG or "
                                            "WebP), served with nosniff: never markup",
    "/reviews/{store_slug}/photos/{photo_id}": "a review's photo, stored re-encoded (JPEG, "
                                               "PNG or WebP), served with nosniff",
    "/feeds/{store_slug}/google-product-reviews.xml": "XML, every text escaped; valid "
                                                      "against Google's schema with hostile "
                                                      "text: tests/feedback/test_feeds.py",
    "/embed/{store_slug}/assistant.js": "the embedded chat's script: the store's data in "
                                        "it only as JSON, no '<' in it: "
                                        "test_the_embed_script_carries_the_store_as_json_only",
    "/assistant/conversations/{conversation_id}/messages": "JSON for the chat widget, "
                                                           "which shows it as text "
                                                           "(textContent): "
                                                           "tests/assistant/test_unseen.py",
    "/embed/{store_slug}/conversations/{conversation_id}/messages": "JSON for the embedded "
                                                                    "chat, shown as text",
    "/admin/insights/kpis.csv": "a CSV download of figures only",
    "/admin/insights/months.csv": "a CSV download of figures only",
    "/admin/insights/cohorts.csv": "a CSV download of figures only",
    "/admin/insights/clv.csv": "a CSV download of figures only",
    "/admin/insights/programs.csv": "a CSV download (text/csv, attachment); a journey's "
                                    "name kept from being read as a formula: "
                                    "tests/insights/test_exports.py",
}
API = "/api/"  # JSON for integrators, never rendered as a page

# What a visitor types into a form or a link, echoed back on the page.
TYPED = {name: hostile(f"typed {name}", 200) for name in (
    "number", "contact", "store", "search", "status", "email", "recipient", "draft", "next")}
SLUG_TYPED = "[typed slug]\"><img src=x onerror=alert(1)>' onmouseover='alert(1) {{7*7}}"
BROKEN_JOURNEY = json.dumps({"key": "hostile", "name": TYPED["draft"], "trigger": {
    "event": "order.created"}, "steps": [{"wait": {"duration": TYPED["draft"]}}]})

PARCEL = (h.STORE_NAME, h.LOGO_URL, h.SUPPORT_EMAIL, h.ORDER_NUMBER, h.CARRIER, h.LINE_TITLE,
          h.VARIANT_IMAGE, h.PRODUCT["title"], h.PRODUCT["care_content"],
          h.PRODUCT["howto_content"], h.PRODUCT_IMAGE, h.SUGGESTED_TITLE, h.ADDRESS["city"])
SHOPPER = (
    Visit("/t/{token:path}", "/t/{shop.tokens[0]}",
          (*PARCEL, h.SCAN["message"], h.SCAN["location"], h.SIGNER)),
    Visit("/t/{token:path}", "/t/{shop.tokens[1]}?" + query(lang="xx", note=TYPED["search"]),
          (*PARCEL, h.PROBLEM["message"], h.PROBLEM["location"])),
    Visit("/t/{token:path}", "/t/" + q(TYPED["search"]), status=404),  # a / in it too
    Visit("/track", "/track"),
    Visit("/track", "/track?" + query(order_number=TYPED["number"], email=TYPED["contact"],
                                      store=TYPED["store"]),
          (TYPED["number"], TYPED["contact"], TYPED["store"]), status=404),
    Visit("/track", "/track", (TYPED["number"], TYPED["contact"]), status=404,
          form={"order_number": TYPED["number"], "email": TYPED["contact"], "store": h.SLUG}),
    Visit("/track", "/track?" + query(order_number=h.ORDER_NUMBER, email=h.EMAIL, store=h.SLUG),
          (h.ORDER_NUMBER, h.LINE_TITLE, h.SCAN["message"])),
    Visit("/track", "/track?" + query(order_number=h.UNSHIPPED_NUMBER, email=h.EMAIL,
                                      store=h.SLUG), (h.UNSHIPPED_NUMBER, h.LINE_TITLE)),
    Visit("/s/{store_slug}/track", "/s/acme/track?" + query(
        order_number=TYPED["number"], postal_code=TYPED["contact"]),
          (h.STORE_NAME, TYPED["number"], TYPED["contact"]), status=404),
    Visit("/s/{store_slug}/track", "/s/" + q(SLUG_TYPED) + "/track", (SLUG_TYPED,)),
    Visit("/s/{store_slug}/track", "/s/acme/track", (h.STORE_NAME, TYPED["number"]),
          status=404, form={"order_number": TYPED["number"], "email": h.EMAIL}),
    Visit("/preferences/{token}", "{shop.preferences_path}", (h.STORE_NAME,)),
    Visit("/preferences/{token}", "{shop.preferences_path}", (h.STORE_NAME,), status=403,
          form={"email": "1"}),
    Visit("/preferences/{token}", "/preferences/" + q(SLUG_TYPED), status=404),
    Visit("/m/u/{token}", "{shop.unsubscribe_path}"),
    Visit("/m/u/{token}", "/m/u/" + q(SLUG_TYPED), status=404, kind="json"),
    Visit("/m/c/{token}", "{shop.click_path}", status=302, kind="redirect"),
    Visit("/m/c/{token}", "/m/c/" + q(SLUG_TYPED), status=404, kind="json"),
    Visit("/m/o/{token}.gif", "/m/o/" + q(SLUG_TYPED) + ".gif", kind="gif"),
    Visit("/media/products/{product_id}.svg", "/media/products/{shop.product_id}.svg",
          (h.PRODUCT["title"],), kind="svg"),
    Visit("/media/products/{product_id}.svg", "/media/products/" + q(SLUG_TYPED) + ".svg",
          status=404, kind="json"),
    Visit("/media/stores/{slug}/logo.svg", "/media/stores/acme/logo.svg", (h.STORE_NAME,),
          kind="svg"),
)
RETURNS = (
    Visit("/returns", "/returns"),
    Visit("/returns", "/returns?" + query(order_number=TYPED["number"], store=TYPED["store"]),
          (TYPED["number"],)),
    Visit("/returns/from/{tracking_token}", "/returns/from/{shop.tokens[0]}", status=303,
          kind="redirect"),
    Visit("/returns/from/{tracking_token}", "/returns/from/" + q(SLUG_TYPED), status=404),
    Visit("/returns/o/{token}", "{shop.portal_path}",
          (h.STORE_NAME, h.ORDER_NUMBER, h.LINE_TITLE)),
    Visit("/returns/o/{token}", "/returns/o/" + q(SLUG_TYPED), status=404),
    Visit("/returns/o/{token}/{step:path}", "{shop.portal_path}/check?lang=de", status=303,
          kind="redirect"),
    Visit("/returns/r/{token}", "{shop.return_path}",
          (h.STORE_NAME, h.ORDER_NUMBER, h.LINE_TITLE, returns_walk.REJECTED)),
    Visit("/returns/r/{token}", "/returns/r/" + q(SLUG_TYPED), status=404),
)


def portal_forms(line_id: int) -> tuple[Visit, ...]:
    """The portal's forms, each step with the hostile comment, and the lookup's."""
    chosen = {f"qty_{line_id}": "1", f"reason_{line_id}": "other",
              f"comment_{line_id}": returns_walk.COMMENT, "csrf": CSRF}
    confirm = {**chosen, "resolution": "refund", "exchange_for_sku": "", "key": "k"}
    gift = {"gift": "1", "gift_email": "bea@example.com", "gift_name": TYPED["recipient"]}
    return (
        Visit("/returns", "/returns", (TYPED["number"], TYPED["contact"]), status=404,
              form={"order_number": TYPED["number"], "email": TYPED["contact"],
                    "store": h.SLUG}),
        Visit("/returns/o/{token}/review", "{shop.portal_path}/review",
              (h.ORDER_NUMBER, returns_walk.COMMENT), form=chosen),
        Visit("/returns/o/{token}/check", "{shop.portal_path}/check",
              (h.ORDER_NUMBER, h.LINE_TITLE, returns_walk.COMMENT),
              form={**chosen, "resolution": "refund"}),
        Visit("/returns/o/{token}/review", "{shop.portal_path}/review",
              (h.ORDER_NUMBER, TYPED["search"][:100]), form={**chosen, "q": TYPED["search"]}),
        Visit("/returns/o/{token}/review", "{shop.portal_path}/review",
              (h.ORDER_NUMBER, TYPED["recipient"]), form={**chosen, **gift}),
        Visit("/returns/o/{token}/review", "{shop.portal_path}/review",
              (h.ORDER_NUMBER, TYPED["email"], TYPED["recipient"]), status=422,
              form={**chosen, **gift, "gift_email": TYPED["email"]}),
        Visit("/returns/o/{token}/check", "{shop.portal_path}/check",
              (h.ORDER_NUMBER, TYPED["recipient"], "bea@example.com"),
              form={**chosen, **gift, "resolution": "exchange",
                    "exchange_for_sku": TYPED["search"][:100]}, status=422),
        Visit("/returns/o/{token}/confirm", "{shop.portal_path}/confirm",
              (h.ORDER_NUMBER, h.LINE_TITLE), status=400,
              form={**confirm, f"qty_{line_id}": TYPED["number"]}),
        Visit("/returns/o/{token}/confirm", "{shop.portal_path}/confirm",
              (h.ORDER_NUMBER, h.LINE_TITLE, returns_walk.COMMENT),
              form={**confirm, "key": TYPED["number"][:100]}),
    )


NEXT = "/admin/orders?q=" + TYPED["next"]  # an admin path: kept for after signing in
SIGNED_OUT = (
    Visit("/admin/login", "/admin/login?" + query(next=NEXT), (NEXT,)),
    Visit("/admin/login", "/admin/login", (TYPED["email"], NEXT), status=401, form={
        "email": TYPED["email"], "password": "not it", "csrf": CSRF, "next": NEXT}),
)
MAIL = (h.EMAIL, h.STORE_NAME, h.CUSTOMER["first_name"], h.LINE_TITLE)  # the review request
ADMIN = (
    Visit("/admin", "/admin", (h.STORE_NAME, h.OTHER_STORE_NAME)),
    Visit("/admin/jobs", "/admin/jobs", (h.JOB_ERROR,)),
    # a held delivery's body, shown as the JSON it came as (its quotes escaped as \")
    Visit("/admin/deliveries", "/admin/deliveries", (
        json.dumps(h.PROBLEM["message"], ensure_ascii=False)[1:-1],)),
    Visit("/admin/orders", "/admin/orders", (h.ORDER_NUMBER, h.UNSHIPPED_NUMBER, h.EMAIL,
                                             h.ADDRESS["name"], h.FULFILMENT)),
    Visit("/admin/orders", "/admin/orders?" + query(q=TYPED["search"]), (TYPED["search"],)),
    Visit("/admin/orders/{order_id}", "/admin/orders/{shop.order_id}", (
        h.ORDER_NUMBER, h.CUSTOMER["first_name"], h.CUSTOMER["last_name"], h.EMAIL, h.PAID,
        *h.ADDRESS.values(), h.LINE_TITLE, h.SKU, h.CARRIER)),
    Visit("/admin/orders/{order_id}", "/admin/orders/{shop.unshipped_order_id}",
          (h.UNSHIPPED_NUMBER, h.CANCEL_REASON)),
    Visit("/admin/orders/{order_id}", "/admin/orders/" + q(SLUG_TYPED), status=404),
    Visit("/admin/shipments", "/admin/shipments", (
        h.ORDER_NUMBER, h.CARRIER, h.SERVICE, h.PROBLEM["location"])),
    Visit("/admin/shipments", "/admin/shipments?" + query(q=TYPED["search"],
                                                          status=TYPED["status"]),
          (TYPED["status"],), status=400),
    Visit("/admin/customers", "/admin/customers", (
        h.CUSTOMER["first_name"], h.CUSTOMER["last_name"], h.EMAIL)),
    Visit("/admin/customers", "/admin/customers?" + query(q=TYPED["search"]),
          (TYPED["search"],)),
    Visit("/admin/customers/{customer_id}", "/admin/customers/{shop.customer_id}", (
        h.CUSTOMER["first_name"], h.CUSTOMER["last_name"], h.EMAIL, h.CUSTOMER["external_id"],
        h.ORDER_NUMBER, h.UNSHIPPED_NUMBER)),
    Visit("/admin/customers/{customer_id}/export", "/admin/customers/{shop.customer_id}/export",
          (h.CUSTOMER["first_name"], h.EMAIL, h.ORDER_NUMBER), kind="json"),
    Visit("/admin/journeys", "/admin/journeys", (h.JOURNEY["name"],)),
    Visit("/admin/journeys/{key}", "/admin/journeys/hostile", (
        h.JOURNEY["name"], h.JOURNEY["description"], h.JOURNEY["reason"])),
    Visit("/admin/journeys/{key}", "/admin/journeys/hostile", (TYPED["draft"],), status=422,
          form={"csrf": CSRF, "definition": TYPED["draft"]}),
    Visit("/admin/journeys/{key}", "/admin/journeys/hostile", (BROKEN_JOURNEY,), status=422,
          form={"csrf": CSRF, "definition": BROKEN_JOURNEY}),
    Visit("/admin/journeys/enrolments/{enrolment_id}",
          "/admin/journeys/enrolments/{shop.enrolment_id}",
          (h.JOURNEY["name"], h.JOURNEY["reason"])),
    Visit("/admin/messages", "/admin/messages", (
        h.CATEGORY, h.JOURNEY["category"], h.EMAIL, h.TEMPLATE_SUBJECT)),
    Visit("/admin/messages", "/admin/messages?" + query(
        email=TYPED["email"], category=hostile("typed category", 64)),
          (TYPED["email"],)),
    Visit("/admin/messages/outbox", "/admin/messages/outbox", (h.EMAIL, h.TEMPLATE_SUBJECT)),
    Visit("/admin/messages/outbox/{entry_id}", "/admin/messages/outbox/{shop.outbox_id}",
          MAIL),
    Visit("/admin/messages/templates", "/admin/messages/templates", (h.STORE_NAME,)),
    Visit("/admin/messages/preview", "/admin/messages/preview?key=hostile_note",
          (h.TEMPLATE_SUBJECT, h.STORE_NAME)),
    Visit("/admin/messages/send-test", "/admin/messages/send-test", (TYPED["recipient"],),
          status=422, form={"csrf": CSRF, "key": "order_confirmation", "channel": "email",
                            "recipient": TYPED["recipient"]}),
    Visit("/admin/messages/{message_id}", "/admin/messages/{shop.message_id}",
          (*MAIL, h.CATEGORY, h.BOUNCE)),
)
REFERRAL = (
    Visit("/r/{code}", "{shop.referral_path}", (h.STORE_NAME,)),
    Visit("/r/{code}", "{shop.referral_path}", (h.STORE_NAME, TYPED["email"]), status=422,
          form={"csrf": CSRF, "email": TYPED["email"]}),
    Visit("/r/{code}", "/r/" + q(SLUG_TYPED), status=404),
)
VISITS = (*SHOPPER, *RETURNS, *REFERRAL, *SIGNED_OUT, *ADMIN)


def walk(client: TestClient, shop: h.Shop, visits: tuple[Visit, ...], csrf_page: str
         ) -> list[str]:
    problems = []
    for visit in visits:
        url = visit.target(shop)
        if visit.form is None:
            response = client.get(url, follow_redirects=visit.kind != "redirect")
        else:
            token = csrf_of(client.get(csrf_page).text) if CSRF in visit.form.values() else ""
            form = {k: token if v is CSRF else v for k, v in visit.form.items()}
            response = client.post(url, data=form, files=visit.files)
        problems += problems_with(response, visit, shop)
    return problems


def test_every_shopper_page_shows_hostile_text_as_text(client, db, settings):
    shop = h.open_shop(client, db, settings)

    problems = walk(client, shop, SHOPPER, "")

    assert problems == [], "\n".join(problems)


def test_the_referral_page_shows_hostile_text_as_text(client, db, settings):
    shop = referral_walk.with_referral(db, h.open_shop(client, db, settings))

    problems = walk(client, shop, REFERRAL, shop.referral_path)

    assert problems == [], "\n".join(problems)


def test_every_returns_portal_page_shows_hostile_text_as_text(client, db, settings):
    shop, line_id = returns_walk.portal_shop(client, db, settings,
                                             h.open_shop(client, db, settings))

    problems = walk(client, shop, (*RETURNS, *portal_forms(line_id)), shop.portal_path)

    assert problems == [], "\n".join(problems)


def test_every_admin_page_shows_hostile_text_as_text(client, db, settings):
    shop = h.open_shop(client, db, settings)
    make_admin(db, stores=(h.SLUG, "other"))

    signed_out = walk(client, shop, SIGNED_OUT, "/admin/login")
    sign_in(client)
    signed_in = walk(client, shop, ADMIN, "/admin")

    assert signed_out == [], "\n".join(signed_out)
    assert signed_in == [], "\n".join(signed_in)


def test_every_admin_returns_page_shows_hostile_text_as_text(client, db, settings):
    shop = admin_returns_shop(client, db, settings, h.open_shop(client, db, settings))
    make_admin(db, stores=(h.SLUG, "other"))
    sign_in(client)

    problems = walk(client, shop, admin_returns_visits(shop.rejected_id), "/admin")

    assert problems == [], "\n".join(problems)


def test_every_loyalty_page_shows_hostile_text_as_text(client, db, settings):
    shop = loyalty_walk.loyalty_shop(db, settings, h.open_shop(client, db, settings))
    make_admin(db, stores=(h.SLUG, "other"))

    shopper = walk(client, shop, loyalty_walk.SHOPPER, shop.member_path)
    sign_in(client)
    admin = walk(client, shop, loyalty_walk.ADMIN, "/admin")

    assert shopper == [], "\n".join(shopper)
    assert admin == [], "\n".join(admin)


def test_every_review_page_shows_hostile_text_as_text(client, db, settings):
    shop = reviews_walk.review_shop(db, settings, h.open_shop(client, db, settings))
    make_admin(db, stores=(h.SLUG, "other"))

    shopper = walk(client, shop, reviews_walk.SHOPPER, shop.review_path)
    sign_in(client)
    admin = walk(client, shop, reviews_walk.ADMIN, "/admin")

    assert shopper == [], "\n".join(shopper)
    assert admin == [], "\n".join(admin)


def test_every_survey_page_shows_hostile_text_as_text(client, db, settings):
    shop = survey_walk.survey_shop(db, settings, h.open_shop(client, db, settings))
    make_admin(db, stores=(h.SLUG, "other"))

    shopper = walk(client, shop, survey_walk.SHOPPER, shop.survey_path)
    sign_in(client)
    admin = walk(client, shop, survey_walk.ADMIN, "/admin")

    assert shopper == [], "\n".join(shopper)
    assert admin == [], "\n".join(admin)


def test_every_public_review_page_shows_hostile_text_as_text(client, db, settings):
    shop = review_pages_walk.review_shop(db, h.open_shop(client, db, settings))

    problems = walk(client, shop, review_pages_walk.visits(shop.review_id), shop.review_path)


    assert problems == [], "\n".join(problems)


def test_the_words_page_shows_hostile_text_as_text(client, db, settings):
    shop = h.open_shop(client, db, settings)
    words_walk.words_shop(db)
    make_admin(db, stores=(h.SLUG, "other"))
    sign_in(client)

    problems = walk(client, shop, words_walk.ADMIN, "/admin")

    assert problems == [], "\n".join(problems)


def test_the_insights_pages_show_hostile_text_as_text(client, db, settings):
    shop = h.open_shop(client, db, settings)
    insights_walk.insights_shop(db)
    make_admin(db, stores=(h.SLUG, "other"))
    sign_in(client)

    problems = walk(client, shop, insights_walk.ADMIN, "/admin")

    assert problems == [], "\n".join(problems)


def test_the_assistants_inbox_shows_hostile_text_as_text(client, db, settings):
    shop = h.open_shop(client, db, settings)
    conversation_id = conversations_walk.conversation_shop(client, db, shop)
    make_admin(db, stores=(h.SLUG, "other"))
    sign_in(client)

    problems = walk(client, shop, conversations_walk.visits(conversation_id), "/admin")

    assert problems == [], "\n".join(problems)


def test_the_walk_covers_every_page_the_app_serves(app):
    walked = {visit.route for visit in (*VISITS, *admin_returns_visits(1),
                                        *loyalty_walk.SHOPPER, *loyalty_walk.ADMIN,
                                        *reviews_walk.SHOPPER, *reviews_walk.ADMIN,
                                        *survey_walk.SHOPPER, *survey_walk.ADMIN,
                                        *review_pages_walk.visits(),
                                        *words_walk.ADMIN, *insights_walk.ADMIN,
                                        *conversations_walk.visits())
              if visit.method == "GET"}
    served = {path for path in routes_of(app, "GET") if not path.startswith(API)}

    assert sorted(served - walked - set(NOT_PAGES)) == []
    assert sorted(set(NOT_PAGES) - served) == []  # no stale excuse


def test_each_visit_goes_to_the_route_it_names(app):
    shop = h.Shop(order_id=2, unshipped_order_id=3, customer_id=4, product_id=5,
                  tokens=("t1", "t2"), message_id=6, outbox_id=7, enrolment_id=8,
                  preferences_path="/preferences/p", unsubscribe_path="/m/u/u",
                  click_path="/m/c/c")
    routes = {method: routes_of(app, method) for method in ("GET", "POST")}

    surveyed = survey_walk.SurveyShop(**vars(shop))
    shop = review_pages_walk.ReviewShop(**vars(loyalty_walk.LoyaltyShop(**vars(shop))))
    astray = [f"{visit.method} {visit.target(shop)}" for visit in (
                  *VISITS, *loyalty_walk.SHOPPER, *loyalty_walk.ADMIN,
                  *review_pages_walk.visits(),
                  *words_walk.ADMIN, *insights_walk.ADMIN)
              if visit.route not in routes[visit.method] or not routes[visit.method][
                  visit.route].fullmatch(unquote(visit.target(shop).split("?")[0]))]
    astray += [f"{visit.method} {visit.target(surveyed)}" for visit in (
                   *survey_walk.SHOPPER, *survey_walk.ADMIN)
               if visit.route not in routes[visit.method] or not routes[visit.method][
                   visit.route].fullmatch(unquote(visit.target(surveyed).split("?")[0]))]

    assert astray == []


def test_a_picture_address_that_runs_script_is_refused_and_nothing_is_kept(client, store):
    product = {"title": "Tea", "external_id": "p-1", "image_url": SCRIPT_URL,
               "variants": [{"sku": "TEA-1", "price_minor": 450, "currency": "EUR"}]}

    refused = client.post("/api/v1/products", headers=store.auth, json=product)
    listed = client.get("/api/v1/products", headers=store.auth)

    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "image_url"
    assert listed.json()["items"] == []


def test_a_store_logo_that_runs_script_is_refused(db):
    with db.transaction() as session, pytest.raises(InvalidValue) as refused:
        stores.create_store(session, slug="acme", name="Acme", logo_url=SCRIPT_URL)

    assert refused.value.field == "logo_url"
    with db.reading() as session:
        assert stores.list_stores(session) == []


def test_the_embed_script_carries_the_store_as_json_only(client, db, settings):
    from afterward.web.pages.assistant_embed import CHAT, SCRIPT

    h.open_shop(client, db, settings)

    script = client.get(f"/embed/{h.SLUG}/assistant.js").text
    # The shared chat and the embed inside one function: (function () {\n ... })();
    wrapped = re.fullmatch(r"(?s)\(function \(\) \{\n(.*\}\)\()(.*)\);\n\}\)\(\);\n", script)
    assert wrapped is not None
    head, tail = wrapped[1], wrapped[2]
    config = json.loads(tail)

    assert head + "/*CONFIG*/null);\n" == (CHAT.read_text(encoding="utf-8") + "\n"
                                          + SCRIPT.read_text(encoding="utf-8"))
    assert "<" not in tail and config["store"] == h.SLUG
    assert set(config) == {"store", "locale", "primary", "on_primary", "origins", "words"}
