"""The facts a shopper's message carries: order numbers, tracking numbers (with the
carrier that issued them, by tracking's own detection), emails, postal codes and
dates, in English, German, French and Portuguese. Each in the order written, each
once. Numbers are what the message says; whether they exist is the caller's to ask."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from afterward.tracking.carriers import detect as carriers

MAX_CHARS = 5000  # a longer message is read from its start
MAX_EACH = 20  # of each kind: more is a pasted list, not a question


@dataclass(frozen=True)
class Entities:
    order_numbers: tuple[str, ...]  # as written, without "#"
    tracking_numbers: tuple[tuple[str, str | None], ...]  # (number, carrier code)
    emails: tuple[str, ...]
    postal_codes: tuple[str, ...]
    dates: tuple[date, ...]


def extract(text: str, *, today: date | None = None) -> Entities:
    text = text[:MAX_CHARS]
    today = today or date.today()
    emails = _unique(m.group(0) for m in _EMAIL.finditer(text))
    rest = _EMAIL.sub(" ", text)
    orders = _order_numbers(rest)
    tracking = _tracking_numbers(rest, set(orders))
    taken = set(orders) | {number for number, _ in tracking}
    return Entities(orders, tracking, emails, _postal_codes(rest, taken),
                    _dates(rest, today))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(itertools.islice(dict.fromkeys(items), MAX_EACH))


# -- order numbers ---------------------------------------------------------------------

_ORDER_WORDS = (
    r"order(?:\s+(?:number|no\.?|nr\.?|id))?|bestell(?:ung|nummer|nr\.?)|auftrag(?:snummer)?"
    r"|commande|cde|pedido|encomenda|n[uú]mero\s+do\s+pedido")
_ORDER = re.compile(
    rf"(?:\b(?:{_ORDER_WORDS})\s*(?:n[°ºo]\.?\s*|nr\.?\s*|number\s*|:\s*)?#?\s*"
    r"|#\s?)([A-Z]{0,3}-?\d{3,12}(?:-\d{1,4})?)\b", re.IGNORECASE)


def _order_numbers(text: str) -> tuple[str, ...]:
    return _unique(m.group(1) for m in _ORDER.finditer(text))


# -- tracking numbers -----------------------------------------------------------------

_TOKEN = re.compile(r"\b(?=[A-Z0-9]*\d)[A-Z0-9]{8,40}\b", re.IGNORECASE)
_TRACKING_WORDS = re.compile(
    r"(?:tracking|track|sendungs?(?:nummer|nr)?|paketnummer|suivi|num[eé]ro de colis"
    r"|rastreio|rastreamento|c[oó]digo)\D{0,20}$", re.IGNORECASE)


def _tracking_numbers(text: str, orders: set[str]) -> tuple[tuple[str, str | None], ...]:
    found: dict[str, str | None] = {}
    for match in _TOKEN.finditer(text):
        number = match.group(0).upper()
        if number in orders or match.group(0) in orders or number.isalpha():
            continue
        if len(found) >= MAX_EACH:
            break
        named = _TRACKING_WORDS.search(text[max(0, match.start() - 40):match.start()])
        # Digits alone could be a phone or an amount that passes a check digit by
        # chance: under 20 of them, only when the message calls them tracking.
        if number.isdigit() and len(number) < 20 and not named:
            continue
        guess = carriers.best_guess(number)
        if guess is not None:
            found.setdefault(number, guess.carrier)
        elif named and len(number) >= 10:
            found.setdefault(number, None)
    return tuple(found.items())


# -- emails and postal codes ----------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}\b", re.UNICODE)
_POSTAL_WORDS = (r"zip(?:\s*code)?|post\s*code|postcode|postal\s+code|plz|postleitzahl"
                 r"|code\s+postal|cp|cep")
_POSTAL = (
    re.compile(r"\b(\d{5}-\d{3})\b"),  # Brazil
    re.compile(r"\b(\d{5}-\d{4})\b"),  # US ZIP+4
    re.compile(r"\b(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b"),  # UK
    re.compile(rf"\b(?:{_POSTAL_WORDS})\s*:?\s*"
               r"(\d{5}(?![-\d])|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b", re.IGNORECASE),
    # Five digits and a capitalised word after them: "10115 Berlin", "75001 Paris".
    re.compile(r"(?<![#\w-])(\d{5})\s+(?=[A-ZÄÖÜÉ][a-zäöüßéèêàçãõ]+)"),
)


def _postal_codes(text: str, taken: set[str]) -> tuple[str, ...]:
    found = sorted((match.start(1), match.group(1).upper())
                   for pattern in _POSTAL for match in pattern.finditer(text))
    return _unique(code for _, code in found if code not in taken)


# -- dates -----------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate((
        "january jan januar jänner janvier janv janeiro",
        "february feb februar février fevrier févr fevr fevereiro fev",
        "march mar märz maerz mär mars março marco",
        "april apr avril avr abril abr",
        "may mai maio",
        "june jun juni juin junho",
        "july jul juli juillet juil julho",
        "august aug août aout agosto ago",
        "september sep sept septembre setembro",
        "october oct oktober okt octobre outubro",
        "november nov novembre novembro",
        "december dec dezember dez décembre decembre déc dezembro"), start=1):
    for _name in _names.split():
        _MONTHS[_name] = _number
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = (
    ("iso", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("numeric", re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")),
    ("numeric", re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?!\d)")),
    ("day_month", re.compile(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|°)?\.?\s*(?:of\s+|de\s+)?({_MONTH})\b\.?"
        r"(?:,?\s*(?:de\s+)?(\d{4})\b)?", re.IGNORECASE)),
    ("month_day", re.compile(
        rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}})\b)?",
        re.IGNORECASE)),
)
_RELATIVE = re.compile(
    r"\b(day after tomorrow|übermorgen|après-demain|apres-demain|depois de amanh[ãa]"
    r"|today|heute|aujourd['\u2019]hui|hoje|tomorrow|(?<!guten )morgen|demain|amanh[ãa]"
    r"|yesterday|gestern|ontem)\b", re.IGNORECASE)
_SHIFT = {"day after tomorrow": 2, "übermorgen": 2, "après-demain": 2, "apres-demain": 2,
          "depois de amanhã": 2, "depois de amanha": 2, "today": 0, "heute": 0,
          "aujourd'hui": 0, "hoje": 0, "tomorrow": 1, "morgen": 1, "demain": 1,
          "amanhã": 1, "amanha": 1, "yesterday": -1, "gestern": -1, "ontem": -1}


def _dates(text: str, today: date) -> tuple[date, ...]:
    found: list[tuple[int, date]] = []
    taken: list[range] = []
    for kind, pattern in _DATES:
        for match in itertools.islice(pattern.finditer(text), 4 * MAX_EACH):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in taken):
                continue
            day = _date_of(kind, match.groups(), today)
            if day is not None:
                found.append((match.start(), day))
                taken.append(span)
    for match in _RELATIVE.finditer(text):
        word = match.group(1).lower().replace("\u2019", "'")
        found.append((match.start(), today + timedelta(days=_SHIFT[word])))
    ordered = dict.fromkeys(day for _, day in sorted(found, key=lambda f: f[0]))
    return tuple(itertools.islice(ordered, MAX_EACH))


def _date_of(kind: str, groups: tuple[str | None, ...], today: date) -> date | None:
    if kind == "iso":
        return _valid(int(groups[0] or 0), int(groups[1] or 0), int(groups[2] or 0))
    if kind == "numeric":
        first, second = int(groups[0] or 0), int(groups[1] or 0)
        # Day first, as the four languages write it, unless that cannot be (US: 12/31).
        day, month = (second, first) if second > 12 >= first else (first, second)
        year = groups[2]
    elif kind == "day_month":
        day, month, year = int(groups[0] or 0), _MONTHS[(groups[1] or "").lower()], groups[2]
    else:
        month, day, year = _MONTHS[(groups[0] or "").lower()], int(groups[1] or 0), groups[2]
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return _valid(full, month, day)
    candidates = [d for y in (today.year - 1, today.year, today.year + 1)
                  if (d := _valid(y, month, day)) is not None]
    return min(candidates, key=lambda d: abs((d - today).days)) if candidates else None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
