"""The tracking page's pure parts: brand contrast, language choice and the words
for each status and reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.tracking.statuses import Status
from afterward.web.pages import contrast, language, words
from afterward.web.pages.language import Speaker

colours = st.tuples(*[st.integers(0, 255)] * 3).map(contrast.to_hex)


# -- contrast ------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "second", "ratio"), [
    ("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#777777", "#ffffff", 4.48),
    ("#1f3a5f", "#ffffff", 11.48), ("#f4b400", "#ffffff", 1.85), ("#fff", "#000", 21.0),
])
def test_contrast_ratio_matches_wcag(first, second, ratio):
    assert contrast.contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast.contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_a_dark_enough_colour_is_kept_as_it_is():
    assert contrast.readable_on("#1f3a5f") == "#1f3a5f"
    assert contrast.readable_on("#1F3A5F") == "#1f3a5f"


def test_a_pale_colour_is_darkened_just_enough_keeping_its_hue():
    darker = contrast.readable_on("#f4b400")

    assert darker == "#987000"
    assert 4.5 <= contrast.contrast_ratio(darker, "#ffffff") < 4.6


def test_white_on_white_becomes_a_readable_grey():
    grey = contrast.readable_on("#ffffff")
    r, g, b = contrast.parse_hex(grey)

    assert r == g == b
    assert contrast.contrast_ratio(grey, "#ffffff") >= 4.5


@given(colours)
def test_any_colour_becomes_readable_text_on_white(colour):
    assert contrast.contrast_ratio(contrast.readable_on(colour), "#ffffff") >= 4.5


@given(colours)
def test_text_on_any_brand_background_is_readable(colour):
    assert contrast.contrast_ratio(contrast.text_on(colour), colour) >= 4.5


@pytest.mark.parametrize(("background", "text"), [
    ("#1f3a5f", "#ffffff"), ("#f4b400", "#000000"), ("#ffffff", "#000000"),
    ("#000000", "#ffffff")])
def test_text_on_picks_black_or_white(background, text):
    assert contrast.text_on(background) == text


@pytest.mark.parametrize("bad", ["", "red", "#12345", "#gggggg", "1f3a5f", None])
def test_a_malformed_colour_falls_back(bad):
    assert contrast.safe_colour(bad, "#1f3a5f") == "#1f3a5f"
    if bad is not None:
        with pytest.raises(ValueError):
            contrast.parse_hex(bad)


# -- language ------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "code"), [
    ("de", "de"), ("de-AT", "de"), ("de_CH", "de"), ("FR-ca", "fr"), ("pt", "pt_BR"),
    ("pt-BR", "pt_BR"), ("pt_PT", "pt_BR"), ("en-GB", "en"), ("es", None), ("", None),
    (None, None), ("*", None)])
def test_locale_tags_map_to_our_catalogues(tag, code):
    assert language.supported(tag) == code


def test_accept_language_is_read_by_weight_then_position():
    header = "es;q=0.9, de;q=0.5, fr, en;q=0, pt-BR;q=0.9, it;q=abc, *;q=0.1"

    assert language.accepted(header) == ["fr", "es", "pt-BR", "de"]


@pytest.mark.parametrize(("query", "customer", "accept", "store", "chosen"), [
    ("fr", "de", "pt-BR", "en", "fr"),
    (None, "de", "pt-BR", "en", "de"),
    ("xx", "es", "es, pt-BR;q=0.5", "en", "pt_BR"),
    (None, None, None, "de", "de"),
    (None, None, None, "ja", "en"),
])
def test_the_language_is_the_first_we_speak_of_query_customer_browser_store(
        query, customer, accept, store, chosen):
    assert language.choose(query=query, customer=customer, accept_language=accept,
                           store=store) == chosen


def test_a_huge_accept_language_header_is_cut_short():
    assert len(language.accepted("de," * 10_000)) <= language.MAX_ACCEPT_LANGUAGE


# -- words ---------------------------------------------------------------------------

EXPECTED_LABELS = {
    "pending": ("Order received", "Bestellung eingegangen", "Commande reçue", "Pedido recebido"),
    "info_received": ("Label created", "Versandetikett erstellt", "Étiquette créée",
                      "Etiqueta criada"),
    "in_transit": ("In transit", "Unterwegs", "En transit", "Em trânsito"),
    "out_for_delivery": ("Out for delivery", "In Zustellung", "En cours de livraison",
                         "Saiu para entrega"),
    "available_for_pickup": ("Available for pickup", "Zur Abholung bereit",
                             "Disponible au point de retrait", "Disponível para retirada"),
    "failed_attempt": ("Delivery attempted", "Zustellversuch", "Tentative de livraison",
                       "Tentativa de entrega"),
    "delivered": ("Delivered", "Zugestellt", "Livré", "Entregue"),
    "exception": ("Delivery problem", "Problem bei der Zustellung", "Problème de livraison",
                  "Problema na entrega"),
    "returned_to_sender": ("Returned to sender", "Zurück an den Absender",
                           "Retourné à l'expéditeur", "Devolvido ao remetente"),
    "cancelled": ("Cancelled", "Storniert", "Annulé", "Cancelado"),
    "expired": ("No recent updates", "Keine neuen Informationen", "Aucune mise à jour récente",
                "Sem atualizações recentes"),
}
EXPECTED_REASONS = {
    "customs": ("Held at customs", "Beim Zoll festgehalten", "Retenu en douane",
                "Retido na alfândega"),
    "attempted": ("Delivery attempted", "Zustellversuch", "Tentative de livraison",
                  "Tentativa de entrega"),
    "returning": ("Returning to sender", "Auf dem Rückweg zum Absender",
                  "En retour vers l'expéditeur", "Voltando ao remetente"),
    "address": ("Address problem", "Problem mit der Adresse", "Problème d'adresse",
                "Problema no endereço"),
    "damaged": ("Damaged in transit", "Beim Transport beschädigt",
                "Endommagé pendant le transport", "Danificado no transporte"),
    "lost": ("Lost in transit", "Beim Transport verloren gegangen",
             "Perdu pendant le transport", "Extraviado no transporte"),
    "refused": ("Delivery refused", "Annahme verweigert", "Livraison refusée",
                "Entrega recusada"),
}
CODES = ("en", "de", "fr", "pt_BR")


def test_every_status_has_a_label_and_an_explanation():
    assert set(words.LABELS) == set(words.EXPLANATIONS) == set(Status)
    assert set(EXPECTED_LABELS) == {s.value for s in Status}


@pytest.mark.parametrize("status", sorted(EXPECTED_LABELS))
def test_every_status_has_the_right_words_in_every_language(status):
    for code, expected in zip(CODES, EXPECTED_LABELS[status], strict=True):
        assert Speaker(code, "UTC").gettext(words.LABELS[status]) == expected


@pytest.mark.parametrize("reason", sorted(EXPECTED_REASONS))
def test_every_reason_has_the_right_words_in_every_language(reason):
    for code, expected in zip(CODES, EXPECTED_REASONS[reason], strict=True):
        assert Speaker(code, "UTC").gettext(words.REASONS[reason]) == expected


@pytest.mark.parametrize(("status", "substatus", "message", "reason"), [
    ("exception", "Exception_004", None, "customs"),
    ("exception", "exception_013", None, "lost"),
    ("exception", "customs_hold", None, "customs"),
    ("exception", None, "Shipment held by Customs in Frankfurt", "customs"),
    ("exception", None, "Sendung beim Zoll", "customs"),
    ("exception", None, "Colis retenu en douane", "customs"),
    ("exception", None, "Objeto retido na alfândega", "customs"),
    ("exception", None, "Incorrect address, contact sender", "address"),
    ("exception", None, "Paket beschädigt", "damaged"),
    ("failed_attempt", "AttemptFail_002", "Recipient not home", None),  # the label says it
    ("exception", "AttemptFail_002", None, "attempted"),
    ("failed_attempt", None, "No one home", None),
    ("exception", "package_damaged", None, "damaged"),
    ("returned_to_sender", "Exception_010", None, "returning"),
    ("returned_to_sender", None, "Returned to sender", None),  # the label already says it
    ("delivered", "Delivered_002", None, "picked_up"),
    ("delivered", "Exception_004", "customs", None),  # a delivery is never held at customs
    ("in_transit", "delayed", None, None),  # a carrier's "delayed" alone is not late
    ("in_transit", "weather_delay", None, None),
    ("exception", "Exception_005", None, None),  # an exception is a problem, not a delay
    ("exception", None, "Held up by the weather", None),
    ("in_transit", "rescheduled", None, "rescheduled"),
    ("in_transit", None, "Arrived at customs", None),  # only problems read the message
    ("in_transit", "unknown:weird", None, None),
])
def test_the_reason_comes_from_the_code_or_the_carriers_message(status, substatus, message,
                                                                 reason):
    assert words.reason_for(status, substatus, message) == reason


@pytest.mark.parametrize(("status", "substatus", "reason"), [
    ("in_transit", "delayed", "delayed"), ("in_transit", "weather_delay", "weather"),
    ("failed_attempt", "Exception_005", "delayed")])
def test_the_carriers_delayed_is_said_when_the_parcel_is_late_by_our_rule(status, substatus,
                                                                          reason):
    assert words.reason_for(status, substatus, None, late=True) == reason


def test_a_problems_reason_becomes_the_headline_other_reasons_a_detail():
    assert words.headline("exception", "customs") == "Held at customs"
    assert words.detail("exception", "customs") is None
    assert words.headline("delivered", "picked_up") == "Delivered"
    assert words.detail("delivered", "picked_up") == "Picked up by you"
    assert words.headline("mystery", None) == "In transit"


def test_stages_follow_the_normalized_status():
    assert [words.stage_of(s) for s in ("pending", "info_received", "in_transit",
                                        "out_for_delivery", "delivered", "bogus")] == \
        [0, 1, 2, 3, 4, 2]


# -- memo ----------------------------------------------------------------------------

def test_the_memo_answers_from_memory_until_the_time_runs_out_and_keeps_the_newest():
    from afterward.web.pages.memo import Memo

    now = [0.0]
    calls: list[str] = []
    memo: Memo[str] = Memo(seconds=10, max_entries=2, clock=lambda: now[0])

    def compute(key: str):
        return lambda: calls.append(key) or key.upper()

    assert memo.get("a", compute("a")) == "A"
    assert memo.get("a", compute("a")) == "A"
    now[0] = 11
    assert memo.get("a", compute("a")) == "A"
    memo.get("b", compute("b"))
    memo.get("c", compute("c"))  # pushes out "a", the least recently used
    memo.get("a", compute("a"))

    assert calls == ["a", "a", "b", "c", "a"]
