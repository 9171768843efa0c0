"""What a shopper's message asks for: one of the fixed intents (DESIGN.md, "Assistant"),
how sure the model is, and the language to answer in. `other` when the model is not
sure enough (intent_model.THRESHOLD) or the message is in none of our languages.

Messages that ask two things are labelled by one rule (the examples follow it;
docs/assistant.md): an explicit request for a person wins; then a request for an
action (start a return, cancel, change the address, stop emails) over a question
about status; money back for an order that went wrong without a return (late,
damaged, wrong item) is a `complaint`, because a person decides it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from afterward.assistant import intent_model, language

INTENTS: tuple[str, ...] = (
    "where_is_my_order", "delivery_date", "start_return", "refund_status",
    "return_policy", "cancel_order", "change_address", "complaint", "leave_review",
    "loyalty_points", "talk_to_person", "email_preferences", "other")


@dataclass(frozen=True)
class Recognised:
    intent: str  # one of INTENTS; "other" when not sure
    confidence: float  # 0..1: the model's probability of the intent it names
    language: str  # "en" | "de" | "fr" | "pt" | "unknown"


def recognise(text: str, locale: str | None = None) -> Recognised:
    """The intent of one message; `locale` ("de", "pt-BR") decides the language of
    messages too short to tell."""
    if not text.strip():
        return Recognised("other", 1.0, language.from_locale(locale) or "unknown")
    model = intent_model.default_model()
    detected = language.detect(text, locale, model.language)
    intent, confidence = decide(model.labels, model.probabilities(without_facts(text)),
                                intent_model.THRESHOLD)
    if detected == "unknown" and language.identify(text, locale, model.language):
        # A language we do not answer in (Spanish, Chinese, ...): the model never
        # learnt it, so its guess is noise.
        return Recognised("other", confidence, detected)
    return Recognised(intent, confidence, detected)


# A shopper giving their email address or postal code so the order can be found ("my
# email is ada@example.com", "meine PLZ ist 10115") says who they are, not that they
# want to change their emails: the statement is left out of what the model reads.
_OWNER = r"(?:my|meine?|mon|ma|meu|minha)"
_FACT_NAME = (r"(?:e-?mail(?:[- ]?(?:address|adresse))?|adresse e-?mail|endere[cç]o de e-?mail|"
              r"postal ?code|zip(?: ?code)?|postcode|plz|postleitzahl|code postal|cep)")
_VERB = r"(?:is|ist|lautet|est|c'est|[eé]|:|=)?"
_EMAIL = r"[^\s@]+@[^\s@]+\.[^\s@]+"
_FACT = re.compile(rf"\b{_OWNER}\s+{_FACT_NAME}\s*{_VERB}\s*"
                   rf"(?:{_EMAIL}|\d{{5}}(?:-\d{{3,4}})?\b|[A-Z]{{1,2}}\d[A-Z\d]? ?\d[A-Z]{{2}}\b)",
                   re.IGNORECASE)


def without_facts(text: str) -> str:
    """The message without the email addresses and postal codes it states as the
    shopper's own ("my email is ...")."""
    return _FACT.sub(" ", text)


def decide(labels: Sequence[str], probabilities: Sequence[float], threshold: float
           ) -> tuple[str, float]:
    """The likeliest intent and its probability; `other` under the threshold."""
    best = max(range(len(labels)), key=lambda i: probabilities[i])
    confidence = float(probabilities[best])
    if confidence < threshold:
        return "other", confidence
    return labels[best], confidence

