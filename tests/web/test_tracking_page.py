"""The tracking page at /t/{token}: what a shopper reads for a delivered, an
in-transit, a held-at-customs and a split order, in each language."""

from __future__ import annotations

import html
import itertools
import re

import pytest

from afterward.tracking.statuses import Status
from afterward.web.pages import contrast
from tests.web import tracking_scenes

LANGS = ("en", "de", "fr", "pt_BR")
HTML_LANG = {"en": "en", "de": "de", "fr": "fr", "pt_BR": "pt-BR"}
STAGES = {
    "en": ["Ordered", "Label created", "In transit", "Out for delivery", "Delivered"],
    "de": ["Bestellt", "Versandetikett erstellt", "Unterwegs", "In Zustellung", "Zugestellt"],
    "fr": ["Commandé", "Étiquette créée", "En transit", "En cours de livraison", "Livré"],
    "pt_BR": ["Pedido feito", "Etiqueta criada", "Em trânsito", "Saiu para entrega",
              "Entregue"],
}
HEADLINES = {  # scene parcel -> language -> the status words at the top
    "delivered": {"en": "Delivered", "de": "Zugestellt", "fr": "Livré", "pt_BR": "Entregue"},
    "in_transit": {"en": "In transit", "de": "Unterwegs", "fr": "En transit",
                   "pt_BR": "Em trânsito"},
    "exception": {"en": "Held at customs", "de": "Beim Zoll festgehalten",
                  "fr": "Retenu en douane", "pt_BR": "Retido na alfândega"},
    "parcel_a": {"en": "Delivery attempted", "de": "Zustellversuch",
                 "fr": "Tentative de livraison", "pt_BR": "Tentativa de entrega"},
}
DELIVERED_AT = {  # 13:05 UTC on 4 March, shown in Berlin
    "de": "04.03.2026, 14:05", "fr": "4 mars 2026, 14:05", "pt_BR": "4 de mar. de 2026 14:05",
}


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def headline(body: str) -> str:
    match = re.search(r'<h2 id="status-heading"[^>]*>(.*?)</h2>', body, re.S)
    assert match, "no status headline"
    return text(match.group(1)).removeprefix("! ").removeprefix("✓ ")


def all_text(body: str, css_class: str) -> list[str]:
    """The text of each element with this class (narrow no-break spaces read as spaces)."""
    return [text(m[1]) for m in re.findall(
        rf'<([a-z0-9]+) class="{css_class}"[^>]*>(.*?)</\1>', body, re.S)]


@pytest.fixture
def scene(db):
    return tracking_scenes.build(db)


