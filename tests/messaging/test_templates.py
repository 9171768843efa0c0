"""Templates: refused at save time with the line that fails, versioned, sandboxed,
autoescaped; built-ins in four languages; locale fallback."""

from __future__ import annotations

import pytest

from afterward.commerce.models import Store
from afterward.commerce.validation import InvalidValue
from afterward.messaging import builtin_templates, templates
from afterward.messaging.context import sample_context
from afterward.messaging.templates import TemplateInvalid, TemplateSource

MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ customer.first_name }}</mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def a_store(**fields) -> Store:
    values = {"id": 1, "name": "Acme", "brand_primary": "#1f3a5f", "brand_accent": "#e07a1f",
              "currency": "EUR", "timezone": "Europe/Berlin", "locale": "en",
              "support_email": "help@acme.example"}
    values.update(fields)
    return Store(**values)


def sample(**data):
    return sample_context(a_store(), public_url="https://shop.example", data=data)


def save(db, store_id, source, channel="email", locale="en", key="welcome"):
    with db.transaction() as session:
        row = templates.save_template(session, store_id=store_id, key=key, channel=channel,
                                      locale=locale, source=source,
                                      sample=sample_context(a_store(id=store_id)))
        return row.id, row.version


def test_a_template_with_a_syntax_error_is_refused_with_its_line():
    source = TemplateSource("Hi", MJML.replace("Hello {{", "Hello {% if %}{{"))
    with pytest.raises(TemplateInvalid) as caught:
        templates.validate("email", source, sample())
    assert (caught.value.part, caught.value.line) == ("body", 2)
    assert caught.value.message.startswith("body, line 2: ")


def test_a_missing_variable_is_refused_with_its_line():
    source = TemplateSource("Order {{ order.number }}",
                            MJML.replace("</mj-text>", "\n{{ order.coupon_code }}</mj-text>"))
    with pytest.raises(TemplateInvalid) as caught:
        templates.validate("email", source, sample())
    assert (caught.value.part, caught.value.line) == ("body", 3)
    assert "coupon_code" in caught.value.message


def test_a_missing_variable_in_the_subject_names_the_subject():
    with pytest.raises(TemplateInvalid) as caught:
        templates.validate("email", TemplateSource("{{ nope }}", MJML), sample())
    assert (caught.value.part, caught.value.line) == ("subject", 1)


def test_sample_data_can_declare_what_a_journey_will_pass():
    source = TemplateSource("Your code", MJML.replace("Hello", "{{ data.coupon }}"))
    templates.validate("email", source, sample(coupon="WELCOME10"))


def test_broken_mjml_is_refused():
    source = TemplateSource("Hi", "<mjml><mj-body><mj-section>")
    with pytest.raises(TemplateInvalid, match="MJML"):
        templates.validate("email", source, sample())


def test_an_sms_longer_than_ten_segments_is_refused():
    with pytest.raises(TemplateInvalid, match="segments"):
        templates.validate("sms", TemplateSource(None, "x" * 1600), sample())


def test_the_sandbox_refuses_reaching_into_python():
    source = TemplateSource("Hi", MJML.replace("Hello", "{{ ''.__class__.__mro__ }}"))
    with pytest.raises(TemplateInvalid, match="unsafe"):
        templates.validate("email", source, sample())


def test_dotted_names_read_a_dict_s_keys_and_its_methods_as_jinja_does():
    context = sample(items=3, note="kept")
    source = TemplateSource(
        "{{ data.note }} {{ data.missing is undefined }}", MJML,
        "{% for k, v in data.items() %}{{ k }}={{ v }};{% endfor %} {{ data.__class__ }}")

    with pytest.raises(TemplateInvalid, match="attribute '__class__' of 'dict' object is unsafe"):
        templates.render("email", source, context)
    rendered = templates.render("email", TemplateSource(source.subject, MJML, source.text_body
                                                        .replace(" {{ data.__class__ }}", "")),
                                context)
    assert (rendered.subject, rendered.text) == ("kept True", "items=3;note=kept;\n")


def test_html_is_escaped_but_text_parts_are_not():
    context = sample()
    context["customer"]["first_name"] = "<b>Bob</b> & co"
    rendered = templates.render("email", TemplateSource("Hi {{ customer.first_name }}", MJML,
                                                        "Hi {{ customer.first_name }}"), context)
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; co" in rendered.html
    assert "<b>Bob</b>" not in rendered.html
    assert rendered.subject == "Hi <b>Bob</b> & co"
    assert rendered.text == "Hi <b>Bob</b> & co\n"


