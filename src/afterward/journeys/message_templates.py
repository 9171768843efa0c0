"""Built-in templates (en, de, fr, pt_BR) for the built-in journeys that messaging's
own built-ins do not cover: out for delivery, delay apology, failed attempt,
delivery problem, review request, replenishment, birthday, anniversary, second
purchase and win-back. Written in builtin_sources/ like messaging's (whose layouts
and parts they share), with their phrases in the same Babel catalogues; messaging
finds them through its template registry. SMS phrases keep to GSM-7 where the
language allows."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from afterward.messaging import source_builder, template_registry

SHIPMENT_KEYS = ("shipment_out_for_delivery", "shipment_delayed", "shipment_failed_attempt",
                 "shipment_exception")
KEYS = (*SHIPMENT_KEYS, "review_request", "replenishment_reminder", "birthday_offer",
        "purchase_anniversary", "second_purchase", "winback")
LOCALES = template_registry.LOCALES
FOLDERS = (Path(__file__).resolve().parent / "builtin_sources", source_builder.FOLDER)


@lru_cache(maxsize=256)
def source(key: str, channel: str, locale: str) -> source_builder.Source | None:
    """(subject, body, text_body) of a built-in, or None when there is none."""
    if key not in KEYS or locale not in LOCALES:
        return None
    return source_builder.build(FOLDERS, key, channel, locale)


template_registry.register(KEYS, source)
