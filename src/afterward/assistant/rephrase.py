"""An optional rephrasing of the assistant's answers by a chat model the merchant runs
(any OpenAI-compatible server: POST {base}/v1/chat/completions), off by default.

The model may reword an answer, never add to it. The template answer stands unless the
rewording keeps every fact of the original unchanged and brings no new one:

- facts are the tokens that carry a digit (numbers, amounts, dates, order and
  tracking numbers, times), links (http(s) URLs and site paths such as /t/...),
  currency signs and codes, and the names of months and weekdays in the answer's
  language;
- every fact token of the template appears in the rewording, and the rewording has
  no fact token the template lacks.

Anything else — the setting off, a network error, a timeout, a status other than 2xx,
a body that is not a chat completion, an empty or overlong text, a fact changed —
keeps the template answer. The call happens outside any database transaction (the
outer layer calls `rephrase` after the answer is stored, then stores the rewording)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from afterward.config import Settings
from afterward.tls import client_context

SYSTEM_PROMPT = (
    "You rewrite a shop assistant's answer to a customer so it reads warmly and "
    "naturally, in the same language ({language}). Keep every number, date, amount, "
    "order or tracking number and link exactly as written. Do not add any fact, "
    "promise, number or link. Reply with the rewritten answer only.")
MAX_GROWTH = 2  # a rewording longer than twice the answer (+ 200 characters) is refused
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "pt_BR": "Portuguese"}

_URL = r"https?://[^\s<>\"')]+|(?<![\w/])/[A-Za-z0-9_~\-./?=&%]+"
_DIGITS = r"[^\s]*\d[^\s]*"
_CURRENCY = r"R\$|US\$|[€$£¥]|\b(?:EUR|USD|GBP|BRL|CHF)\b"
_FACT = re.compile(rf"{_URL}|{_DIGITS}|{_CURRENCY}")
_EDGES = ".,;:!?()[]{}\"'«»“”"


@dataclass(frozen=True)
class Endpoint:
    url: str  # .../v1/chat/completions
    model: str
    key: str
    timeout_seconds: float


def endpoint(settings: Settings) -> Endpoint | None:
    """The configured chat endpoint, or None (off: the default)."""
    base = settings.assistant_rephrase_url.strip().rstrip("/")
    if not base:
        return None
    base = base.removesuffix("/v1")
    return Endpoint(f"{base}/v1/chat/completions", settings.assistant_rephrase_model,
                    settings.assistant_rephrase_key,
                    max(settings.assistant_rephrase_timeout_ms, 1) / 1000)


@cache
def _calendar_words(lang: str) -> frozenset[str]:
    from babel.dates import get_day_names, get_month_names

    names: set[str] = set()
    for width in ("wide", "abbreviated"):
        names.update(get_month_names(width, locale=lang).values())
        names.update(get_day_names(width, locale=lang).values())
    return frozenset(n.lower().rstrip(".") for n in names if len(n.rstrip(".")) >= 3)


def facts(text: str, lang: str = "en") -> set[str]:
    """The text's fact tokens (module docstring), trailing punctuation dropped."""
    found = {token.strip(_EDGES) for token in _FACT.findall(text)}
    calendar = _calendar_words(lang if lang in LANGUAGE_NAMES else "en")
    words = {w.strip(_EDGES).lower() for w in text.split()}
    found.update(f"~{w}" for w in words if w in calendar)
    return {f for f in found if f}


def keeps_the_facts(original: str, rewording: str, lang: str = "en") -> bool:
    return facts(original, lang) == facts(rewording, lang)


def acceptable(original: str, rewording: str, lang: str = "en") -> bool:
    rewording = rewording.strip()
    return bool(rewording) and len(rewording) <= MAX_GROWTH * len(original) + 200 and \
        keeps_the_facts(original, rewording, lang)


def _request(point: Endpoint, text: str, lang: str) -> dict[str, Any]:
    return {"model": point.model, "temperature": 0.2, "messages": [
        {"role": "system", "content": SYSTEM_PROMPT.format(
            language=LANGUAGE_NAMES.get(lang, "English"))},
        {"role": "user", "content": text}]}


def _call(point: Endpoint, text: str, lang: str) -> str | None:
    """The model's rewording, or None on any failure. The one network call here."""
    headers = {"Authorization": f"Bearer {point.key}"} if point.key else {}
    try:
        with httpx.Client(timeout=point.timeout_seconds, follow_redirects=False,
                          verify=client_context()) as http:
            response = http.post(point.url, json=_request(point, text, lang), headers=headers)
        if not response.is_success:
            return None
        content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def rephrase(point: Endpoint | None, text: str, lang: str = "en") -> str:
    """The rewording when the endpoint is on and it keeps the facts; else `text`."""
    if point is None or not text.strip():
        return text
    rewording = _call(point, text, lang)
    if rewording is None or not acceptable(text, rewording, lang):
        return text
    return rewording.strip()