@pytest.mark.parametrize(("locale", "style", "said"), [
    ("en", "medium", "Dec 14, 2026, 7:00 PM"),  # Europe/Berlin: 18:00 UTC is 19:00
    ("de", "medium", "14.12.2026, 19:00"),
    ("fr", "medium", "14 déc. 2026, 19:00"),
    ("en", "short", "12/14/26, 7:00 PM"),  # (a subject's narrow spaces are spaces)
])
def test_a_moment_is_shown_in_the_reader_s_zone_without_seconds(locale, style, said):
    from datetime import UTC, datetime

    context = {**sample(), "locale": locale,
               "at": datetime(2026, 12, 14, 18, 0, 30, tzinfo=UTC)}
    subject = "At {{ at | datetime }}" if style == "medium" \
        else "At {{ at | datetime('" + style + "') }}"
    rendered = templates.render("email", TemplateSource(subject, MJML), context)

    assert rendered.subject == f"At {said}"


def test_without_a_text_part_one_is_derived_from_the_html():
    source = TemplateSource("Hi", MJML.replace(
        "Hello {{ customer.first_name }}",
        'Hello {{ customer.first_name }} <a href="https://shop.example/x">your order</a>'))
    rendered = templates.render("email", source, sample())
    assert "Hello Ada your order (https://shop.example/x)" in rendered.text


def test_saving_twice_makes_a_second_version_and_the_latest_is_live(db, make_store):
    store = make_store("acme")
    first = save(db, store.id, TemplateSource("One", MJML))
    second = save(db, store.id, TemplateSource("Two", MJML))
    assert (first[1], second[1]) == (1, 2)
    with db.reading() as session:
        live = templates.resolve(session, store_id=store.id, key="welcome", channel="email",
                                 locales=["en"])
        history = templates.versions(session, store_id=store.id, key="welcome",
                                     channel="email", locale="en")
    assert live is not None and live.source.subject == "Two" and live.template_id == second[0]
    assert [t.version for t in history] == [2, 1]


def test_a_refused_template_leaves_nothing_behind(db, make_store):
    store = make_store("acme")
    with pytest.raises(TemplateInvalid):
        save(db, store.id, TemplateSource("{{ missing }}", MJML))
    with db.reading() as session:
        assert templates.versions(session, store_id=store.id, key="welcome", channel="email",
                                  locale="en") == []


def test_an_unknown_locale_is_refused(db, make_store):
    store = make_store("acme")
    with pytest.raises(InvalidValue) as caught:
        save(db, store.id, TemplateSource("Hi", MJML), locale="xx_NOPE")
    assert caught.value.field == "locale"


def test_the_customer_s_language_wins_then_its_language_then_english(db, make_store):
    store = make_store("acme")
    save(db, store.id, TemplateSource("Hallo", MJML), locale="de", key="order_confirmation")
    with db.reading() as session:
        def resolve(*locales):
            found = templates.resolve(session, store_id=store.id, key="order_confirmation",
                                      channel="email",
                                      locales=templates.locale_candidates(*locales))
            assert found is not None
            return found.locale, found.template_id is not None, found.source.subject

        assert resolve("de_AT") == ("de", True, "Hallo")  # the store's own German
        assert resolve("pt_BR")[:2] == ("pt_BR", False)  # the built-in Portuguese
        assert resolve("fr_CA")[:2] == ("fr", False)
        assert resolve("ja") == ("en", False, "Your order {{ order.number }} is confirmed")


@pytest.mark.parametrize("locale", builtin_templates.LOCALES)
@pytest.mark.parametrize("key", builtin_templates.KEYS)
def test_every_built_in_renders_against_the_sample(key, locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example")
    email = templates.validate("email", TemplateSource(*builtin_templates.source(
        key, "email", locale)), context)
    sms = templates.validate("sms", TemplateSource(*builtin_templates.source(
        key, "sms", locale)), context)
    assert "1001" in email.subject and "1001" in email.text and "1001" in email.html
    assert f'lang="{locale.split("_")[0]}"' in email.html
    assert "1001" in sms.text and sms.segments in (1, 2)


def test_built_ins_speak_the_customer_s_language():
    context = sample_context(a_store(), locale="de", public_url="https://shop.example")
    rendered = templates.render("email", TemplateSource(*builtin_templates.source(
        "order_confirmation", "email", "de")), context)
    assert rendered.subject == "Ihre Bestellung 1001 ist bestätigt"
    assert "Hallo Ada," in rendered.text
    assert "2 x Organic green tea  9,00\xa0€" in rendered.text
    assert "Summe: 25,95\xa0€" in rendered.text


def test_shipped_sms_in_english_and_german_fits_one_gsm7_segment():
    for locale in ("en", "de"):
        context = sample_context(a_store(), locale=locale, public_url="https://shop.example")
        sms = templates.render("sms", TemplateSource(*builtin_templates.source(
            "shipment_shipped", "sms", locale)), context)
        assert sms.segments == 1, sms.text


def test_a_template_cannot_burn_the_cpu():
    source = TemplateSource(None, "{{ 9 ** 9 ** 9 ** 9 ** 9 }}")  # Jinja: left to right
    with pytest.raises(TemplateInvalid, match="exponent too large"):
        templates.validate("sms", source, sample())
    assert templates.render("sms", TemplateSource(None, "{{ 2 ** 10 }}"), sample()).text == "1024"
