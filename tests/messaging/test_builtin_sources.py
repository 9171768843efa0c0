"""The built-in templates' sources: written once, in English, in each module's
builtin_sources/, their phrases in the Babel catalogues; built per language once per
process; every SMS in GSM-7."""

from __future__ import annotations

import gettext

import pytest

from afterward.commerce.models import Store
from afterward.messaging import source_builder, template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.segments import is_gsm7
from afterward.messaging.templates import TemplateSource

LOCALES = template_registry.LOCALES


def a_store() -> Store:
    return Store(id=1, name="Acme", brand_primary="#1f3a5f", brand_accent="#e07a1f",
                 currency="EUR", timezone="Europe/Berlin", locale="en",
                 support_email="help@acme.example")


def every_source():
    for key in template_registry.registered_keys():
        for locale in LOCALES:
            for channel in ("email", "sms"):
                found = template_registry.source(key, channel, locale)
                if found is not None:
                    yield key, channel, locale, found


class OneFrenchPhrase(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return "Merci mille fois !" if message == "Thank you for your order!" else message


@pytest.fixture
def fresh_environments():
    source_builder._environment.cache_clear()
    yield
    source_builder._environment.cache_clear()


def test_every_built_in_sms_in_every_language_fits_gsm7():
    # given
    checked = []
    for key, channel, locale, found in every_source():
        if channel != "sms":
            continue
        context = sample_context(a_store(), locale=locale, public_url="https://shop.example")

        # when
        text = templates.render("sms", TemplateSource(*found), context).text

        # then
        checked.append((key, locale, is_gsm7(text)))
    assert [(key, locale) for key, locale, gsm7 in checked if not gsm7] == []
    assert len(checked) == 12 * len(LOCALES)  # 3 of messaging, 4 of the journeys, 4 of
    # returns, 1 of insights


def test_a_built_in_takes_its_words_from_the_catalogue(fresh_environments, monkeypatch):
    monkeypatch.setattr(source_builder, "translations", lambda locale: OneFrenchPhrase())

    _subject, body, text = source_builder.build(
        (source_builder.FOLDER,), "order_confirmation", "email", "fr")

    assert "<mj-preview>Merci mille fois !</mj-preview>" in body
    assert '<h1 style="font-size:22px;margin:0 0 12px 0;">Merci mille fois !</h1>' in body
    assert text.startswith("Merci mille fois !\n\n")
    assert "Thank you for your order!" not in body + text


def test_a_phrase_with_a_context_takes_its_own_translation():
    _subject, body, _text = template_registry.source("order_confirmation", "email", "fr")

    assert "<strong>Adresse de livraison</strong>" in body  # not the page's "Livraison à"


def test_a_built_in_is_built_once_per_process_not_per_message():
    first = template_registry.source("shipment_delayed", "email", "de")

    assert template_registry.source("shipment_delayed", "email", "de") is first
    assert template_registry.source("shipment_shipped", "sms", "pt_BR") is \
        template_registry.source("shipment_shipped", "sms", "pt_BR")


def test_no_built_in_keeps_a_delimiter_of_its_source():
    leftovers = [(key, channel, locale) for key, channel, locale, found in every_source()
                 for part in found if part and any(d in part for d in ("[%", "[=", "[#", "[["))]

    assert leftovers == []


def test_every_key_brings_an_email_in_every_language():
    keys = template_registry.registered_keys()
    emails = {(key, locale) for key, channel, locale, _ in every_source() if channel == "email"}

    # with feedback's survey_csat and survey_follow_up, the assistant's reply and
    # loyalty's referral_friend, and insights' subscription_renewal_risk
    assert len(keys) == 26
    assert emails == {(key, locale) for key in keys for locale in LOCALES}
