"""One-click score links (/survey/{token}): each signed with the install's secret key
and naming the store, the order, the survey, the score and, for CSAT, the return. A
link is good for LINK_DAYS from when its message was built; a tampered, foreign or
expired token reads as None (the page says so and records nothing). Messages build
them (survey_part.py); the web layer reads them back (web/pages/survey.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from afterward.feedback.models import SURVEY_SCALES

PATH = "/survey"
SALT = "afterward.feedback.survey.v1"
LINK_DAYS = 60
MAX_TOKEN = 300


@dataclass(frozen=True)
class ScoreLink:
    store_id: int
    order_id: int
    survey: str  # "nps", "delivery", "csat"
    score: int
    return_id: int | None = None


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def signed(secret: str, link: ScoreLink) -> str:
    return _serializer(secret).dumps(
        [link.store_id, link.order_id, link.survey, link.score, link.return_id or 0])


def url(public_url: str, secret: str, link: ScoreLink) -> str:
    return f"{public_url.rstrip('/')}{PATH}/{signed(secret, link)}"


class Expired(Exception):
    """A link that was genuine but is older than LINK_DAYS."""


def read(secret: str, token: str, *, max_age_days: int = LINK_DAYS) -> ScoreLink | None:
    """The link a token this install signed names, else None; raises Expired for a
    genuine one past its time (the page tells the two apart)."""
    if len(token) > MAX_TOKEN:
        return None
    try:
        value: Any = _serializer(secret).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired as old:
        raise Expired from old
    except BadSignature:
        return None
    return _parsed(value)


def _parsed(value: Any) -> ScoreLink | None:
    if not (isinstance(value, list) and len(value) == 5 and isinstance(value[2], str)):
        return None
    store_id, order_id, survey, score, return_id = value
    numbers = (store_id, order_id, score, return_id)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return None
    scale = SURVEY_SCALES.get(survey)
    if scale is None or not scale[0] <= score <= scale[1] or store_id < 1 or order_id < 1:
        return None
    return ScoreLink(store_id, order_id, survey, score, return_id or None)