def page(client, scene, name: str, lang: str | None = None, **headers: str):
    query = f"?lang={lang}" if lang else ""
    response = client.get(f"/t/{scene.tokens[name]}{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(HEADLINES))
def test_the_status_headline_and_progress_bar_use_the_shoppers_words(client, scene, name,
                                                                      lang):
    body = page(client, scene, name, lang)

    assert f'<html lang="{HTML_LANG[lang]}">' in body
    assert headline(body) == HEADLINES[name][lang]
    assert all_text(body, "step-label") == STAGES[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_a_delivered_parcel_shows_every_stage_done_and_when_it_arrived(client, scene, lang):
    body = page(client, scene, "delivered", lang)

    assert body.count('class="step done"') == 5
    assert 'aria-current="step"' not in body
    assert '<time datetime="2026-03-04T14:05+01:00">' in body
    if lang in DELIVERED_AT:
        assert DELIVERED_AT[lang] in body
    assert "A. Lovelace" in body
    titles = all_text(body, "event-title")
    assert titles == [STAGES[lang][4], STAGES[lang][3], STAGES[lang][2], STAGES[lang][1]]


def test_the_timeline_is_newest_first_with_place_local_time_and_the_carriers_words(
        client, scene):
    body = page(client, scene, "delivered")

    meta = all_text(body, "event-meta")
    assert meta == ["Mar 4, 2026, 2:05 PM · Berlin, DE",
                    "Mar 4, 2026, 7:30 AM · Berlin, DE",
                    "Mar 2, 2026, 6:00 PM · Leipzig, DE",
                    "Mar 2, 2026, 9:00 AM"]
    assert all_text(body, "carrier-words") == [
        "With delivery courier", "Departed facility", "Shipment information received"]
    assert '<ol class="timeline" reversed>' in body


CARRIER_SOURCE = {"en": "From the carrier:", "fr": "Du transporteur :"}
EVENT_TITLES = {"en": ["Delivered", "Out for delivery", "In transit"],
                "fr": ["Livré", "En cours de livraison", "En transit"]}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_event_says_its_status_in_the_page_language_beside_the_carriers_own_words(
        client, db, scene, lang):
    # given a German carrier that reports in German, and one message in English
    with db.transaction() as session:
        order = tracking_scenes.add_order(session, scene.store_id, "1006", ("TEA",))
        tracking_scenes.add_parcel(session, scene, "german", order, "00340434161234567890", "dhl", [
            (tracking_scenes.at(10, 8), Status.in_transit, None, "Arrival scan", "Leipzig, DE"),
            (tracking_scenes.at(10, 16), Status.out_for_delivery, None,
             "Die Sendung wurde in das Zustellfahrzeug geladen", "Berlin, DE"),
            (tracking_scenes.at(11, 9), Status.delivered, None, "Zugestellt", "Berlin, DE"),
        ])

    # when
    body = page(client, scene, "german", lang)

    # then
    assert all_text(body, "event-title") == EVENT_TITLES[lang]
    assert all_text(body, "event-message") == [
        f"{CARRIER_SOURCE[lang]} Zugestellt",
        f"{CARRIER_SOURCE[lang]} Die Sendung wurde in das Zustellfahrzeug geladen",
        f"{CARRIER_SOURCE[lang]} Arrival scan"]
    assert body.count('<q class="carrier-words" translate="no">') == 3
    assert '<q class="carrier-words" translate="no">Zugestellt</q>' in body


def test_an_in_transit_parcel_marks_the_current_stage_and_links_to_the_carrier(client, scene):
    body = page(client, scene, "in_transit")

    assert re.search(r'<li class="step current" aria-current="step">\s*'
                     r'<span class="step-label">In transit</span>', body)
    assert body.count('class="step done"') == 2
    assert body.count('class="step todo"') == 2
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in body
    assert "Track on the UPS website" in body
    assert "1Z999AA10123456784" in body


@pytest.mark.parametrize("lang", LANGS)
def test_an_exception_is_shown_as_a_problem_with_its_reason(client, scene, lang):
    body = page(client, scene, "exception", lang)

    assert 'class="card status is-problem"' in body
    assert re.search(r'<li class="step problem" aria-current="step">\s*'
                     rf'<span class="step-label">{STAGES[lang][2]}</span>', body)
    assert all_text(body, "event-title")[0] == HEADLINES["exception"][lang]


@pytest.mark.parametrize("lang", LANGS)
def test_each_parcel_of_a_split_order_has_a_tab_with_its_carrier(client, scene, lang):
    body = page(client, scene, "parcel_a", lang)
    parcel = {"en": "Parcel", "de": "Paket", "fr": "Colis", "pt_BR": "Pacote"}[lang]

    tabs = re.findall(r'<a href="(/t/[^"?]+)[^"]*"( aria-current="page")?>(.*?)</a>', body, re.S)
    assert [(url, bool(current)) for url, current, _ in tabs] == [
        (f"/t/{scene.tokens['parcel_a']}", True), (f"/t/{scene.tokens['parcel_b']}", False)]
    assert [text(label) for _, _, label in tabs] == [
        f"{parcel} 1 {HEADLINES['parcel_a'][lang]} DHL Express",
        f"{parcel} 2 {HEADLINES['in_transit'][lang]} UPS"]
    # only what travels in this parcel
    assert all_text(body, "item-title") == ["Gooseneck kettle"]


def test_the_tabs_keep_an_explicit_language(client, scene):
    body = page(client, scene, "parcel_b", "fr")

    assert f'href="/t/{scene.tokens["parcel_a"]}?lang=fr"' in body
    assert all_text(body, "item-title") == ["Brew scale"]


def test_the_page_shows_items_with_images_care_and_how_to(client, scene):
    body = page(client, scene, "delivered")

    assert all_text(body, "item-title") == ["House espresso beans", "Hand grinder"]
    assert '<img src="/media/products/' in body
    assert "Keep the bag closed, away from light." in body
    assert "18 g in, 36 g out in 28 seconds." in body
    assert "Brush the burrs dry; never wash them." in body


def test_goes_with_what_you_bought_leaves_out_what_the_shopper_already_has(client, scene):
    # Beans went with filters 5 times and with kettles 3 times, but Ada has a kettle.
    body = page(client, scene, "delivered")

    assert all_text(body, "suggestion-title") == ["Paper filters", "Stoneware mug"]
    assert all_text(body, "suggestion-price") == ["€4.50", "€18.00"]


def test_return_and_support_links_carry_the_order(client, scene):
    body = page(client, scene, "delivered", "de")

    # The returns portal is reached through the parcel's token: no email in the URL.
    assert f'href="/returns/from/{scene.tokens["delivered"]}"' in body
    assert "ada%40example.com" not in body
    assert 'href="mailto:help@brew.example?subject=Bestellung%201001"' in body
    assert ">Rücksendung starten<" in body and ">Kundenservice kontaktieren<" in body


def test_the_store_brand_is_applied_and_a_pale_colour_is_darkened_for_text(client, scene):
    body = page(client, scene, "delivered")
    ink = contrast.readable_on("#f4b400")

    assert "--brand: #f4b400; --on-brand: #000000;" in body
    assert f"--brand-ink: {ink};" in body
    assert contrast.contrast_ratio(ink, "#ffffff") >= 4.5
    assert 'alt="Brew &amp; Co"' in body
    assert "<title>Delivered · Order 1001 · Brew &amp; Co</title>" in body


def test_the_page_loads_nothing_from_elsewhere_and_runs_only_the_assistants_script(
        client, scene):
    response = client.get(f"/t/{scene.tokens['delivered']}")

    assert re.findall(r"<script[^>]*>", response.text) == [
        '<script src="/static/assistant-chat.js" defer>',
        '<script src="/static/assistant-widget.js" defer>']
    for url in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert url.startswith(("/", "#", "mailto:", "https://www.dhl.com/")), url
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'; connect-src 'self';" in policy
    nonce = re.search(r'<style nonce="([^"]+)">', response.text)
    assert nonce and f"'nonce-{nonce.group(1)}'" in policy
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_headings_are_in_order_and_landmarks_are_there(client, scene):
    body = page(client, scene, "delivered")
    levels = [int(level) for level in re.findall(r"<h([1-6])", body)]

    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    for landmark in ("<header", '<main id="main"', "<footer", '<nav class="languages"'):
        assert landmark in body


def test_the_language_switcher_links_to_this_page_in_each_language(client, scene):
    body = page(client, scene, "in_transit", "de")
    token = scene.tokens["in_transit"]

    for code, name in (("en", "English"), ("de", "Deutsch"), ("fr", "Français"),
                       ("pt_BR", "Português (Brasil)")):
        assert f'href="/t/{token}?lang={code}"' in body
        assert f">{name}</a>" in body
    assert re.search(r'lang="de" hreflang="de" aria-current="true">Deutsch<', body)


def test_language_comes_from_the_customer_before_the_browser_and_the_store(client, db):
    scene = tracking_scenes.build(db, store_locale="de", customer_locale="fr")

    assert headline(page(client, scene, "delivered", **{"Accept-Language": "pt-BR"})) == "Livré"
    assert headline(page(client, scene, "delivered", "pt_BR")) == "Entregue"


def test_language_comes_from_the_browser_before_the_store(client, db):
    scene = tracking_scenes.build(db, store_locale="de")

    assert headline(page(client, scene, "delivered",
                         **{"Accept-Language": "es;q=1, fr-CA;q=0.8"})) == "Livré"
    assert headline(page(client, scene, "delivered")) == "Zugestellt"
    assert headline(page(client, scene, "delivered", "xx")) == "Zugestellt"


def test_times_are_shown_in_the_customers_time_zone(client, db):
    scene = tracking_scenes.build(db, customer_timezone="America/Sao_Paulo")

    body = page(client, scene, "delivered", "pt_BR")

    assert '<time datetime="2026-03-04T10:05-03:00">4 de mar. de 2026 10:05</time>' in body


def test_the_stored_window_is_shown(client, db, scene):
    from datetime import UTC, datetime

    from afterward.tracking import service as tracking

    with db.transaction() as session:
        shipment = tracking.by_token(session, scene.tokens["in_transit"])
        assert shipment.eta_earliest is not None  # the model estimated it at each event
        shipment.eta_earliest = datetime(2026, 3, 9, 12, tzinfo=UTC)
        shipment.eta_latest = datetime(2026, 3, 11, 12, tzinfo=UTC)

    body = page(client, scene, "in_transit")
    window = "Mon, Mar 9\u2009\u2013\u2009Wed, Mar 11"
    assert f'<p class="estimate">Estimated delivery: {window}</p>' in body


def test_a_promised_date_is_shown_and_nothing_is_invented_without_one(client, db, scene):
    from datetime import UTC, datetime

    from afterward.tracking import service as tracking

    with db.transaction() as session:  # no window (the model's columns empty), no promise
        shipment = tracking.by_token(session, scene.tokens["in_transit"])
        shipment.eta_earliest = shipment.eta_likely = shipment.eta_latest = None
        shipment.promised_at = None
    assert "estimate" not in page(client, scene, "in_transit")
    with db.transaction() as session:
        shipment = tracking.by_token(session, scene.tokens["in_transit"])
        shipment.promised_at = datetime(2026, 3, 10, 12, tzinfo=UTC)

    assert '<p class="estimate">Expected by Tue, Mar 10</p>' in page(client, scene, "in_transit")
    assert '<p class="estimate">Erwartet bis Di., 10. März</p>' in page(
        client, scene, "in_transit", "de")
    assert 'class="estimate"' not in page(client, scene, "delivered")


def test_the_carriers_own_estimate_is_shown_when_there_is_no_promise(client, db, scene):
    from datetime import UTC, datetime

    from afterward.tracking import service as tracking

    with db.transaction() as session:
        shipment = tracking.by_token(session, scene.tokens["in_transit"])
        shipment.eta_earliest = shipment.eta_likely = shipment.eta_latest = None
        shipment.promised_at = None  # neither a window nor a promise
        shipment.carrier_estimated_at = datetime(2026, 3, 11, 12, tzinfo=UTC)

    body = page(client, scene, "in_transit", "fr")

    assert '<p class="estimate">Le transporteur prévoit de livrer le mer. 11 mars</p>' in body


def without_nonce_and_path(body: str, path: str) -> str:
    return re.sub(r'nonce-?[^"\';]*', "", body).replace(path, "/t/...")


@pytest.mark.parametrize("token", ["A" * 43, "short", "x" * 44, "%E2%9C%93" * 43, "a.b",
                                   "a/b/c", ""])
def test_an_unknown_token_gets_the_same_readable_404_page(client, scene, token):
    response = client.get(f"/t/{token}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    reference = client.get(f"/t/{'B' * 43}")
    assert without_nonce_and_path(response.text, response.url.path) == \
        without_nonce_and_path(reference.text, reference.url.path)
    assert "We could not find this page" in response.text
    assert 'href="/track"' in response.text


def test_the_404_page_speaks_the_browsers_language(client):
    response = client.get("/t/" + "C" * 43, headers={"Accept-Language": "fr-FR,fr;q=0.9"})

    assert response.status_code == 404
    assert '<html lang="fr">' in response.text
    assert "Nous n&#39;avons pas trouvé cette page" in response.text


def test_care_and_how_to_follow_what_is_in_this_parcel(client, scene):
    first, second = page(client, scene, "parcel_a"), page(client, scene, "parcel_b")

    assert "Descale monthly." in first
    assert "Descale monthly." not in second
    assert "Care and how-to" not in second  # the scale has no care text


def _add_parcel(db, scene, *, order_id: int | None, direction: str = "outbound") -> str:
    from afterward.tracking import service as tracking

    with db.transaction() as session:
        shipment, _ = tracking.upsert_shipment(
            session, store_id=scene.store_id, order_id=order_id, draft=tracking.ShipmentDraft(
                external_id=None, carrier="gls", service=None, tracking_number="GLS123456",
                shipped_at=tracking_scenes.at(10, 9), direction=direction))
        return shipment.token


def test_a_return_parcel_is_labelled_and_never_opened_by_the_lookup(client, db, scene):
    token = _add_parcel(db, scene, order_id=scene.orders["delivered"], direction="return")

    body = client.get(f"/t/{token}").text
    lookup = client.get("/track", params={"order_number": "1001", "email": "ada@example.com"},
                        follow_redirects=False)

    assert '<p class="eyebrow">Return parcel</p>' in body
    assert headline(body) == "Label created"
    assert "Return parcel" in all_text(body, "tab-label")
    assert lookup.headers["location"] == f"/t/{scene.tokens['delivered']}"


def test_a_parcel_without_an_order_still_has_a_page(client, db, scene):
    token = _add_parcel(db, scene, order_id=None)

    body = client.get(f"/t/{token}").text

    assert headline(body) == "Label created"
    assert '<h1 class="page-title">Your parcel</h1>' in body
    assert "gls" in body  # a carrier we do not know keeps its own name
    assert "Start a return" not in body
    assert 'href="mailto:help@brew.example?subject=My%20parcel"' in body


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Estimated delivery: Tue, Mar 10 \u2013 Thu, Mar 12"),
    ("de", "Voraussichtliche Zustellung: Di., 10. \u2013 Do., 12. März"),
    ("fr", "Livraison estimée : mar. 10 \u2013 jeu. 12 mars"),
    ("pt_BR", "Entrega prevista: ter., 10 de mar. \u2013 qui., 12 de mar."),
])
def test_a_predicted_window_is_shown_in_the_shoppers_language_and_zone(db, scene, lang,
                                                                       expected):
    from dataclasses import replace

    from afterward.web.pages import load, view
    from afterward.web.pages.language import Speaker
    from afterward.web.pages.memo import Memo

    window = (tracking_scenes.at(9, 23, 30), tracking_scenes.at(12, 9))  # 10 Mar in Berlin
    with db.reading() as session:
        found = load.shipment_rows(session, scene.tokens["in_transit"], Memo(
            seconds=1, max_entries=1))
        assert found is not None
        built = view.build(replace(found[0], window=window), Speaker(lang, "Europe/Berlin"))

    assert built.parcel.estimate is not None
    assert " ".join(built.parcel.estimate.split()) == expected  # Babel puts thin spaces by the dash
