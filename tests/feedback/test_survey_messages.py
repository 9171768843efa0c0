"""The surveys in the messages: the delivered email carries eleven NPS links and the
delivery survey's yes/no, the CSAT email after a resolved return five links, each
signed for its order and score; every one renders in every language. The built-in
journeys: CSAT on a resolved return, the follow-up on a detractor's answer."""

from __future__ import annotations

import re

import pytest

from afterward.commerce.models import Store
from afterward.feedback import csat_part, survey_links, survey_part
from afterward.feedback.survey_links import ScoreLink
from afterward.journeys import builtins
from afterward.messaging import template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.templates import TemplateSource
from tests.feedback.survey_scene import Shop, shop_fixture  # noqa: F401 (a fixture)
from tests.journeys.helpers import consume as consume_journeys
from tests.journeys.helpers import emit
from tests.loyalty.test_journeys import journey_keys_of

LOCALES = ("en", "de", "fr", "pt_BR")


def a_store() -> Store:
    return Store(id=1, name="Acme", brand_primary="#1f3a5f", brand_accent="#e07a1f",
                 currency="EUR", timezone="Europe/Berlin", locale="en",
                 support_email="help@acme.example")


def test_the_part_signs_eleven_nps_links_and_the_delivery_yes_and_no(db):
    with db.reading() as session:
        part = survey_part.load(session, store_id=3, id=42, public_url="https://shop.example/",
                                secret_key="s3cret")

    assert part is not None
    tokens = [link["url"].rsplit("/", 1)[1] for link in part["nps_links"]]
    assert [survey_links.read("s3cret", t) for t in tokens] == [
        ScoreLink(3, 42, "nps", score) for score in range(11)]
    assert survey_links.read("s3cret", part["delivery_no_url"].rsplit("/", 1)[1]) == \
        ScoreLink(3, 42, "delivery", 0)
    assert part["delivery_yes_url"].startswith("https://shop.example/survey/")
    assert set(part) == set(survey_part.sample(currency="EUR", public_url="https://x"))


def test_the_part_signs_nothing_until_a_template_reads_it(db, monkeypatch):
    signed: list[ScoreLink] = []
    monkeypatch.setattr(survey_part, "url", lambda base, secret, link: signed.append(link))
    with db.reading() as session:
        part = survey_part.load(session, store_id=3, id=42, public_url="https://x",
                                secret_key="s3cret")

    assert part is not None and signed == []
    part["delivery_yes_url"]
    assert len(signed) == 13


def test_no_part_without_a_secret_key_or_for_a_return_of_no_store(db):
    with db.reading() as session:
        assert survey_part.load(session, store_id=3, id=42, public_url="https://x",
                                secret_key="") is None
        assert csat_part.load(session, store_id=3, id=42, public_url="https://x",
                              secret_key="k") is None


@pytest.mark.parametrize("locale", LOCALES)
def test_the_delivered_email_asks_nps_and_delivery_in_every_language(locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example")

    email = templates.validate("email", TemplateSource(*template_registry.source(
        "shipment_delivered", "email", locale)), context)

    links = re.findall(r"https://shop\.example/survey/sample-nps-(\d+)\?lang=", email.text)
    assert links == [str(n) for n in range(11)]
    assert f"sample-delivery-no?lang={locale.split('_')[0]}" in email.html
    assert email.html.count("/survey/sample-nps-") == 11


def test_the_delivered_email_in_english_says_what_the_links_mean():
    rendered = templates.render("email", TemplateSource(*template_registry.source(
        "shipment_delivered", "email", "en")), sample_context(a_store()))

    assert "How likely are you to recommend Acme to a friend?" in rendered.text
    assert "Did everything arrive as expected?" in rendered.text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", ["survey_csat", "survey_follow_up"])
def test_the_survey_emails_render_in_every_language(key, locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example",
                             data={"survey": "nps", "score": 3})

    email = templates.validate("email", TemplateSource(*template_registry.source(
        key, "email", locale)), context)

    assert email.subject
    if key == "survey_csat":
        assert [n for n in range(1, 6) if f"sample-csat-{n}?lang=" in email.text] == \
            [1, 2, 3, 4, 5]
    else:
        assert "help@acme.example" in email.text


def test_a_resolved_return_enrols_the_customer_in_the_csat_journey(shop: Shop, db):
    with db.transaction() as session:
        builtins.install(session, store_id=shop.store.id)
    order_id, customer_id = shop.order("1001")

    emit(db, shop.store.id, "return.resolved", "return", 77, order_id=order_id,
         customer_id=customer_id, resolution="refund")
    consume_journeys(db, shop.store.id)

    assert "survey_csat" in journey_keys_of(db, shop.store.id)


def test_a_real_delivered_email_links_to_its_order_s_scores(shop: Shop, db):
    from afterward.messaging.context import Links, build_context

    order_id, _ = shop.order("1001")
    with db.reading() as session:
        store = session.get(Store, shop.store.id)
        context = build_context(session, store=store, customer=None,
                                refs={"order_id": order_id}, data={}, locale="de",
                                timezone="UTC", public_url="https://shop.example/",
                                links=Links(), secret_key="s3cret")
    rendered = templates.render("email", TemplateSource(*template_registry.source(
        "shipment_delivered", "email", "de")), context)

    tokens = re.findall(r"https://shop\.example/survey/([^?\s\"]+)\?lang=de", rendered.text)
    assert [survey_links.read("s3cret", t) for t in tokens] == [
        *(ScoreLink(shop.store.id, order_id, "nps", n) for n in range(11)),
        ScoreLink(shop.store.id, order_id, "delivery", 1),
        ScoreLink(shop.store.id, order_id, "delivery", 0)]
    assert "Ist alles wie erwartet angekommen?" in rendered.text
