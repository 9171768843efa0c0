"""PLACEHOLDER: a small keyword matcher with the interface of the understanding part.
The lead replaces this file at merge by the other helper's model (same interface)."""

from __future__ import annotations

import re
from dataclasses import dataclass

INTENTS = ("where_is_my_order", "delivery_date", "start_return", "refund_status",
           "return_policy", "cancel_order", "change_address", "complaint", "leave_review",
           "loyalty_points", "talk_to_person", "email_preferences", "other")


@dataclass(frozen=True)
class Recognised:
    intent: str
    confidence: float
    language: str  # "en" | "de" | "fr" | "pt" | "unknown"


# Checked in this order: the first intent with a matching phrase wins.
_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("talk_to_person", ("talk to a person", "human", "agent", "real person", "mitarbeiter",
                        "mensch", "une personne", "conseiller", "atendente", "uma pessoa")),
    ("complaint", ("complaint", "complain", "unacceptable", "beschwerde", "plainte",
                   "reclamação", "reclamacao")),
    ("refund_status", ("refund", "erstattung", "rückerstattung", "remboursement",
                       "reembolso")),
    ("return_policy", ("return policy", "how long do i have", "rückgaberecht",
                       "politique de retour", "política de devolução")),
    ("start_return", ("return", "send back", "zurücksenden", "rücksendung", "retourner",
                      "retour", "devolver", "devolução")),
    ("cancel_order", ("cancel", "stornieren", "annuler", "cancelar")),
    ("change_address", ("change the address", "change my address", "delivery address",
                        "adresse ändern", "changer l'adresse", "mudar o endereço",
                        "alterar o endereço")),
    ("delivery_date", ("when will", "delivery date", "arrive", "wann kommt", "quand",
                       "quando chega")),
    ("where_is_my_order", ("where is", "track", "wo ist", "où est", "cadê", "onde está",
                           "sendung", "colis", "pedido")),
    ("leave_review", ("review", "bewertung", "avis", "avaliação")),
    ("loyalty_points", ("points", "punkte", "pontos", "loyalty")),
    ("email_preferences", ("unsubscribe", "stop emails", "abmelden", "désabonner",
                           "descadastrar", "newsletter")),
)
_LANGUAGE_WORDS = {
    "en": {"where", "my", "the", "i", "is", "order", "want", "what", "how", "when", "your"},
    "de": {"wo", "ist", "meine", "mein", "ich", "bestellung", "und", "nicht", "wann"},
    "fr": {"où", "est", "ma", "mon", "je", "commande", "colis", "quand"},
    "pt": {"onde", "meu", "minha", "pedido", "eu", "não", "cadê", "quando"},
}


def _language(text: str, locale: str | None) -> str:
    words = set(re.findall(r"\w+", text.lower()))
    scores = {lang: len(words & known) for lang, known in _LANGUAGE_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best]:
        return best
    primary = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in _LANGUAGE_WORDS else "unknown"


def recognise(text: str, locale: str | None = None) -> Recognised:
    lowered = re.sub(r"\s+", " ", text.lower())
    language = _language(lowered, locale)
    for intent, phrases in _KEYWORDS:
        if any(phrase in lowered for phrase in phrases):
            return Recognised(intent, 0.9, language)
    return Recognised("other", 0.0, language)
