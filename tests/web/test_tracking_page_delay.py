"""The tracking page's delay notice (web/pages/late.py): shown exactly when the one rule
says late (tracking/lateness.py), with the promised day and the new window as days in
the store's time zone, in the shopper's language; and the delay email naming that
window in the same words, in every language."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from afterward.commerce.models import Store
from afterward.journeys import message_templates
from afterward.messaging import template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.templates import TemplateSource
from afterward.web.pages import late, load, view
from afterward.web.pages.language import Speaker
from afterward.web.pages.memo import Memo
from tests.web import tracking_scenes
from tests.web.tracking_scenes import at

# The scene's store is in Berlin: 23:00 UTC on 10 March ends Tuesday the 10th there.
PROMISE = at(10, 23)
LATE_WINDOW = (at(10, 8), at(12, 9))  # Tue 10 - Thu 12 March
ON_TIME_WINDOW = (at(9, 8), at(10, 22, 30))  # ends 23:30 on Tuesday in Berlin
BEFORE = at(9, 12)
NOTICES = {
    "en": ("Your parcel is running late",
           "We promised delivery by Tue, Mar 10 and it will arrive later. We are sorry.",
           "New estimated delivery: Tue, Mar 10 \u2013 Thu, Mar 12"),
    "de": ("Ihr Paket verspätet sich",
           "Wir hatten die Zustellung bis Di., 10. März versprochen, sie kommt später. "
           "Das tut uns leid.",
           "Neue voraussichtliche Zustellung: Di., 10. \u2013 Do., 12. März"),
    "fr": ("Votre colis a du retard",
           "Nous avions promis une livraison d'ici le mar. 10 mars, elle arrivera plus tard. "
           "Nous en sommes désolés.",
           "Nouvelle date de livraison estimée : mar. 10 \u2013 jeu. 12 mars"),
    "pt_BR": ("Seu pacote está atrasado",
              "Prometemos a entrega até ter., 10 de mar. e ela vai chegar depois. "
              "Pedimos desculpas.",
              "Nova previsão de entrega: ter., 10 de mar. \u2013 qui., 12 de mar."),
}


@pytest.fixture
def scene(db):
    return tracking_scenes.build(db)


def built(db, scene, *, window=LATE_WINDOW, promised_at=PROMISE, now=BEFORE, lang="en",
          **parcel_fields) -> view.TrackingPage:
    with db.reading() as session:
        found = load.shipment_rows(session, scene.tokens["in_transit"],
                                   Memo(seconds=1, max_entries=1))
    assert found is not None
    rows = found[0]
    parcel = replace(rows.shipment, promised_at=promised_at, eta_earliest=window[0],
                     eta_latest=window[1], **parcel_fields)
    return view.build(replace(rows, shipment=parcel), Speaker(lang, "Europe/Berlin"), now=now)


def spaced(text: str | None) -> str | None:
    return " ".join(text.split()) if text is not None else None  # Babel's thin spaces


@pytest.mark.parametrize("lang", sorted(NOTICES))
def test_a_late_parcel_shows_the_delay_notice_in_the_shoppers_language(db, scene, lang):
    page = built(db, scene, lang=lang)

    notice = page.parcel.delay
    assert notice is not None
    assert (notice.headline, spaced(notice.promise), spaced(notice.window)) == NOTICES[lang]
    assert page.parcel.estimate is None  # the notice names the window instead


def test_a_window_ending_on_the_promised_day_shows_no_notice_whatever_the_carrier_says(
        db, scene):
    page = built(db, scene, window=ON_TIME_WINDOW, substatus="delayed")

    assert page.parcel.delay is None
    assert page.parcel.detail is None  # no "Delayed" either
    assert spaced(page.parcel.estimate) == "Estimated delivery: Mon, Mar 9 \u2013 Tue, Mar 10"


def test_a_late_parcel_may_say_what_the_carrier_said_about_it(db, scene):
    page = built(db, scene, substatus="weather_delay")

    assert page.parcel.delay is not None
    assert page.parcel.detail == "Delayed by weather"


def test_a_window_that_ran_out_after_the_promised_day_is_late_from_now_on(db, scene):
    page = built(db, scene, window=ON_TIME_WINDOW, now=at(11, 7))  # 08:00 Wednesday

    assert page.parcel.delay is not None
    assert spaced(page.parcel.delay.window) == "New estimated delivery: Wed, Mar 11"


@pytest.mark.parametrize("status", ["exception", "delivered", "available_for_pickup"])
def test_no_notice_for_a_parcel_in_trouble_arrived_or_waiting(db, scene, status):
    page = built(db, scene, status=status, substatus="Exception_005")

    assert page.parcel.delay is None
    assert page.parcel.headline != "Delayed"  # an exception is a problem, not a delay


def test_a_return_parcel_is_never_late(db, scene):
    assert built(db, scene, direction="return").parcel.delay is None


@pytest.mark.parametrize("lang", sorted(NOTICES))
@pytest.mark.parametrize(("first", "last"), [
    (date(2026, 3, 10), date(2026, 3, 12)), (date(2026, 3, 11), date(2026, 3, 11)),
    (date(2026, 12, 30), date(2027, 1, 4))])
def test_the_email_and_the_page_name_a_window_in_the_same_words(lang, first, last):
    email = templates.environments()[1].from_string("{{ first | days(last) }}").render(
        first=first, last=last, locale=lang)

    assert email == Speaker(lang, "UTC").days(first, last)


@pytest.mark.parametrize("lang", message_templates.LOCALES)
def test_the_delay_email_carries_the_pages_new_window_sentence(lang):
    store = Store(name="Acme", slug="acme", currency="EUR", timezone="Europe/Berlin",
                  locale="en", brand_primary="#1f3a5f", brand_accent="#e07a1f")
    context = sample_context(store, locale=lang, public_url="https://shop.example")
    shipment = context["shipment"]
    say = Speaker(lang, "UTC")

    email = templates.validate("email", TemplateSource(*template_registry.source(
        "shipment_delayed", "email", lang)), context)

    sentence = say.gettext(late.NEW_WINDOW, window=say.days(shipment["window_first"],
                                                             shipment["window_last"]))
    assert sentence in email.text
    assert sentence in email.html
    assert context["shipment"]["late"] is True


def test_the_email_says_nothing_of_a_window_when_the_parcel_is_not_late():
    store = Store(name="Acme", slug="acme", currency="EUR", timezone="UTC", locale="en",
                  brand_primary="#1f3a5f", brand_accent="#e07a1f")
    context = sample_context(store, public_url="https://shop.example")
    context["shipment"] |= {"late": False, "window_first": None, "window_last": None}

    email = templates.validate("email", TemplateSource(*template_registry.source(
        "shipment_delayed", "email", "en")), context)

    assert "New estimated delivery" not in email.text
    assert "Expected delivery" not in email.text
